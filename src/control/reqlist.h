/* reqlist.h - the control node's request record and the lists it lives in; the request
 * engine's (requests.c, requests_*.c) alone. */
#ifndef MQTREE_REQLIST_H
#define MQTREE_REQLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/queue.h>

#include "buf.h"
#include "idmap.h"
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
	uint64_t tag;		/* the command's (requests_tag) */
	size_t waiting;
	struct buf down;	/* i32 ids of unavailable nodes */
};

TAILQ_HEAD(req_list, req);

struct req {
	uint32_t id;
	uint64_t tag;		/* the command it answers (requests_tag) */
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
	bool agent;		/* create: its host's agent was asked to start it */
	bool admitted;		/* create: holds a place in the spawn window */
	bool in_backlog;
	bool reshapes;		/* a remove, kill or list insertion: later commands that touch
				 * what it fences wait for its answer (requests_waits) */
	struct buf fence;	/* i32 ids of the nodes it fences */
	unsigned inflight;	/* exec pieces not yet credited */
	int32_t *path;
	size_t npath;
	struct buf stage;	/* exec arguments not yet sent, from stage_off */
	size_t stage_off;
	struct buf line;	/* the answer */
	TAILQ_ENTRY(req) qlink;	/* its node's queue, or the backlog of creates */
	TAILQ_ENTRY(req) dlink;	/* the deadline list */
	TAILQ_ENTRY(req) rlink;	/* once answered, the retired list */
};

/* Per node (topo_node.user). */
struct nodeq {
	int32_t id;
	struct req_list queue;
	struct req *send;	/* first request of the queue not fully sent */
	uint32_t create_req;	/* while the node is being created */
	size_t outstanding;	/* execs sent and not answered */
	int64_t quiet_since, last_heard;
	uint32_t probe;		/* probe in flight, 0 if none */
	int64_t probe_at;	/* when it was sent */
	unsigned held;		/* moves it is part of: nothing is sent until they are over */
	unsigned fenced;	/* unfinished reshapes that touch it (requests_waits) */
	int32_t spawner;	/* the node that started its process (TOPO_ROOT: us) */
	int32_t adopt, adopt_from;	/* list insertion: the child to take over once up */
	struct buf adopt_held;		/* and the nodes held for that (requests_hold) */
	TAILQ_ENTRY(nodeq) blink;	/* busy list: outstanding > 0 */
	bool busy;
};

/* The requests awaiting an answer, by id, and the lists they are in. */
struct reqlist {
	struct idmap table;
	uint32_t next_id;
	uint64_t tag;		/* given to the requests made now */
	struct req_list deadlines;	/* sorted by deadline */
	TAILQ_HEAD(, nodeq) busy;
	struct req_list backlog;	/* creates waiting for a place, in order */
	struct req_list retired; /* answered: freed by reqlist_reap, once nothing holds them */
};

int reqlist_init(struct reqlist *l);
void reqlist_free(struct reqlist *l);	/* retired ones too; pending ones must be answered */

bool reqlist_ordered(const struct req *r);

/* The table of requests awaiting an answer from the network; its size. */
struct req *reqlist_get(struct reqlist *l, uint32_t id);
void reqlist_put(struct reqlist *l, struct req *r);
void reqlist_del(struct reqlist *l, struct req *r);	/* no-op if not in it */
size_t reqlist_count(const struct reqlist *l);
/* Some request of the table (NULL: none). */
struct req *reqlist_any(const struct reqlist *l);

/* Deadlines, sorted; at is a clock_ms() time. */
void reqlist_deadline_in(struct reqlist *l, struct req *r, int64_t at);
void reqlist_deadline_del(struct reqlist *l, struct req *r);	/* no-op if none */

/* A node's record (created on first use), its queue, and the busy list. */
struct nodeq *reqlist_nodeq(struct topo_node *n);
void reqlist_busy(struct reqlist *l, struct nodeq *q, bool busy);
void reqlist_queue_append(struct nodeq *q, struct req *r);
void reqlist_queue_unlink(struct nodeq *q, struct req *r);

/* Creates waiting for a place in the spawn window, through their queue links. */
void reqlist_backlog_append(struct reqlist *l, struct req *r);
void reqlist_backlog_unlink(struct reqlist *l, struct req *r);

uint32_t reqlist_new_id(struct reqlist *l);
struct req *reqlist_new_req(struct reqlist *l, enum req_kind kind, int32_t node);
/* An answered request, out of the table and every list, is kept until reqlist_reap: answering
 * one request may answer others, and callers up the stack may still look at them. */
void reqlist_retire(struct reqlist *l, struct req *r);
void reqlist_reap(struct reqlist *l);

#endif
