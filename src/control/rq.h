/* rq.h - what the files of the request engine (requests.c and rq_*.c) share; nothing else
 * includes it. Every entry point of requests.h ends with rq_settle. */
#ifndef MQTREE_RQ_H
#define MQTREE_RQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reqlist.h"

struct ctl;
struct msg;

/* Why a subtree's requests are answered. */
enum fate {
	LOST,	/* dead or unreachable: unavailable */
	KILLED,	/* taken out by kill: unavailable, but pingall no longer counts it */
	GONE,	/* its create failed: it never was */
};

struct walk {
	struct ctl *c;
	enum fate fate;
};

/* Walks the tree; taking nodes out waits for the walk to end (rq_settle). */
void rq_walk(struct ctl *c, int32_t id, void (*fn)(struct topo_node *, void *), void *arg);
void rq_walk_sorted(struct ctl *c, void (*fn)(struct topo_node *, void *), void *arg);
/* Carries out what was decided while walking or answering: removals, admissions, moves. */
void rq_settle(struct ctl *c);

/* Answering. r has its answer in r->line (empty: nothing to print). */
void rq_finish_line(struct ctl *c, struct req *r);
void rq_finish(struct ctl *c, struct req *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rq_finish_unavailable(struct ctl *c, struct req *r);
void rq_finish_gone(struct ctl *c, struct req *r);
/* Calls fn for each request of q not yet answered (answering may retire others). */
void rq_queue_each(struct ctl *c, struct nodeq *q, void (*fn)(struct req *, void *), void *arg);
/* Node id and its subtree are to be taken out (kill) or never were (!kill), once settled. */
void rq_doom(struct ctl *c, int32_t id, bool kill);
void rq_deadline_set(struct ctl *c, struct req *r);

/* Sending: r's path (to its node; a create's to the parent), one message of r (noting the
 * link), and the same answering r as unavailable when it cannot go. */
int rq_path(struct ctl *c, struct req *r);
int rq_send(struct ctl *c, struct req *r, uint8_t op, uint8_t flags, const void *body, size_t len);
int rq_send_or_fail(struct ctl *c, struct req *r, uint8_t op, uint8_t flags, const void *body,
		    size_t len);
/* Sends the node's queue in order, as far as it can go now. */
void rq_pump(struct ctl *c, struct nodeq *q);
/* Queues r at node n and sends what can go; a lost node answers at once. */
void rq_submit(struct ctl *c, struct req *r, struct topo_node *n);
/* A ping, kill or remove of node id; `Error: Not found` when there is none. */
void rq_node_request(struct ctl *c, enum req_kind kind, int32_t id);
/* A remove waits while a node below it is starting; one came up, or went. */
void rq_pump_removes_above(struct ctl *c, int32_t parent);
/* Marks a node of a lost subtree (arg: struct walk) and answers what waits there. */
void rq_lose_one(struct topo_node *n, void *arg);

/* rq_create.c */
void rq_admit(struct ctl *c);
void rq_create_abort(struct ctl *c, struct req *r);
void rq_create_answer(struct ctl *c, struct req *r, const struct msg *m);
/* rq_exec.c */
void rq_exec_pump(struct ctl *c, struct req *r);
void rq_exec_answer(struct ctl *c, struct req *r, const struct msg *m);
/* rq_live.c */
void rq_pingall_done(struct ctl *c, struct pingall *g);

#endif
