/* output.h - answers go to stdout, one line each; stdout is flushed before the loop waits,
 * so answers appear as they come without a write per line under load. A write that fails
 * (a full disk, a reader that went away) ends the control node: answers nobody gets are no
 * use, and a script must learn that its output is incomplete. */
#ifndef MQTREE_OUTPUT_H
#define MQTREE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

struct output {
	bool failed;	/* a write to stdout failed: nothing more is written */
	/* When set (at a terminal): prints a line above the prompt; false when it did not. */
	bool (*above)(void *arg, const char *line, size_t len);
	void *above_arg;
};

void output_line(struct output *o, const char *line, size_t len);
void output_puts(struct output *o, const char *line);
void output_printf(struct output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0, or -1 once a write to stdout has failed (said on stderr; nothing is written after). */
int output_flush(struct output *o);

#endif
