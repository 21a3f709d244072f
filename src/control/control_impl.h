/* control_impl.h - the control node's state, shared by its loop (control.c) and the ops it
 * gives its parts (control_wire.c). No other module sees it. */
#ifndef MQTREE_CONTROL_IMPL_H
#define MQTREE_CONTROL_IMPL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "downlink.h"
#include "keys.h"
#include "output.h"
#include "rundir.h"

struct control_options;

struct control {
	const struct control_options *opt;
	char program[PATH_MAX];	/* the node program */
	struct rundir run;	/* where the local links live */
	void *ctx;
	struct downlink down;	/* depth-1 nodes connect here */
	struct keypair kp;	/* with --listen, from key_file */
	char key_file[PATH_MAX];
	struct keylist *allowed;
	struct hosts *hosts;
	int sigfd;

	struct topo *topo;
	struct requests *rq;
	struct moves *moves;
	struct heartbit *hb;
	struct commands *cmd;
	struct console *con;
	struct output out;

	bool exiting;		/* no more input; answers still due are awaited */
	bool exit_now;		/* a second signal: they are not awaited any more */
	int64_t exit_deadline;	/* --timeout after exit: what is not a create is failed then */
};

/* What an event decided, carried out: nodes taken out, creates admitted, moves started. */
void control_settle(struct control *c);
/* No more input: the answers due are awaited (control.c says how long). */
void control_begin_exit(struct control *c);
/* Makes the parts, each given the ops it needs of the others: the hosts first (the
 * control's own is host 0; with --listen the others join), then the rest. 0, or -1. */
int control_wire_hosts(struct control *c);
int control_wire(struct control *c);

#endif
