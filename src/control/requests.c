/* requests.c - the core of the request engine: queueing at their node, sending in order,
 * answering in order, taking lost subtrees out once settled. Creates are in requests_create.c,
 * exec streaming in requests_exec.c, liveness and losses in requests_live.c, holding subtrees that
 * move in requests_hold.c; the record and its lists in reqlist.c. */
#include "requests.h"
#include "requests_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heartbit.h"
#include "log.h"
#include "reqlist.h"
#include "topo.h"

void requests_print(struct requests *rq, uint64_t tag, const char *line, size_t len)
{
	rq->ops.print(rq->ops.arg, tag, line, len);
}

void requests_printf(struct requests *rq, const char *fmt, ...)
{
	struct buf line = { 0 };
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(&line, fmt, ap);
	va_end(ap);
	if (rc < 0)
		log_fatal("out of memory");
	requests_print(rq, rq->l.tag, line.data, line.len);
	buf_free(&line);
}

void requests_tag(struct requests *rq, uint64_t tag)
{
	rq->l.tag = tag;
}

int64_t requests_now(struct requests *rq)
{
	return rq->ops.now(rq->ops.arg);
}

/* Walks the tree; taking nodes out waits for the walk to end (settle). */
void requests_walk(struct requests *rq, int32_t id, void (*fn)(struct topo_node *, void *),
		   void *arg)
{
	rq->walking++;
	topo_walk(rq->topo, id, fn, arg);
	rq->walking--;
}

void requests_walk_sorted(struct requests *rq, void (*fn)(struct topo_node *, void *), void *arg)
{
	rq->walking++;
	topo_each_sorted(rq->topo, fn, arg);
	rq->walking--;
}

/* ---- deadlines ---- */

void requests_deadline_set(struct requests *rq, struct req *r)
{
	reqlist_deadline_in(&rq->l, r, requests_now(rq) + rq->timeout_ms);
}

/* ---- life of a request ---- */

uint32_t requests_new_id(struct requests *rq)
{
	return reqlist_new_id(&rq->l);
}


void requests_doom(struct requests *rq, int32_t id, bool kill)
{
	int32_t e[2] = { id, kill };
	if (buf_append(&rq->doomed, e, sizeof e) < 0)
		log_fatal("out of memory");
}

static void outstanding_dec(struct requests *rq, struct req *r)
{
	if (r->kind != RK_EXEC || !r->started || !r->q)
		return;
	struct nodeq *q = r->q;
	if (q->outstanding && --q->outstanding == 0)
		reqlist_busy(&rq->l, q, false);
}

/* Prints the answers at the front of q that are due: an answer waits for every ordered
 * request given before it. */
void requests_queue_flush(struct requests *rq, struct nodeq *q)
{
	for (struct req *r = TAILQ_FIRST(&q->queue), *next; r; r = next) {
		next = TAILQ_NEXT(r, qlink);
		if (r->done) {
			requests_print(rq, r->tag, r->line.data, r->line.len);
			reqlist_queue_unlink(q, r);
			reqlist_retire(&rq->l, r);
		} else if (reqlist_ordered(r)) {
			break;
		}
	}
}

/* r has its answer in r->line (empty: nothing to print). */
void requests_finish_line(struct requests *rq, struct req *r)
{
	outstanding_dec(rq, r);
	reqlist_del(&rq->l, r);
	reqlist_deadline_del(&rq->l, r);
	r->done = true;
	if (r->reshapes)
		requests_unfence(rq, r);
	buf_free(&r->stage);
	r->stage_off = 0;
	if (r->kind == RK_CREATE) {
		if (!r->line.data || strncmp(r->line.data, "Ok", 2) != 0) {
			requests_create_abort(rq, r);
			requests_doom(rq, r->node, false);	/* it never was */
		}
		if (r->admitted) {
			rq->spawning--;
			rq->admit = true;
		} else {
			reqlist_backlog_unlink(&rq->l, r);
		}
	}
	struct nodeq *q = r->q;
	if (reqlist_ordered(r)) {
		requests_queue_flush(rq, q);
	} else {
		struct pingall *g = r->group;
		if (r->line.len)
			requests_print(rq, r->tag, r->line.data, r->line.len);
		if (q)
			reqlist_queue_unlink(q, r);
		reqlist_retire(&rq->l, r);
		if (g && --g->waiting == 0)
			requests_pingall_done(rq, g);
	}
	if (q && rq->reshaping)
		requests_pump_reshapes_above(rq, q->id);	/* it may wait for this answer */
}

void requests_finish(struct requests *rq, struct req *r, const char *fmt, ...)
{
	if (r->done)
		return;
	va_list ap;
	va_start(ap, fmt);
	buf_reset(&r->line);
	int rc = buf_vprintf(&r->line, fmt, ap);
	va_end(ap);
	if (rc < 0)
		log_fatal("out of memory");
	requests_finish_line(rq, r);
}

static bool buried(struct requests *rq, int32_t id)
{
	struct topo_node *n = topo_get(rq->topo, id);
	return n && n->parent == TOPO_DEAD;
}

