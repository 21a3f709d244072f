/* cmdset.h - what `exec` does on a compute node (README "Command sets").
 *
 * Each set lives in its own file (set_sum.c, set_dict.c, ...) and is one entry of the table in
 * cmdset.c, so a new set is one new file and one table line.
 *
 * A request's arguments arrive as a byte stream: everything after `exec ID` on the line (and,
 * for a set with bare_lines > 0 given a bare `exec ID`, the following lines joined with '\n').
 * The stream may start with white space; tokens are separated by ' ', '\t', '\r' or '\n'; a
 * token may be split across two feed() calls at any byte. Sets never hold more of the stream than
 * their meaning requires (sum holds none of it; search holds the text once).
 *
 * All calls for one node come from one thread (the node's worker), in order:
 * begin, feed*, end; then the next request. A begin while a request is open abandons it.
 */
#ifndef MQTREE_CMDSET_H
#define MQTREE_CMDSET_H

#include <stddef.h>

#include "buf.h"
#include "clock.h"

enum { CMDSET_OK = 0, CMDSET_ERR = -1 };

struct cmdset {
	const char *name;	/* the --exec value */
	const char *usage;	/* one line for `help`, e.g. "exec ID N K1 ... KN" */
	int bare_lines;		/* lines that follow a bare `exec ID` (search: 2), else 0 */
	void *(*state_new)(clock_ms_fn now);	/* NULL when out of memory */
	void (*state_destroy)(void *state);
	void (*begin)(void *state);
	void (*feed)(void *state, const char *data, size_t len);
	/* Finishes the request. CMDSET_OK: out holds the result ("" prints `Ok:ID`, otherwise
	 * `Ok:ID: RESULT`). CMDSET_ERR: out holds the reason (`Error:ID: REASON`). */
	int (*end)(void *state, struct buf *out);
	/* --restart: the state as bytes, appended to out (-1: out of memory), and a new state
	 * given those bytes back (CMDSET_ERR: they are not a state of this set; the state is then
	 * to be destroyed). Bytes of one host read the same on any other. NULL for a set whose
	 * state is not kept (sum has none; search's text is transient). */
	int (*save)(const void *state, struct buf *out);
	int (*load)(void *state, const char *data, size_t len);
};

/* NULL when there is no set of that name. */
const struct cmdset *cmdset_find(const char *name);
/* The names of all sets, "sum|dict|timer|search", for usage lines. */
const char *cmdset_names(void);

extern const struct cmdset cmdset_sum, cmdset_dict, cmdset_timer, cmdset_search;

#endif
