/* control.h - the control node: one context, one loop (control.c), the pending requests
 * (requests.c), the terminal commands (commands.c), input (console.c) and output (output.c). */
#ifndef MQTREE_CONTROL_H
#define MQTREE_CONTROL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmdset.h"
#include "link.h"
#include "topo.h"

struct requests;
struct console;
struct heartbit;
struct moves;

struct ctl {
	/* options */
	enum topo_kind kind;
	const struct cmdset *set;
	int timeout_ms;
	bool quiet;
	bool interactive;	/* stdin is a terminal and not --quiet: prompt, line editing */

	char program[PATH_MAX];	/* the node program */
	char endpoint[PROTO_ENDPOINT_MAX];	/* our ROUTER, where depth-1 nodes connect */
	void *ctx;
	void *router;
	void *mon;
	int sigfd;
	struct reprobe reprobe;

	struct topo *topo;
	struct requests *rq;
	struct console *con;
	struct heartbit *hb;
	struct moves *moves;

	bool exiting;		/* no more input; answers still due are awaited */
	bool out_failed;	/* stdout cannot be written: the control node ends, status 1 */
	int64_t exit_deadline;
};

/* control.c */
int ctl_run(struct ctl *c);
void ctl_begin_exit(struct ctl *c);
/* `heartbit MS`: every node reports every MS ms from now on (0: stop). */
void ctl_heartbit(struct ctl *c, int32_t ms);
/* Starts a depth-1 node; 0 with *pid, or -1 with errno. */
int ctl_spawn(struct ctl *c, int32_t id, pid_t *pid);
/* Sends on the ROUTER to a depth-1 node; a send that finds it gone starts a probe round,
 * which marks it lost from the loop. */
int ctl_send_req(struct ctl *c, uint32_t req, uint8_t op, uint8_t flags, const int32_t *path,
		 size_t npath, const void *body, size_t len);

/* output.c: answer lines on stdout; above the prompt when interactive. */
void out_line(struct ctl *c, const char *line, size_t len);
void out_puts(struct ctl *c, const char *line);
void out_printf(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0, or -1 once a write to stdout has failed (said on stderr; nothing is written after). */
int out_flush(struct ctl *c);

/* commands.c */
/* Runs one command line. `complete` is false when only the line's head is given (the line is
 * longer than the console holds); an exec then streams the rest. Returns true when the rest of
 * the line (and *extra_lines more lines) belong to an exec being streamed: *stream_req. */
bool cmd_line(struct ctl *c, const char *line, size_t len, bool complete, uint32_t *stream_req,
	      int *extra_lines);
void cmd_help(struct ctl *c);
/* True when the line must wait before it runs: a create or remove while a remove or kill is
 * under way (it is placed in the tree as that leaves it). */
bool cmd_waits(struct ctl *c, const char *line, size_t len);

#endif