void requests_finish_unavailable(struct requests *rq, struct req *r)
{
	switch (r->kind) {
	case RK_EXEC:
		requests_finish(rq, r, "Error:%d: Node is unavailable", (int)r->node);
		break;
	case RK_PING:
		requests_finish(rq, r, "Ok: 0");
		break;
	case RK_KILL:	/* reachable or not, the node goes */
		requests_doom(rq, r->node, true);
		requests_finish(rq, r, "Ok");
		break;
	case RK_REMOVE:
		if (buried(rq, r->node)) {	/* dead, its children healed away: it just goes */
			requests_doom(rq, r->node, true);
			requests_finish(rq, r, "Ok");
		} else {
			requests_finish(rq, r, "Error: Node is unavailable");
		}
		break;
	case RK_CREATE:
		requests_finish(rq, r, "Error: Parent is unavailable");
		break;
	case RK_PINGALL:
		buf_append(&r->group->down, &r->node, sizeof r->node);
		requests_finish(rq, r, "%s", "");
		break;
	case RK_PROBE:
		requests_finish(rq, r, "%s", "");
		break;
	}
}

/* What waits at a node whose create failed: the node never was. */
void requests_finish_gone(struct requests *rq, struct req *r)
{
	switch (r->kind) {
	case RK_EXEC:
		requests_finish(rq, r, "Error:%d: Not found", (int)r->node);
		break;
	case RK_PING:
	case RK_KILL:
	case RK_REMOVE:
		requests_finish(rq, r, "Error: Not found");
		break;
	case RK_CREATE:
		requests_finish(rq, r, "Error: Parent not found");
		break;
	default:
		requests_finish_unavailable(rq, r);
		break;
	}
}

/* ---- sending ---- */

/* The path of r's messages: to its node, or for a create to the new node's parent. */
int requests_path(struct requests *rq, struct req *r)
{
	int32_t dest = r->node;
	if (r->path)
		return 0;
	if (r->kind == RK_CREATE)
		dest = r->via;
	size_t depth = topo_depth(rq->topo, dest);
	r->path = depth ? malloc(depth * sizeof *r->path) : NULL;
	if (!r->path)
		return -1;
	r->npath = topo_path(rq->topo, dest, r->path);
	return 0;
}

/* Sends one message of r down its path and notes the link it leaves by: its answers are
 * taken from that link only. -1 when it cannot go. */
int requests_send(struct requests *rq, struct req *r, uint8_t op, uint8_t flags, const void *body,
		  size_t len)
{
	if (requests_path(rq, r) < 0 || !r->npath)
		return -1;
	r->link = r->path[0];
	return rq->ops.send(rq->ops.arg, r->id, op, flags, r->path, r->npath, body, len);
}

/* requests_send, answering r as unavailable when it cannot go. */
int requests_send_or_fail(struct requests *rq, struct req *r, uint8_t op, uint8_t flags,
			  const void *body, size_t len)
{
	if (requests_send(rq, r, op, flags, body, len) < 0) {
		requests_finish_unavailable(rq, r);
		return -1;
	}
	return 0;
}

static void note_pending(struct topo_node *n, void *arg)
{
	if (n->state == NODE_PENDING)
		*(bool *)arg = true;
}

static bool subtree_starting(struct requests *rq, int32_t id)
{
	bool pending = false;
	requests_walk(rq, id, note_pending, &pending);
	return pending;
}

/* Sends the node's queue in order, as far as it can go now. */
void requests_pump(struct requests *rq, struct nodeq *q)
{
	struct topo_node *n = topo_get(rq->topo, q->id);
	if (!n || n->state != NODE_UP || q->held)
		return;
	while (q->send) {
		struct req *r = q->send;
		if (!r->done && !r->sent) {
			switch (r->kind) {
			case RK_EXEC:
				requests_exec_pump(rq, r);
				if (!r->done && !r->sent)
					return;	/* waits for arguments or credit */
				break;
			case RK_KILL:
				/* after the answers given before it, below it too */
				if (TAILQ_FIRST(&q->queue) != r || requests_subtree_busy(rq, r))
					return;
				r->sent = true;
				requests_finish_unavailable(rq, r);
				return;
			case RK_REMOVE:
				/* Holding the subtree must not hold a create the moves wait for. */
				if (TAILQ_FIRST(&q->queue) != r || subtree_starting(rq, r->node))
					return;
				r->sent = true;
				rq->ops.move_remove(rq->ops.arg, r->id,
						    r->node); /* answers it when done */
				return;
			case RK_CREATE: {
				unsigned char body[PROTO_MOVER_MAX];
				size_t len = requests_create_body(rq, r, body);
				r->sent = r->started = true;
				requests_deadline_set(rq, r);
				requests_send_or_fail(rq, r, OP_CREATE, 0, body, len);
				break;
			}
			default:
				r->sent = r->started = true;
				requests_deadline_set(rq, r);
				requests_send_or_fail(rq, r, OP_PING, 0, NULL, 0);
				break;
			}
		}
		if (q->send == r)
			q->send = TAILQ_NEXT(r, qlink);
	}
}

