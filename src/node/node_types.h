/* node_types.h - a compute node's state: what its loop (node.c), its children's records
 * (child.c) and its links to other hosts (remote.c) share. */
#ifndef MQTREE_NODE_TYPES_H
#define MQTREE_NODE_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "beats.h"
#include "buf.h"
#include "cmdset.h"
#include "downlink.h"
#include "keys.h"
#include "rundir.h"

enum child_state {
	CHILD_SPAWNED,	/* started here; its HELLO is awaited */
	CHILD_EXPECTED,	/* told it will move here (OP_EXPECT); its HELLO is awaited */
	CHILD_UP,
	CHILD_MOVED,	/* started here, moved away: its exit is still ours to report */
	CHILD_ORPHAN,	/* --heal: its parent died and it came here, its grandparent; it waits
			 * for the control node to adopt it (OP_EXPECT) or end it (OP_ABORT) */
};

/* Where a node's uplink goes (uplink.h). */
enum uplink_to {
	UPLINK_PARENT,
	UPLINK_GRAND,	/* the parent died: to its parent, as an orphan */
	UPLINK_CONTROL,	/* the parent died, and the grandparent too or it is not known */
};

struct child {
	int32_t id;
	pid_t pid;		/* its process (started here, or told by OP_EXPECT) */
	uint32_t create_req;	/* the OP_CREATE that started it, until its HELLO */
	enum child_state state;
	bool spawned;		/* its process is a child of this one */
	char key[KEYS_Z85];	/* on another host: that host's key, which its link must carry;
				 * "" on this one */
};

/* The last losses of children told up: told again when the uplink changes because the parent
 * died, which may not have passed them on (child.h). */
#define CHILD_LOSSES 32
struct child_loss {
	int32_t id;
	pid_t pid;
};

struct node {
	int32_t id;
	const char *parent_endpoint;
	const char *dir;	/* the instance's run directory (rundir.h) */
	const struct cmdset *set;
	char program[4096];	/* this executable, to start children */

	/* Links to other hosts (remote.h); with no key this node has none. */
	const char *key_file;	/* this host's key pair */
	const char *server_key;	/* the parent's host key, when the parent is on another host */
	const char *address;	/* this host's address, to listen for children elsewhere */
	const char *control;	/* on another host: where an orphan asks the control node */
	const char *control_key;	/* and that host's key */
	int timeout_ms;		/* silence that ends a link to another host */
	pid_t agent;		/* the host's agent that started it (0: none): ends with it */
	bool has_key;
	struct keypair kp;
	struct zap *zap;	/* who may connect from other hosts: opened with the listener */

	struct rundir run;
	void *ctx;
	void *up;		/* DEALER to the parent */
	void *up_mon;
	char up_endpoint[256];	/* where it goes, also written to up_fd for its children */
	int up_fd;		/* (rundir_open_up); -1 if none */
	char gone_endpoint[256];	/* the dead parent's, dropped from up (uplink.c) */
	enum uplink_to orphan;	/* whether the parent died (uplink.h) */
	struct downlink down;	/* the children's ROUTER; its endpoint is where they connect */
	unsigned uplinks;	/* uplinks opened so far, to name their monitors */
	void *work;		/* PAIR to the worker thread */
	int sigfd;

	struct child *children;
	size_t nchildren, cap;
	struct buf orphan_news;	/* from orphans here, not yet passed on (child.h) */
	struct child_loss losses[CHILD_LOSSES];	/* a ring: the oldest is overwritten */
	unsigned nlosses;			/* told so far */
	struct inflight *inflight;	/* what each child may answer (inflight.h) */
	unsigned long dropped;		/* messages from below dropped: not theirs to send */

	struct beats beats;	/* heartbit reports (beats.h) */

	bool stopping;

	struct worker *worker;
	unsigned worker_busy;	/* pieces handed to the worker and not yet answered */
};

#endif
