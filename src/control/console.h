/* console.h - the control node's input: whole lines from a terminal through libedit, or a
 * stream read in chunks, where an exec's arguments are forwarded as they are read (a line can
 * hold 10^8 numbers: no line is ever held whole). */
#ifndef MQTREE_CONSOLE_H
#define MQTREE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

struct ctl;
struct console;

struct console *console_new(struct ctl *c);
void console_destroy(struct console **con);
/* Prompt and banner when interactive. */
void console_start(struct console *con);
/* Whether the loop should poll stdin now (false while an exec waits for credit). */
bool console_wants_input(struct console *con);
void console_read(struct console *con);
/* Goes on with buffered input once an exec can take more. */
void console_resume(struct console *con);
/* Ctrl-C at the prompt: drops the line being typed. */
void console_interrupt(struct console *con);
/* No more input is taken (exit). */
void console_stop(struct console *con);
/* Interactive: print a line above the prompt without breaking the line being typed. */
bool console_print_above(struct console *con, const char *line, size_t len);

#endif
