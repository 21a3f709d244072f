/* requests.c - the core of the request engine: queueing at their node, sending in order,
 * answering in order, taking lost subtrees out once settled. Creates are in rq_create.c,
 * exec streaming in rq_exec.c, liveness and losses in rq_live.c, holding subtrees that move
 * in rq_hold.c; the record and its lists in reqlist.c. */
#include "requests.h"
#include "rq.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "control.h"
#include "heartbit.h"
#include "log.h"
#include "moves.h"
#include "proc.h"
#include "reqlist.h"
#include "topo.h"

/* Walks the tree; taking nodes out waits for the walk to end (settle). */
void rq_walk(struct ctl *c, int32_t id, void (*fn)(struct topo_node *, void *), void *arg)
{
	c->rq->walking++;
	topo_walk(c->topo, id, fn, arg);
	c->rq->walking--;
}

void rq_walk_sorted(struct ctl *c, void (*fn)(struct topo_node *, void *), void *arg)
{
	c->rq->walking++;
	topo_each_sorted(c->topo, fn, arg);
	c->rq->walking--;
}

/* ---- deadlines ---- */

void rq_deadline_set(struct ctl *c, struct req *r)
{
	reqlist_deadline_in(c->rq, r, clock_ms() + c->timeout_ms);
}

/* ---- life of a request ---- */

uint32_t rq_new_id(struct ctl *c)
{
	return reqlist_new_id(c->rq);
}


void rq_doom(struct ctl *c, int32_t id, bool kill)
{
	struct requests *rq = c->rq;
	int32_t e[2] = { id, kill };
	if (buf_append(&rq->doomed, e, sizeof e) < 0)
		fatal("out of memory");
}

static void outstanding_dec(struct ctl *c, struct req *r)
{
	if (r->kind != RK_EXEC || !r->started || !r->q)
		return;
	struct nodeq *q = r->q;
	if (q->outstanding && --q->outstanding == 0)
		reqlist_busy(c->rq, q, false);
}

/* Prints the answers at the front of q that are due: an answer waits for every ordered
 * request given before it. */
static void queue_flush(struct ctl *c, struct nodeq *q)
{
	for (struct req *r = q->head, *next; r; r = next) {
		next = r->qnext;
		if (r->done) {
			out_line(c, r->line.data, r->line.len);
			reqlist_queue_unlink(q, r);
			reqlist_retire(c->rq, r);
		} else if (reqlist_ordered(r)) {
			break;
		}
	}
}

/* r has its answer in r->line (empty: nothing to print). */
void rq_finish_line(struct ctl *c, struct req *r)
{
	outstanding_dec(c, r);
	reqlist_del(c->rq, r);
	reqlist_deadline_del(c->rq, r);
	r->done = true;
	if (r->kind == RK_REMOVE || r->kind == RK_KILL)
		c->rq->reshaping--;
	buf_free(&r->stage);
	r->stage_off = 0;
	if (r->kind == RK_CREATE) {
		if (!r->line.data || strncmp(r->line.data, "Ok", 2) != 0) {
			rq_create_abort(c, r);
			rq_doom(c, r->node, false);	/* it never was */
		}
		if (r->admitted) {
			c->rq->spawning--;
			c->rq->admit = true;
		} else {
			reqlist_backlog_unlink(c->rq, r);
		}
	}
	struct nodeq *q = r->q;
	if (reqlist_ordered(r)) {
		queue_flush(c, q);
	} else {
		struct pingall *g = r->group;
		if (r->line.len)
			out_line(c, r->line.data, r->line.len);
		if (q)
			reqlist_queue_unlink(q, r);
		reqlist_retire(c->rq, r);
		if (g && --g->waiting == 0)
			rq_pingall_done(c, g);
	}
	if (q && q->send && (q->send->kind == RK_KILL || q->send->kind == RK_REMOVE))
		rq_pump(c, q);	/* waiting for this answer */
}

