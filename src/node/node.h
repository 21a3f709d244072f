/* node.h - a compute node: one process, one loop, one worker thread for exec. */
#ifndef MQTREE_NODE_H
#define MQTREE_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "beats.h"
#include "cmdset.h"
#include "downlink.h"
#include "rundir.h"

enum child_state {
	CHILD_SPAWNED,	/* started here; its HELLO is awaited */
	CHILD_EXPECTED,	/* told it will move here (OP_EXPECT); its HELLO is awaited */
	CHILD_UP,
	CHILD_MOVED,	/* started here, moved away: its exit is still ours to report */
};

struct child {
	int32_t id;
	pid_t pid;		/* its process (started here, or told by OP_EXPECT) */
	uint32_t create_req;	/* the OP_CREATE that started it, until its HELLO */
	enum child_state state;
	bool spawned;		/* its process is a child of this one */
};

struct node {
	int32_t id;
	const char *parent_endpoint;
	const char *dir;	/* the instance's run directory (rundir.h) */
	const struct cmdset *set;
	char program[4096];	/* this executable, to start children */

	struct rundir run;
	void *ctx;
	void *up;		/* DEALER to the parent */
	void *up_mon;
	struct downlink down;	/* the children's ROUTER; its endpoint is where they connect */
	unsigned uplinks;	/* uplinks opened so far, to name their monitors */
	void *work;		/* PAIR to the worker thread */
	int sigfd;

	struct child *children;
	size_t nchildren, cap;
	struct inflight *inflight;	/* what each child may answer (inflight.h) */
	unsigned long dropped;		/* messages from below dropped: not theirs to send */

	struct beats beats;	/* heartbit reports (beats.h) */

	bool stopping;

	struct worker *worker;
	unsigned worker_busy;	/* pieces handed to the worker and not yet answered */
};

/* Runs the node until it ends; returns the exit status. */
int node_run(struct node *n);

#endif