/* Queues r at node n and sends what can go. A lost node answers at once. */
void requests_submit(struct requests *rq, struct req *r, struct topo_node *n)
{
	struct nodeq *q = reqlist_nodeq(n);
	if (!r->pending)
		reqlist_put(&rq->l, r);
	reqlist_queue_append(q, r);
	if (n->state == NODE_LOST)
		requests_finish_unavailable(rq, r);
	else
		requests_pump(rq, q);
}

/* Calls fn for each request of q not yet answered. Answering one prints and retires the
 * answers queued behind it, so the queue is read first and each request looked up again. */
void requests_queue_each(struct requests *rq, struct nodeq *q, void (*fn)(struct req *, void *),
			 void *arg)
{
	struct buf ids = { 0 };
	for (struct req *r = TAILQ_FIRST(&q->queue); r; r = TAILQ_NEXT(r, qlink))
		if (!r->done && buf_append(&ids, &r->id, sizeof r->id) < 0)
			log_fatal("out of memory");
	for (size_t off = 0; off < ids.len; off += sizeof(uint32_t)) {
		uint32_t id;
		memcpy(&id, ids.data + off, sizeof id);
		struct req *r = reqlist_get(&rq->l, id);
		if (r && !r->done)
			fn(r, arg);
	}
	buf_free(&ids);
}

void requests_pump_reshapes_above(struct requests *rq, int32_t id)
{
	for (struct topo_node *a = topo_get(rq->topo, id); a; a = topo_get(rq->topo, a->parent)) {
		struct nodeq *q = a->user;
		if (q && q->send && (q->send->kind == RK_REMOVE || q->send->kind == RK_KILL))
			requests_pump(rq, q);
	}
}

/* ---- commands ---- */

void requests_node_request(struct requests *rq, enum req_kind kind, int32_t id)
{
	struct topo_node *n = topo_get(rq->topo, id);
	if (!n) {
		requests_printf(rq, "Error: Not found");
		return;
	}
	struct req *r = reqlist_new_req(&rq->l, kind, id);
	if (kind == RK_REMOVE || kind == RK_KILL)
		requests_fence(rq, r, id, true);	/* until its answer (finish_line) */
	requests_submit(rq, r, n);
}

void requests_remove(struct requests *rq, int32_t id)
{
	requests_node_request(rq, RK_REMOVE, id);
}

void requests_kill(struct requests *rq, int32_t id)
{
	requests_node_request(rq, RK_KILL, id);
}

/* ---- events ---- */

void requests_on_reply(struct requests *rq, int32_t from, const struct msg *m)
{
	struct req *r = reqlist_get(&rq->l, m->req);
	if (!r) {	/* answered already (timed out, or lost): late news is dropped */
		log_debug("answer to request %u on link %d: not awaited, dropped", m->req,
			  (int)from);
		return;
	}
	/* A node speaks for itself: the request must have gone down this link, and the answer
	 * must come from its node (a create's from the parent that starts it). */
	if (r->link != from || m->id != (r->kind == RK_CREATE ? r->via : r->node)) {
		requests_dropped(rq, "answer", m->id, from);
		return;
	}
	struct topo_node *n = topo_get(rq->topo, r->node);
	struct nodeq *q = n ? n->user : NULL;
	if (q && m->code != REP_UNAVAIL) {
		q->last_heard = requests_now(rq);
		heartbit_seen(rq->hb, r->node, q->last_heard);	/* any message counts as a report */
	}
	switch (r->kind) {
	case RK_EXEC:
		requests_exec_answer(rq, r, m);
		break;
	case RK_CREATE:
		requests_create_answer(rq, r, m);
		break;
	case RK_PROBE:
		if (q)
			q->probe = 0;
		/* fall through */
	default:
		if (m->code != REP_OK)
			requests_finish_unavailable(rq, r);
		else
			requests_finish(rq, r, r->kind == RK_PING ? "Ok: 1" : "%s", "");
		break;
	}
}

void requests_reap(struct requests *rq)
{
	reqlist_reap(&rq->l);
}

/* ---- time ---- */

size_t requests_pending(struct requests *rq)
{
	return reqlist_count(&rq->l);
}

struct requests *requests_new(struct topo *topo, struct heartbit *hb, int timeout_ms,
			      const struct requests_ops *ops)
{
	struct requests *rq = calloc(1, sizeof *rq);
	if (!rq)
		return NULL;
	rq->topo = topo;
	rq->hb = hb;
	rq->timeout_ms = timeout_ms;
	rq->ops = *ops;
	rq->next_tick = INT64_MAX;
	if (reqlist_init(&rq->l) < 0) {
		free(rq);
		return NULL;
	}
	return rq;
}

void requests_destroy(struct requests **rqp)
{
	struct requests *rq = *rqp;
	if (!rq)
		return;
	reqlist_free(&rq->l);
	buf_free(&rq->doomed);
	buf_free(&rq->dying);
	free(rq);
	*rqp = NULL;
}
