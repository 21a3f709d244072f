/* output.h - answers go to stdout, one line each; stdout is flushed before the loop waits,
 * so answers appear as they come without a write per line under load. A write that fails
 * (a full disk, a reader that went away) ends the control node: answers nobody gets are no
 * use, and a script must learn that its output is incomplete.
 *
 * Every command given opens a slot (output_begin) that its answer fills, now or later
 * (output_answer). With --ordered the slots print in the order the commands were given,
 * each as soon as it and every one before it is filled; lines that answer no command
 * (Heartbit:) print at once. */
#ifndef MQTREE_OUTPUT_H
#define MQTREE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct output_slot;

struct output {
	bool failed;	/* a write to stdout failed: nothing more is written */
	bool ordered;	/* --ordered */
	/* When set (at a terminal): prints a line above the prompt; false when it did not. */
	bool (*above)(void *arg, const char *line, size_t len);
	void *above_arg;
	/* --ordered: the slots from `first` (not yet printed) to `next` (the next command's),
	 * a ring of cap; `current` is the command being run, 0 between commands. */
	struct output_slot *slots;
	size_t cap;
	uint64_t first, next, current;
};

/* A line of the command being run (output_begin), or one that answers none. */
void output_line(struct output *o, const char *line, size_t len);
void output_puts(struct output *o, const char *line);
void output_printf(struct output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A command is run: its tag (from 1). `later`: its answer may come after output_end. */
uint64_t output_begin(struct output *o, bool later);
void output_end(struct output *o);
/* The answer of the command given tag. */
void output_answer(struct output *o, uint64_t tag, const char *line, size_t len);
/* 0, or -1 once a write to stdout has failed (said on stderr; nothing is written after). */
int output_flush(struct output *o);
void output_free(struct output *o);

#endif
