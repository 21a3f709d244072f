/* console.h - the control node's input: whole lines from a terminal through libedit, or a
 * stream read in chunks, where an exec's arguments are forwarded as they are read (a line can
 * hold 10^8 numbers: no line is ever held whole). */
#ifndef MQTREE_CONSOLE_H
#define MQTREE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

struct console;

/* Where the lines go. Every call gets `arg`. */
struct console_ops {
	/* A command line (commands.h, commands_line) and whether it must wait (commands_waits). */
	bool (*line)(void *arg, const char *line, size_t len, bool complete, uint32_t *stream,
		     int *extra);
	bool (*waits)(void *arg, const char *line, size_t len);
	/* An exec's arguments as they are read, their end, and whether it takes more now. */
	void (*feed)(void *arg, uint32_t req, const char *data, size_t len);
	void (*end)(void *arg, uint32_t req);
	bool (*can_feed)(void *arg, uint32_t req);
	/* No more input. */
	void (*eof)(void *arg);
	void *arg;
};

/* interactive: stdin is a terminal, read through libedit, greeted with `banner`; prompt,
 * echo and banner go to that terminal even when stdout does not. */
struct console *console_new(bool interactive, const char *banner,
			    const struct console_ops *ops);
void console_destroy(struct console **con);
/* Prompt and banner when interactive. */
void console_start(struct console *con);
/* Whether the loop should poll stdin now (false while an exec waits for credit). */
bool console_wants_input(struct console *con);
void console_read(struct console *con);
/* Goes on with buffered input once an exec can take more. */
void console_resume(struct console *con);
/* Ctrl-C at the prompt: drops the line being typed; false when there is no prompt. */
bool console_interrupt(struct console *con);
/* No more input is taken (exit). */
void console_stop(struct console *con);
/* Interactive: print a line above the prompt without breaking the line being typed. */
bool console_print_above(struct console *con, const char *line, size_t len);

#endif
