/* requests_impl.h - what the files of the request engine (requests.c and requests_*.c) share;
 * nothing else includes it. */
#ifndef MQTREE_RQ_H
#define MQTREE_RQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "reqlist.h"
#include "requests_ops.h"

struct msg;

struct requests {
	struct reqlist l;
	struct topo *topo;
	struct heartbit *hb;
	int timeout_ms;
	struct requests_ops ops;
	struct buf doomed;	/* (i32 id, i32 kill) pairs: nodes to take out once settled */
	size_t spawning;	/* creates admitted and not answered */
	bool admit;		/* a place came free: admit from the backlog when settled */
	int64_t next_tick;	/* liveness checks of busy nodes */
	int walking;		/* tree walks under way: nodes are taken out after them */
	size_t reshaping;	/* removes and kills given and not answered */
	unsigned long dropped;	/* messages dropped: not from where they claim to be */
	bool heal;		/* --heal: a dead node's children live on (requests_heal.c) */
	struct buf dying;	/* i32 ids of depth-1 nodes ended by pid whose connection may
				 * still hold the id on our link: a new node of that id waits
				 * (requests_waits) */
};

/* Why a subtree's requests are answered. */
enum fate {
	LOST,	/* dead or unreachable: unavailable */
	KILLED,	/* taken out by kill: unavailable, but pingall no longer counts it */
	GONE,	/* its create failed: it never was */
};

struct walk {
	struct requests *rq;
	enum fate fate;
};

/* The outside world (requests_ops). */
void requests_print(struct requests *rq, uint64_t tag, const char *line, size_t len);
/* An answer to the command being given now. */
void requests_printf(struct requests *rq, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int64_t requests_now(struct requests *rq);

/* The per-node record requests keep (topo_node.user); freed with the node. */
void requests_node_free(struct topo_node *n, void *arg);

/* Walks the tree; taking nodes out waits for the walk to end (requests_settle). */
void requests_walk(struct requests *rq, int32_t id, void (*fn)(struct topo_node *, void *),
		   void *arg);
void requests_walk_sorted(struct requests *rq, void (*fn)(struct topo_node *, void *), void *arg);
/* Carries out what was decided while walking or answering: removals, admissions, moves. */
void requests_settle(struct requests *rq);

/* Prints the answers at the front of q that are due (ordered ones wait for their turn). */
void requests_queue_flush(struct requests *rq, struct nodeq *q);
/* Answering. r has its answer in r->line (empty: nothing to print). */
void requests_finish_line(struct requests *rq, struct req *r);
void requests_finish(struct requests *rq, struct req *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void requests_finish_unavailable(struct requests *rq, struct req *r);
void requests_finish_gone(struct requests *rq, struct req *r);
/* Calls fn for each request of q not yet answered (answering may retire others). */
void requests_queue_each(struct requests *rq, struct nodeq *q, void (*fn)(struct req *, void *),
			 void *arg);
/* Node id and its subtree are to be taken out (kill) or never were (!kill), once settled. */
void requests_doom(struct requests *rq, int32_t id, bool kill);
void requests_deadline_set(struct requests *rq, struct req *r);

/* Sending: r's path (to its node; a create's to the parent), one message of r (noting the
 * link), and the same answering r as unavailable when it cannot go. */
int requests_path(struct requests *rq, struct req *r);
int requests_send(struct requests *rq, struct req *r, uint8_t op, uint8_t flags, const void *body,
		  size_t len);
int requests_send_or_fail(struct requests *rq, struct req *r, uint8_t op, uint8_t flags,
			  const void *body, size_t len);
/* Sends the node's queue in order, as far as it can go now. */
void requests_pump(struct requests *rq, struct nodeq *q);
/* Queues r at node n and sends what can go; a lost node answers at once. */
void requests_submit(struct requests *rq, struct req *r, struct topo_node *n);
/* A ping, kill or remove of node id; `Error: Not found` when there is none. */
void requests_node_request(struct requests *rq, enum req_kind kind, int32_t id);
/* A kill or remove waits for what was given before it below its node; something there was
 * answered, came up or went: the kill or remove at node id or above may go on. */
void requests_pump_reshapes_above(struct requests *rq, int32_t id);
/* r reshapes the tree: fences node id's subtree (only id itself when !subtree) until it is
 * answered. */
void requests_fence(struct requests *rq, struct req *r, int32_t id, bool subtree);
void requests_unfence(struct requests *rq, struct req *r);
/* Forgets the ended depth-1 nodes whose connection is closed now; whether one of id (or any,
 * for TOPO_NONE) is still open. */
bool requests_dying(struct requests *rq, int32_t id);
/* Something given before r is still unanswered in its node's subtree (a kill waits). */
bool requests_subtree_busy(struct requests *rq, struct req *r);
/* Marks a node of a lost subtree (arg: struct walk) and answers what waits there. */
void requests_lose_one(struct topo_node *n, void *arg);

/* requests_create.c */
void requests_admit(struct requests *rq);
void requests_create_abort(struct requests *rq, struct req *r);
/* An OP_CREATE's body: with the key of the new node's host when its parent is elsewhere. */
size_t requests_create_body(struct requests *rq, struct req *r,
			    unsigned char out[PROTO_MOVER_MAX]);
void requests_create_answer(struct requests *rq, struct req *r, const struct msg *m);
/* requests_exec.c */
void requests_exec_pump(struct requests *rq, struct req *r);
void requests_exec_answer(struct requests *rq, struct req *r, const struct msg *m);
/* requests_heal.c: with --heal, node n (UP, with children) died: true when its children are
 * being healed around it (it alone is lost), false when n and its subtree are lost. */
bool requests_heal_lost(struct requests *rq, struct topo_node *n);
/* requests_live.c */
void requests_pingall_done(struct requests *rq, struct pingall *g);

#endif
