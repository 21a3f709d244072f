/* rq.h - what the files of the request engine (requests.c and rq_*.c) share; nothing else
 * includes it. */
#ifndef MQTREE_RQ_H
#define MQTREE_RQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "reqlist.h"
#include "rq_ops.h"

struct msg;

struct requests {
	struct reqlist l;
	struct topo *topo;
	struct heartbit *hb;
	int timeout_ms;
	struct rq_ops ops;
	struct buf doomed;	/* (i32 id, i32 kill) pairs: nodes to take out once settled */
	size_t spawning;	/* creates admitted and not answered */
	bool admit;		/* a place came free: admit from the backlog when settled */
	int64_t next_tick;	/* liveness checks of busy nodes */
	int walking;		/* tree walks under way: nodes are taken out after them */
	size_t reshaping;	/* removes and kills given and not answered */
	unsigned long dropped;	/* messages dropped: not from where they claim to be */
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

/* The outside world (rq_ops). */
void rq_print(struct requests *rq, const char *line, size_t len);
void rq_puts(struct requests *rq, const char *line);
void rq_printf(struct requests *rq, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int64_t rq_now(struct requests *rq);

/* The per-node record requests keep (topo_node.user); freed with the node. */
void rq_node_free(struct topo_node *n, void *arg);

/* Walks the tree; taking nodes out waits for the walk to end (rq_settle). */
void rq_walk(struct requests *rq, int32_t id, void (*fn)(struct topo_node *, void *), void *arg);
void rq_walk_sorted(struct requests *rq, void (*fn)(struct topo_node *, void *), void *arg);
/* Carries out what was decided while walking or answering: removals, admissions, moves. */
void rq_settle(struct requests *rq);

/* Answering. r has its answer in r->line (empty: nothing to print). */
void rq_finish_line(struct requests *rq, struct req *r);
void rq_finish(struct requests *rq, struct req *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rq_finish_unavailable(struct requests *rq, struct req *r);
void rq_finish_gone(struct requests *rq, struct req *r);
/* Calls fn for each request of q not yet answered (answering may retire others). */
void rq_queue_each(struct requests *rq, struct nodeq *q, void (*fn)(struct req *, void *), void *arg);
/* Node id and its subtree are to be taken out (kill) or never were (!kill), once settled. */
void rq_doom(struct requests *rq, int32_t id, bool kill);
void rq_deadline_set(struct requests *rq, struct req *r);

/* Sending: r's path (to its node; a create's to the parent), one message of r (noting the
 * link), and the same answering r as unavailable when it cannot go. */
int rq_path(struct requests *rq, struct req *r);
int rq_send(struct requests *rq, struct req *r, uint8_t op, uint8_t flags, const void *body, size_t len);
int rq_send_or_fail(struct requests *rq, struct req *r, uint8_t op, uint8_t flags, const void *body,
		    size_t len);
/* Sends the node's queue in order, as far as it can go now. */
void rq_pump(struct requests *rq, struct nodeq *q);
/* Queues r at node n and sends what can go; a lost node answers at once. */
void rq_submit(struct requests *rq, struct req *r, struct topo_node *n);
/* A ping, kill or remove of node id; `Error: Not found` when there is none. */
void rq_node_request(struct requests *rq, enum req_kind kind, int32_t id);
/* A remove waits while a node below it is starting; one came up, or went. */
void rq_pump_removes_above(struct requests *rq, int32_t parent);
/* Marks a node of a lost subtree (arg: struct walk) and answers what waits there. */
void rq_lose_one(struct topo_node *n, void *arg);

/* rq_create.c */
void rq_admit(struct requests *rq);
void rq_create_abort(struct requests *rq, struct req *r);
void rq_create_answer(struct requests *rq, struct req *r, const struct msg *m);
/* rq_exec.c */
void rq_exec_pump(struct requests *rq, struct req *r);
void rq_exec_answer(struct requests *rq, struct req *r, const struct msg *m);
/* rq_live.c */
void rq_pingall_done(struct requests *rq, struct pingall *g);

#endif
