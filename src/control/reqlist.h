/* reqlist.h - the control node's request record and its lists; private to requests.c. */
#ifndef MQTREE_REQLIST_H
#define MQTREE_REQLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "requests.h"
#include "topo.h"

enum req_kind {
	RK_EXEC,
	RK_PING,
	RK_KILL,	/* carried out locally once the answers before it are in */
	RK_REMOVE,	/* likewise, by a move job (moves.c) */
	RK_CREATE,	/* queued at the parent; `node` is the new node */
	RK_PINGALL,	/* one probe of a pingall; `group` collects them */
	RK_PROBE,	/* liveness probe for a node with execs outstanding; prints nothing */
};

struct pingall {
	size_t waiting;
	struct buf down;	/* i32 ids of unavailable nodes */
};

struct req {
	uint32_t id;
	enum req_kind kind;
	int32_t node;
	int32_t via;		/* create: the parent it was placed under (the model may move on) */
	int32_t link;		/* the depth-1 node it was sent through: answers come from there
				 * only (TOPO_NONE until sent) */
	struct nodeq *q;	/* queue it waits in; NULL for probes and depth-1 creates */
	struct pingall *group;
	int64_t deadline;	/* INT64_MAX: none */
	bool pending;		/* in the table: an answer from the network is awaited */
	bool done;		/* answered; printed once its turn comes */
	bool started;		/* first message sent */
	bool ended;		/* exec: all arguments given */
	bool sent;		/* everything sent */
	bool admitted;		/* create: holds a place in the spawn window */
	unsigned inflight;	/* exec pieces not yet credited */
	int32_t *path;
	size_t npath;
	struct buf stage;	/* exec arguments not yet sent, from stage_off */
	size_t stage_off;
	struct buf line;	/* the answer */
	struct req *hnext;	/* table chain; once answered, the retired list */
	struct req *qprev, *qnext;
	struct req *dprev, *dnext;	/* deadline list */
};

/* Per node (topo_node.user). */
struct nodeq {
	int32_t id;
	struct req *head, *tail;
	struct req *send;	/* first request of the queue not fully sent */
	uint32_t create_req;	/* while the node is being created */
	size_t outstanding;	/* execs sent and not answered */
	int64_t quiet_since, last_heard;
	uint32_t probe;		/* probe in flight, 0 if none */
	int64_t probe_at;	/* when it was sent */
	unsigned held;		/* moves it is part of: nothing is sent until they are over */
	int32_t spawner;	/* the node that started its process (TOPO_ROOT: us) */
	int32_t adopt, adopt_from;	/* list insertion: the child to take over once up */
	struct buf adopt_held;		/* and the nodes held for that (rq_hold) */
	struct nodeq *bprev, *bnext;	/* busy list: outstanding > 0 */
	bool busy;
};

struct requests {
	struct topo *topo;
	struct heartbit *hb;
	int timeout_ms;
	struct rq_ops ops;
	struct req **table;
	size_t nbuckets, count;
	uint32_t next_id;
	struct req *dhead, *dtail;
	struct nodeq *busy;
	struct buf doomed;	/* (i32 id, i32 kill) pairs: nodes to take out once settled */
	size_t spawning;	/* creates admitted and not answered */
	bool admit;		/* a place came free: admit from the backlog when settled */
	struct req *backlog, *backlog_tail;	/* creates waiting for a place (queue links) */
	int64_t next_tick;	/* liveness checks of busy nodes */
	int walking;		/* tree walks under way: nodes are taken out after them */
	size_t reshaping;	/* removes and kills given and not answered */
	struct req *retired;	/* answered: freed by reqlist_reap, once nothing holds them */
	unsigned long dropped;	/* messages dropped: not from where they claim to be */
};

bool reqlist_ordered(const struct req *r);

/* The table of requests awaiting an answer from the network. */
struct req *reqlist_get(struct requests *rq, uint32_t id);
void reqlist_put(struct requests *rq, struct req *r);
void reqlist_del(struct requests *rq, struct req *r);	/* no-op if not in it */

/* Deadlines, sorted; at is a clock_ms() time. */
void reqlist_deadline_in(struct requests *rq, struct req *r, int64_t at);
void reqlist_deadline_del(struct requests *rq, struct req *r);	/* no-op if none */

/* A node's record (created on first use), its queue, and the busy list. */
struct nodeq *reqlist_nodeq(struct topo_node *n);
void reqlist_busy(struct requests *rq, struct nodeq *q, bool busy);
void reqlist_queue_append(struct nodeq *q, struct req *r);
void reqlist_queue_unlink(struct nodeq *q, struct req *r);

/* Creates waiting for a place in the spawn window, through their queue links. */
void reqlist_backlog_append(struct requests *rq, struct req *r);
void reqlist_backlog_unlink(struct requests *rq, struct req *r);

uint32_t reqlist_new_id(struct requests *rq);
struct req *reqlist_new_req(struct requests *rq, enum req_kind kind, int32_t node);
/* An answered request, out of the table and every list, is kept until reqlist_reap: answering
 * one request may answer others, and callers up the stack may still look at them. */
void reqlist_retire(struct requests *rq, struct req *r);
void reqlist_reap(struct requests *rq);

#endif