void rq_finish(struct ctl *c, struct req *r, const char *fmt, ...)
{
	if (r->done)
		return;
	va_list ap;
	va_start(ap, fmt);
	char tmp[256];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	buf_reset(&r->line);
	if (n > 0)
		buf_append(&r->line, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
	rq_finish_line(c, r);
}

void rq_finish_unavailable(struct ctl *c, struct req *r)
{
	switch (r->kind) {
	case RK_EXEC:
		rq_finish(c, r, "Error:%d: Node is unavailable", (int)r->node);
		break;
	case RK_PING:
		rq_finish(c, r, "Ok: 0");
		break;
	case RK_KILL:	/* reachable or not, the node goes */
		rq_doom(c, r->node, true);
		rq_finish(c, r, "Ok");
		break;
	case RK_REMOVE:
		rq_finish(c, r, "Error: Node is unavailable");
		break;
	case RK_CREATE:
		rq_finish(c, r, "Error: Parent is unavailable");
		break;
	case RK_PINGALL:
		buf_append(&r->group->down, &r->node, sizeof r->node);
		rq_finish(c, r, "%s", "");
		break;
	case RK_PROBE:
		rq_finish(c, r, "%s", "");
		break;
	}
}

/* What waits at a node whose create failed: the node never was. */
void rq_finish_gone(struct ctl *c, struct req *r)
{
	switch (r->kind) {
	case RK_EXEC:
		rq_finish(c, r, "Error:%d: Not found", (int)r->node);
		break;
	case RK_PING:
	case RK_KILL:
	case RK_REMOVE:
		rq_finish(c, r, "Error: Not found");
		break;
	case RK_CREATE:
		rq_finish(c, r, "Error: Parent not found");
		break;
	default:
		rq_finish_unavailable(c, r);
		break;
	}
}

/* ---- sending ---- */

/* The path of r's messages: to its node, or for a create to the new node's parent. */
int rq_path(struct ctl *c, struct req *r)
{
	int32_t dest = r->node;
	if (r->path)
		return 0;
	if (r->kind == RK_CREATE)
		dest = r->via;
	size_t depth = topo_depth(c->topo, dest);
	r->path = depth ? malloc(depth * sizeof *r->path) : NULL;
	if (!r->path)
		return -1;
	r->npath = topo_path(c->topo, dest, r->path);
	return 0;
}

/* Sends one message of r down its path and notes the link it leaves by: its answers are
 * taken from that link only. -1 when it cannot go. */
int rq_send(struct ctl *c, struct req *r, uint8_t op, uint8_t flags, const void *body,
		    size_t len)
{
	if (rq_path(c, r) < 0 || !r->npath)
		return -1;
	r->link = r->path[0];
	return ctl_send_req(c, r->id, op, flags, r->path, r->npath, body, len);
}

/* rq_send, answering r as unavailable when it cannot go. */
int rq_send_or_fail(struct ctl *c, struct req *r, uint8_t op, uint8_t flags, const void *body,
		    size_t len)
{
	if (rq_send(c, r, op, flags, body, len) < 0) {
		rq_finish_unavailable(c, r);
		return -1;
	}
	return 0;
}

static void note_pending(struct topo_node *n, void *arg)
{
	if (n->state == NODE_PENDING)
		*(bool *)arg = true;
}

static bool subtree_starting(struct ctl *c, int32_t id)
{
	bool pending = false;
	rq_walk(c, id, note_pending, &pending);
	return pending;
}

/* Sends the node's queue in order, as far as it can go now. */
void rq_pump(struct ctl *c, struct nodeq *q)
{
	struct topo_node *n = topo_get(c->topo, q->id);
	if (!n || n->state != NODE_UP || q->held)
		return;
	while (q->send) {
		struct req *r = q->send;
		if (!r->done && !r->sent) {
			switch (r->kind) {
			case RK_EXEC:
				rq_exec_pump(c, r);
				if (!r->done && !r->sent)
					return;	/* waits for arguments or credit */
				break;
			case RK_KILL:
				if (q->head != r)
					return;	/* after the answers given before it */
				r->sent = true;
				rq_finish_unavailable(c, r);
				return;
			case RK_REMOVE:
				/* Holding the subtree must not hold a create the moves wait for. */
				if (q->head != r || subtree_starting(c, r->node))
					return;
				r->sent = true;
				mv_remove(c, r->id, r->node);	/* answers it when done */
				return;
			case RK_CREATE: {
				unsigned char body[4];
				proto_put_i32(body, r->node);
				r->sent = r->started = true;
				rq_deadline_set(c, r);
				rq_send_or_fail(c, r, OP_CREATE, 0, body, sizeof body);
				break;
			}
			default:
				r->sent = r->started = true;
				rq_deadline_set(c, r);
				rq_send_or_fail(c, r, OP_PING, 0, NULL, 0);
				break;
			}
		}
		if (q->send == r)
			q->send = r->qnext;
	}
}

/* Queues r at node n and sends what can go. A lost node answers at once. */
void rq_submit(struct ctl *c, struct req *r, struct topo_node *n)
{
	struct nodeq *q = reqlist_nodeq(n);
	if (!r->pending)
		reqlist_put(c->rq, r);
	reqlist_queue_append(q, r);
	if (n->state == NODE_LOST)
		rq_finish_unavailable(c, r);
	else
		rq_pump(c, q);
}

/* Calls fn for each request of q not yet answered. Answering one prints and retires the
 * answers queued behind it, so the queue is read first and each request looked up again. */
void rq_queue_each(struct ctl *c, struct nodeq *q, void (*fn)(struct req *, void *),
		       void *arg)
{
	struct buf ids = { 0 };
	for (struct req *r = q->head; r; r = r->qnext)
		if (!r->done && buf_append(&ids, &r->id, sizeof r->id) < 0)
			fatal("out of memory");
	for (size_t off = 0; off < ids.len; off += sizeof(uint32_t)) {
		uint32_t id;
		memcpy(&id, ids.data + off, sizeof id);
		struct req *r = reqlist_get(c->rq, id);
		if (r && !r->done)
			fn(r, arg);
	}
	buf_free(&ids);
}

static void lose_req(struct req *r, void *arg)
{
	struct walk *w = arg;
	if (w->fate == GONE)
		rq_finish_gone(w->c, r);
	else if (w->fate == KILLED && r->kind == RK_PINGALL)
		rq_finish(w->c, r, "%s", "");
	else
		rq_finish_unavailable(w->c, r);
}

/* Marks one node of a lost (or never created) subtree and answers what waits there. */
void rq_lose_one(struct topo_node *n, void *arg)
{
	struct walk *w = arg;
	struct nodeq *q = n->user;
	n->state = NODE_LOST;
	if (!q)
		return;
	rq_queue_each(w->c, q, lose_req, w);
	struct req *cr = q->create_req ? reqlist_get(w->c->rq, q->create_req) : NULL;
	if (cr && w->fate == GONE)	/* being created under a parent that never was */
		rq_finish_gone(w->c, cr);
	else if (cr)	/* being created under a lost parent */
		rq_finish_unavailable(w->c, cr);
}

static void kill_one(struct topo_node *n, void *arg)
{
	(void)arg;
	proc_kill(n->pid, n->id);
}

void rq_node_free(struct topo_node *n, void *arg)
{
	struct ctl *c = arg;
	struct nodeq *q = n->user;
	hb_forget(c->hb, n->id);
	if (!q)
		return;
	queue_flush(c, q);	/* answers that were waiting for their turn */
	for (struct req *r = q->head, *next; r; r = next) {
		next = r->qnext;
		reqlist_retire(c->rq, r);
	}
	reqlist_busy(c->rq, q, false);
	buf_free(&q->adopt_held);	/* those nodes were below it: they go with it */
	free(q);
	n->user = NULL;
}

/* Takes node id and its subtree out of the tree: their requests are answered (parents
 * first, so answers come top down) and their processes end by pid. */
/* A remove waits while a node below it is starting; one has come up, or gone. */
void rq_pump_removes_above(struct ctl *c, int32_t parent)
{
	for (struct topo_node *a = topo_get(c->topo, parent); a; a = topo_get(c->topo, a->parent))
		if (a->user && ((struct nodeq *)a->user)->send &&
		    ((struct nodeq *)a->user)->send->kind == RK_REMOVE)
			rq_pump(c, a->user);
}

static void remove_subtree(struct ctl *c, int32_t id, enum fate fate)
{
	struct walk w = { c, fate };
	struct topo_node *n = topo_get(c->topo, id);
	int32_t parent = n ? n->parent : TOPO_NONE;
	rq_walk(c, id, rq_lose_one, &w);
	rq_walk(c, id, kill_one, NULL);
	topo_delete(c->topo, id, rq_node_free, c);
	rq_pump_removes_above(c, parent);
}

/* Carries out removals decided while walking the tree or answering, when nothing is being
 * walked any more. Every public entry point ends here. */

void rq_settle(struct ctl *c)
{
	struct requests *rq = c->rq;
	struct buf *d = &rq->doomed;
	if (rq->walking || rq->settling)
		return;	/* the call outside it settles */
	rq->settling = true;
	for (;;) {
		if (!d->len) {
			if (rq->admit)
				rq_admit(c);
			else if (!mv_start(c))
				break;
			continue;
		}
		int32_t e[2];	/* taken off the front: what this adds is handled too */
		memcpy(e, d->data, sizeof e);
		memmove(d->data, d->data + sizeof e, d->len - sizeof e);
		d->len -= sizeof e;
		struct topo_node *n = topo_get(c->topo, e[0]);
		struct nodeq *q = n ? n->user : NULL;
		if (!n)
			continue;
		if (q && q->adopt != TOPO_NONE && topo_get(c->topo, q->adopt)) {
			/* it never came up: the child it was to take over stays where it is */
			topo_move(c->topo, q->adopt, q->adopt_from, 0);
			q->adopt = TOPO_NONE;
			rq_release(c, &q->adopt_held);
		}
		remove_subtree(c, e[0], e[1] ? KILLED : GONE);
	}
	rq->settling = false;
}

/* ---- commands ---- */

void rq_node_request(struct ctl *c, enum req_kind kind, int32_t id)
{
	struct topo_node *n = topo_get(c->topo, id);
	if (!n) {
		out_puts(c, "Error: Not found");
		return;
	}
	if (kind == RK_REMOVE || kind == RK_KILL)
		c->rq->reshaping++;	/* until its answer (finish_line) */
	rq_submit(c, reqlist_new_req(c->rq, kind, id), n);
	rq_settle(c);
}

void rq_remove(struct ctl *c, int32_t id)
{
	rq_node_request(c, RK_REMOVE, id);
}

bool rq_structure_busy(struct ctl *c)
{
	return c->rq->reshaping > 0;
}

void rq_kill(struct ctl *c, int32_t id)
{
	rq_node_request(c, RK_KILL, id);
}

/* ---- events ---- */

void rq_on_reply(struct ctl *c, int32_t from, const struct msg *m)
{
	struct req *r = reqlist_get(c->rq, m->req);
	if (!r) {	/* answered already (timed out, or lost): late news is dropped */
		log_debug("answer to request %u on link %d: not awaited, dropped", m->req, (int)from);
		return;
	}
	/* A node speaks for itself: the request must have gone down this link, and the answer
	 * must come from its node (a create's from the parent that starts it). */
	if (r->link != from || m->id != (r->kind == RK_CREATE ? r->via : r->node)) {
		rq_dropped(c, "answer", m->id, from);
		return;
	}
	struct topo_node *n = topo_get(c->topo, r->node);
	struct nodeq *q = n ? n->user : NULL;
	if (q && m->code != REP_UNAVAIL) {
		q->last_heard = clock_ms();
		hb_seen(c->hb, r->node, q->last_heard);	/* any message counts as a report */
	}
	switch (r->kind) {
	case RK_EXEC:
		rq_exec_answer(c, r, m);
		break;
	case RK_CREATE:
		rq_create_answer(c, r, m);
		break;
	case RK_PROBE:
		if (q)
			q->probe = 0;
		/* fall through */
	default:
		if (m->code != REP_OK)
			rq_finish_unavailable(c, r);
		else
			rq_finish(c, r, r->kind == RK_PING ? "Ok: 1" : "%s", "");
		break;
	}
	rq_settle(c);
}

void rq_reap(struct ctl *c)
{
	reqlist_reap(c->rq);
}

/* ---- time ---- */

size_t rq_pending(struct ctl *c)
{
	return c->rq->count;
}

static void fail_req(struct req *r, void *arg)
{
	rq_finish_unavailable(arg, r);
}

static void fail_one(struct topo_node *n, void *arg)
{
	if (n->user)
		rq_queue_each(arg, n->user, fail_req, arg);
}

void rq_fail_all(struct ctl *c)
{
	rq_walk_sorted(c, fail_one, c);
	while (c->rq->count) {	/* what is not queued: depth-1 creates, probes */
		for (size_t i = 0; i < c->rq->nbuckets; i++)
			if (c->rq->table[i])
				rq_finish_unavailable(c, c->rq->table[i]);
	}
	rq_settle(c);
}

void rq_kill_all(struct ctl *c)
{
	size_t n;
	while (topo_roots(c->topo, &n), n)
		remove_subtree(c, topo_roots(c->topo, &n)[0], KILLED);
}

struct requests *rq_new(struct ctl *c)
{
	struct requests *rq = calloc(1, sizeof *rq);
	if (!rq)
		return NULL;
	rq->nbuckets = 256;
	rq->table = calloc(rq->nbuckets, sizeof *rq->table);
	rq->next_tick = INT64_MAX;
	if (!rq->table) {
		free(rq);
		return NULL;
	}
	(void)c;
	return rq;
}

void rq_destroy(struct requests **rqp)
{
	struct requests *rq = *rqp;
	if (!rq)
		return;
	reqlist_reap(rq);
	free(rq->table);
	buf_free(&rq->doomed);
	free(rq);
	*rqp = NULL;
}
