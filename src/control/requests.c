/* requests.c - what the control node's requests do: queueing at their node, sending in
 * order, answering in order, failing when their node is lost or silent, creates admitted to
 * the spawn window, removals decided while walking carried out once settled. The record and
 * its lists are in reqlist.c. */
#include "requests.h"

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

#define EXEC_PIECE (64 * 1024)		/* bytes of exec arguments per message */
#define EXEC_WINDOW 8			/* pieces in flight before a credit comes back */
#define EXEC_STAGE_MAX (1024 * 1024)	/* bytes held before input reading pauses */
/* Creates under way at once. Starting hundreds of processes together on a few cores makes
 * each one slow enough to miss --timeout, and no faster in total. Admission is in order, so
 * a parent's create is always under way before its children's: no create waits on a slot
 * held by one that waits on it. */
#define SPAWN_WINDOW 32

/* Walks the tree; taking nodes out waits for the walk to end (settle). */
static void walk(struct ctl *c, int32_t id, void (*fn)(struct topo_node *, void *), void *arg)
{
	c->rq->walking++;
	topo_walk(c->topo, id, fn, arg);
	c->rq->walking--;
}

static void walk_sorted(struct ctl *c, void (*fn)(struct topo_node *, void *), void *arg)
{
	c->rq->walking++;
	topo_each_sorted(c->topo, fn, arg);
	c->rq->walking--;
}

/* ---- deadlines ---- */

static void deadline_set(struct ctl *c, struct req *r)
{
	reqlist_deadline_in(c->rq, r, clock_ms() + c->timeout_ms);
}

/* --timeout bounds the parent's answer; a process that has started gets longer to say
 * HELLO, since a machine starting hundreds of them at once is slow but not stuck (its
 * death is reported at once). */
static void hello_deadline(struct ctl *c, struct req *r)
{
	int64_t allow = c->timeout_ms > HELLO_MIN_MS ? c->timeout_ms : HELLO_MIN_MS;
	reqlist_deadline_del(c->rq, r);
	reqlist_deadline_in(c->rq, r, clock_ms() + allow);
}

/* ---- life of a request ---- */

uint32_t rq_new_id(struct ctl *c)
{
	return reqlist_new_id(c->rq);
}

static void group_done(struct ctl *c, struct pingall *g);
static void pump(struct ctl *c, struct nodeq *q);
static int req_path(struct ctl *c, struct req *r);

static void doom(struct ctl *c, int32_t id, bool kill)
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

/* A create answered with an error must leave nothing behind: its parent may still start the
 * node later (it was stopped, say), so it is told to end and forget it. Sent on the create's
 * own path, it arrives after the create. */
static void abort_create(struct ctl *c, struct req *r)
{
	unsigned char body[4];
	if (!r->started || r->via == TOPO_ROOT || req_path(c, r) < 0 || !r->npath)
		return;	/* never sent, or started here: ended by pid */
	proto_put_i32(body, r->node);
	ctl_send_req(c, reqlist_new_id(c->rq), OP_ABORT, 0, r->path, r->npath, body, sizeof body);
}

/* r has its answer in r->line (empty: nothing to print). */
static void finish_line(struct ctl *c, struct req *r)
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
			abort_create(c, r);
			doom(c, r->node, false);	/* it never was */
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
			group_done(c, g);
	}
	if (q && q->send && (q->send->kind == RK_KILL || q->send->kind == RK_REMOVE))
		pump(c, q);	/* waiting for this answer */
}

static void finish(struct ctl *c, struct req *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void finish(struct ctl *c, struct req *r, const char *fmt, ...)
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
	finish_line(c, r);
}

static void finish_unavailable(struct ctl *c, struct req *r)
{
	switch (r->kind) {
	case RK_EXEC:
		finish(c, r, "Error:%d: Node is unavailable", (int)r->node);
		break;
	case RK_PING:
		finish(c, r, "Ok: 0");
		break;
	case RK_KILL:	/* reachable or not, the node goes */
		doom(c, r->node, true);
		finish(c, r, "Ok");
		break;
	case RK_REMOVE:
		finish(c, r, "Error: Node is unavailable");
		break;
	case RK_CREATE:
		finish(c, r, "Error: Parent is unavailable");
		break;
	case RK_PINGALL:
		buf_append(&r->group->down, &r->node, sizeof r->node);
		finish(c, r, "%s", "");
		break;
	case RK_PROBE:
		finish(c, r, "%s", "");
		break;
	}
}

/* What waits at a node whose create failed: the node never was. */
static void finish_gone(struct ctl *c, struct req *r)
{
	switch (r->kind) {
	case RK_EXEC:
		finish(c, r, "Error:%d: Not found", (int)r->node);
		break;
	case RK_PING:
	case RK_KILL:
	case RK_REMOVE:
		finish(c, r, "Error: Not found");
		break;
	case RK_CREATE:
		finish(c, r, "Error: Parent not found");
		break;
	default:
		finish_unavailable(c, r);
		break;
	}
}

/* ---- sending ---- */

/* The path of r's messages: to its node, or for a create to the new node's parent. */
static int req_path(struct ctl *c, struct req *r)
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
static int send_req(struct ctl *c, struct req *r, uint8_t op, uint8_t flags, const void *body,
		    size_t len)
{
	if (req_path(c, r) < 0 || !r->npath)
		return -1;
	r->link = r->path[0];
	return ctl_send_req(c, r->id, op, flags, r->path, r->npath, body, len);
}

/* send_req, answering r as unavailable when it cannot go. */
static int send_msg(struct ctl *c, struct req *r, uint8_t op, uint8_t flags, const void *body,
		    size_t len)
{
	if (send_req(c, r, op, flags, body, len) < 0) {
		finish_unavailable(c, r);
		return -1;
	}
	return 0;
}

/* Sends what it can of an exec: pieces of EXEC_PIECE bytes within the credit window. */
static void exec_pump(struct ctl *c, struct req *r)
{
	while (!r->done && r->inflight < EXEC_WINDOW) {
		size_t avail = r->stage.len - r->stage_off;
		if (avail < EXEC_PIECE && !r->ended)
			break;
		size_t n = avail < EXEC_PIECE ? avail : EXEC_PIECE;
		uint8_t flags = (r->started ? 0 : EXEC_FIRST) |
				(r->ended && n == avail ? EXEC_LAST : 0);
		if (!r->started) {
			struct nodeq *q = r->q;
			if (q->outstanding++ == 0) {
				q->quiet_since = clock_ms();
				reqlist_busy(c->rq, q, true);
			}
		}
		r->started = true;
		if (send_msg(c, r, OP_EXEC, flags, r->stage.data + r->stage_off, n) < 0)
			return;
		r->stage_off += n;
		if (flags & EXEC_LAST) {
			r->sent = true;
			buf_free(&r->stage);
			r->stage_off = 0;
			return;
		}
		r->inflight++;
	}
	if (r->stage_off > EXEC_STAGE_MAX / 2) {	/* keep the stage from creeping */
		memmove(r->stage.data, r->stage.data + r->stage_off, r->stage.len - r->stage_off);
		r->stage.len -= r->stage_off;
		r->stage_off = 0;
	}
}

static void note_pending(struct topo_node *n, void *arg)
{
	if (n->state == NODE_PENDING)
		*(bool *)arg = true;
}

static bool subtree_starting(struct ctl *c, int32_t id)
{
	bool pending = false;
	walk(c, id, note_pending, &pending);
	return pending;
}

/* Sends the node's queue in order, as far as it can go now. */
static void pump(struct ctl *c, struct nodeq *q)
{
	struct topo_node *n = topo_get(c->topo, q->id);
	if (!n || n->state != NODE_UP || q->held)
		return;
	while (q->send) {
		struct req *r = q->send;
		if (!r->done && !r->sent) {
			switch (r->kind) {
			case RK_EXEC:
				exec_pump(c, r);
				if (!r->done && !r->sent)
					return;	/* waits for arguments or credit */
				break;
			case RK_KILL:
				if (q->head != r)
					return;	/* after the answers given before it */
				r->sent = true;
				finish_unavailable(c, r);
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
				deadline_set(c, r);
				send_msg(c, r, OP_CREATE, 0, body, sizeof body);
				break;
			}
			default:
				r->sent = r->started = true;
				deadline_set(c, r);
				send_msg(c, r, OP_PING, 0, NULL, 0);
				break;
			}
		}
		if (q->send == r)
			q->send = r->qnext;
	}
}

/* Queues r at node n and sends what can go. A lost node answers at once. */
static void submit(struct ctl *c, struct req *r, struct topo_node *n)
{
	struct nodeq *q = reqlist_nodeq(n);
	if (!r->pending)
		reqlist_put(c->rq, r);
	reqlist_queue_append(q, r);
	if (n->state == NODE_LOST)
		finish_unavailable(c, r);
	else
		pump(c, q);
}

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

/* Calls fn for each request of q not yet answered. Answering one prints and retires the
 * answers queued behind it, so the queue is read first and each request looked up again. */
static void queue_each(struct ctl *c, struct nodeq *q, void (*fn)(struct req *, void *),
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
		finish_gone(w->c, r);
	else if (w->fate == KILLED && r->kind == RK_PINGALL)
		finish(w->c, r, "%s", "");
	else
		finish_unavailable(w->c, r);
}

/* Marks one node of a lost (or never created) subtree and answers what waits there. */
static void lose_one(struct topo_node *n, void *arg)
{
	struct walk *w = arg;
	struct nodeq *q = n->user;
	n->state = NODE_LOST;
	if (!q)
		return;
	queue_each(w->c, q, lose_req, w);
	struct req *cr = q->create_req ? reqlist_get(w->c->rq, q->create_req) : NULL;
	if (cr && w->fate == GONE)	/* being created under a parent that never was */
		finish_gone(w->c, cr);
	else if (cr)	/* being created under a lost parent */
		finish_unavailable(w->c, cr);
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
static void pump_removes_above(struct ctl *c, int32_t parent)
{
	for (struct topo_node *a = topo_get(c->topo, parent); a; a = topo_get(c->topo, a->parent))
		if (a->user && ((struct nodeq *)a->user)->send &&
		    ((struct nodeq *)a->user)->send->kind == RK_REMOVE)
			pump(c, a->user);
}

static void remove_subtree(struct ctl *c, int32_t id, enum fate fate)
{
	struct walk w = { c, fate };
	struct topo_node *n = topo_get(c->topo, id);
	int32_t parent = n ? n->parent : TOPO_NONE;
	walk(c, id, lose_one, &w);
	walk(c, id, kill_one, NULL);
	topo_delete(c->topo, id, rq_node_free, c);
	pump_removes_above(c, parent);
}

/* Carries out removals decided while walking the tree or answering, when nothing is being
 * walked any more. Every public entry point ends here. */
static void admit(struct ctl *c);

static void settle(struct ctl *c)
{
	struct requests *rq = c->rq;
	struct buf *d = &rq->doomed;
	if (rq->walking || rq->settling)
		return;	/* the call outside it settles */
	rq->settling = true;
	for (;;) {
		if (!d->len) {
			if (rq->admit)
				admit(c);
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

/* Sends a create on its way: to the parent's queue, or started here for depth 1. */
static void create_start(struct ctl *c, struct req *r)
{
	struct topo_node *n = topo_get(c->topo, r->node);
	c->rq->spawning++;
	r->admitted = true;
	if (r->via != TOPO_ROOT) {
		submit(c, r, topo_get(c->topo, r->via));
		return;
	}
	r->sent = r->started = true;
	size_t links;
	topo_roots(c->topo, &links);
	if (!proc_fd_room(links))	/* its link needs a descriptor here */
		finish(c, r, "Error: Cannot start node: %s", strerror(EMFILE));
	else if (ctl_spawn(c, r->node, &n->pid) < 0)
		finish(c, r, "Error: Cannot start node: %s", strerror(errno));
	else
		hello_deadline(c, r);
}

/* Creates waiting for a place, in the order they were given. */
static void admit(struct ctl *c)
{
	struct requests *rq = c->rq;
	rq->admit = false;
	while (rq->backlog && rq->spawning < SPAWN_WINDOW) {
		struct req *r = rq->backlog;
		reqlist_backlog_unlink(rq, r);
		create_start(c, r);	/* a create is answered, and so leaves, with its node */
	}
}

void rq_create(struct ctl *c, int32_t id, int64_t parent)
{
	struct requests *rq = c->rq;
	struct topo_place place;
	const char *err;
	if (topo_place(c->topo, id, parent, &place, &err) < 0) {
		out_printf(c, "Error: %s", err);
		return;
	}
	struct topo_node *n = topo_add(c->topo, id, &place);
	if (!n)
		fatal("out of memory");
	struct req *r = reqlist_new_req(c->rq, RK_CREATE, id);
	r->via = place.parent;
	reqlist_nodeq(n)->create_req = r->id;
	reqlist_nodeq(n)->spawner = place.parent;
	if (place.adopt != TOPO_NONE) {	/* list: the old child waits to move under it */
		reqlist_nodeq(n)->adopt = place.adopt;
		reqlist_nodeq(n)->adopt_from = place.parent;
		rq_hold(c, place.adopt, &reqlist_nodeq(n)->adopt_held);
	}
	reqlist_put(rq, r);
	reqlist_backlog_append(rq, r);
	admit(c);
	settle(c);
}

static void node_request(struct ctl *c, enum req_kind kind, int32_t id)
{
	struct topo_node *n = topo_get(c->topo, id);
	if (!n) {
		out_puts(c, "Error: Not found");
		return;
	}
	if (kind == RK_REMOVE || kind == RK_KILL)
		c->rq->reshaping++;	/* until its answer (finish_line) */
	submit(c, reqlist_new_req(c->rq, kind, id), n);
	settle(c);
}

void rq_remove(struct ctl *c, int32_t id)
{
	node_request(c, RK_REMOVE, id);
}

bool rq_structure_busy(struct ctl *c)
{
	return c->rq->reshaping > 0;
}

void rq_ping(struct ctl *c, int32_t id)
{
	node_request(c, RK_PING, id);
}

void rq_kill(struct ctl *c, int32_t id)
{
	node_request(c, RK_KILL, id);
}

struct pingall_walk {
	struct ctl *c;
	struct pingall *g;
};

static void pingall_one(struct topo_node *n, void *arg)
{
	struct pingall_walk *w = arg;
	struct req *r = reqlist_new_req(w->c->rq, RK_PINGALL, n->id);
	r->group = w->g;
	w->g->waiting++;
	submit(w->c, r, n);
}

void rq_pingall(struct ctl *c)
{
	struct pingall *g = calloc(1, sizeof *g);
	if (!g)
		fatal("out of memory");
	g->waiting = 1;	/* held until every probe is out */
	struct pingall_walk w = { c, g };
	walk_sorted(c, pingall_one, &w);
	if (--g->waiting == 0)
		group_done(c, g);
	settle(c);
}

static int cmp_id(const void *a, const void *b)
{
	int32_t x, y;
	memcpy(&x, a, sizeof x);
	memcpy(&y, b, sizeof y);
	return (x > y) - (x < y);
}

static void group_done(struct ctl *c, struct pingall *g)
{
	size_t n = g->down.len / sizeof(int32_t);
	struct buf line = { 0 };
	buf_puts(&line, n ? "Ok: " : "Ok: -1");
	if (n)
		qsort(g->down.data, n, sizeof(int32_t), cmp_id);
	for (size_t i = 0; i < n; i++) {
		int32_t id;
		memcpy(&id, g->down.data + i * sizeof id, sizeof id);
		buf_printf(&line, i ? ";%d" : "%d", (int)id);
	}
	out_line(c, line.data, line.len);
	buf_free(&line);
	buf_free(&g->down);
	free(g);
}

uint32_t rq_exec_begin(struct ctl *c, int32_t id)
{
	struct topo_node *n = topo_get(c->topo, id);
	if (!n) {
		out_printf(c, "Error:%d: Not found", (int)id);
		return 0;
	}
	struct req *r = reqlist_new_req(c->rq, RK_EXEC, id);
	uint32_t rid = r->id;
	submit(c, r, n);
	settle(c);
	return rid;
}

void rq_exec_feed(struct ctl *c, uint32_t req, const char *data, size_t len)
{
	struct req *r = reqlist_get(c->rq, req);
	if (!r || r->ended)
		return;
	if (buf_append(&r->stage, data, len) < 0)
		fatal("out of memory");
	if (r->q->send == r)
		pump(c, r->q);
	settle(c);
}

void rq_exec_end(struct ctl *c, uint32_t req)
{
	struct req *r = reqlist_get(c->rq, req);
	if (!r || r->ended)
		return;
	r->ended = true;
	pump(c, r->q);
	settle(c);
}

bool rq_exec_can_feed(struct ctl *c, uint32_t req)
{
	struct req *r = reqlist_get(c->rq, req);
	return !r || r->stage.len - r->stage_off < EXEC_STAGE_MAX;
}

/* ---- moves ---- */

static void hold_one(struct topo_node *n, void *arg)
{
	struct nodeq *q = reqlist_nodeq(n);
	q->held++;
	if (buf_append(arg, &n->id, sizeof n->id) < 0)
		fatal("out of memory");
}

static void note_in_flight(struct topo_node *n, void *arg)
{
	struct nodeq *q = n->user;
	/* A create sent counts too: the new node's HELLO comes up the path it was sent on, and
	 * only the nodes on that path expect it. */
	for (struct req *r = q ? q->head : NULL; r; r = r->qnext)
		if (r->started && !r->done)
			*(bool *)arg = true;
	if (q && q->probe)
		*(bool *)arg = true;
}

bool rq_in_flight(struct ctl *c, int32_t id)
{
	bool busy = false;
	if (topo_get(c->topo, id))
		walk(c, id, note_in_flight, &busy);
	return busy;
}

int32_t rq_adopt_from(struct ctl *c, int32_t parent, int32_t child)
{
	struct topo_node *p = topo_get(c->topo, parent);
	struct nodeq *q = p ? p->user : NULL;
	return q && q->adopt == child ? q->adopt_from : TOPO_NONE;
}

void rq_hold(struct ctl *c, int32_t id, struct buf *held)
{
	if (topo_get(c->topo, id))
		walk(c, id, hold_one, held);
}

void rq_release(struct ctl *c, struct buf *held)
{
	for (size_t off = 0; off < held->len; off += sizeof(int32_t)) {
		int32_t id;
		memcpy(&id, held->data + off, sizeof id);
		struct topo_node *n = topo_get(c->topo, id);
		struct nodeq *q = n ? n->user : NULL;
		if (!q || !q->held || --q->held)
			continue;
		for (struct req *r = q->head; r; r = r->qnext) {	/* by the new path */
			free(r->path);
			r->path = NULL;
			r->npath = 0;
		}
		pump(c, q);
	}
	buf_free(held);
	settle(c);
}

void rq_answer(struct ctl *c, uint32_t req, const char *line, bool remove_node)
{
	struct req *r = reqlist_get(c->rq, req);
	if (r) {	/* else answered already: its node was lost meanwhile */
		if (remove_node)
			doom(c, r->node, true);
		finish(c, r, "%s", line);
	}
	settle(c);
}

/* ---- events ---- */

static void exec_answer(struct ctl *c, struct req *r, const struct msg *m)
{
	switch (m->code) {
	case REP_CREDIT:
		if (r->inflight)
			r->inflight--;
		if (r->q->send == r)
			pump(c, r->q);
		return;
	case REP_UNAVAIL:
		log_debug("request %u to %d: a hop could not reach it", r->id, (int)r->node);
		finish_unavailable(c, r);
		return;
	}
	/* Results can be long (search positions): built without a fixed-size buffer. */
	buf_reset(&r->line);
	buf_printf(&r->line, m->code == REP_OK ? "Ok:%d" : "Error:%d", (int)r->node);
	if (m->body_len || m->code != REP_OK) {
		buf_puts(&r->line, ": ");
		buf_escape(&r->line, m->body, m->body_len);	/* one answer, one line */
	}
	finish_line(c, r);
}

static void create_answer(struct ctl *c, struct req *r, const struct msg *m)
{
	struct topo_node *n = topo_get(c->topo, r->node);
	int32_t pid;
	switch (m->code) {
	case REP_SPAWNED:
		if (n && proto_read_i32(m, &pid) == 0 && pid > 0)
			n->pid = pid;
		hello_deadline(c, r);
		break;
	case REP_UNAVAIL:
		finish_unavailable(c, r);
		break;
	default:
		buf_reset(&r->line);
		buf_puts(&r->line, "Error: ");
		buf_escape(&r->line, m->body, m->body_len > 200 ? 200 : m->body_len);
		finish_line(c, r);
		break;
	}
}

void rq_heard(struct ctl *c, int32_t id)
{
	struct topo_node *n = topo_get(c->topo, id);
	if (n && n->user)
		((struct nodeq *)n->user)->last_heard = clock_ms();
}

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
		exec_answer(c, r, m);
		break;
	case RK_CREATE:
		create_answer(c, r, m);
		break;
	case RK_PROBE:
		if (q)
			q->probe = 0;
		/* fall through */
	default:
		if (m->code != REP_OK)
			finish_unavailable(c, r);
		else
			finish(c, r, r->kind == RK_PING ? "Ok: 1" : "%s", "");
		break;
	}
	settle(c);
}

void rq_on_hello(struct ctl *c, int32_t from, int32_t id, pid_t pid, const char *endpoint)
{
	struct topo_node *n = topo_get(c->topo, id);
	struct nodeq *q = n ? n->user : NULL;
	struct req *r = q ? reqlist_get(c->rq, q->create_req) : NULL;
	if (n && n->state == NODE_UP && n->pid == pid && mv_on_hello(c, from, id)) {
		settle(c);	/* it has arrived at its new parent */
		return;
	}
	/* Only the process the create started, where it was placed, and once. Nothing is
	 * killed on the word of a HELLO: a node taken out while starting is ended by pid. */
	if (!n || n->state != NODE_PENDING || !r || !r->started || n->pid != pid ||
	    from != topo_link_under(c->topo, id, r->via) || strlen(endpoint) >= sizeof n->endpoint) {
		log_debug("hello of %d pid %d: model %s pid %d via %d", (int)id, (int)pid,
			  n ? (n->state == NODE_PENDING ? "pending" : "up or lost") : "none",
			  n ? (int)n->pid : 0, r ? (int)r->via : -9);
		rq_dropped(c, "hello", id, from);
		return;
	}
	n->state = NODE_UP;
	snprintf(n->endpoint, sizeof n->endpoint, "%s", endpoint);
	q->create_req = 0;
	q->last_heard = clock_ms();
	if (q->adopt != TOPO_NONE && topo_get(c->topo, q->adopt)) {
		/* answers the create; takes over what is held for it */
		mv_adopt(c, r->id, id, q->adopt, q->adopt_from, &q->adopt_held);
		q->adopt = TOPO_NONE;
	} else {
		finish(c, r, "Ok: %d", (int)pid);
	}
	pump(c, q);
	mv_node_up(c, id);	/* a move may have been waiting for it */
	pump_removes_above(c, n->parent);
	settle(c);
}

void rq_on_lost(struct ctl *c, int32_t id, pid_t pid)
{
	struct topo_node *n = topo_get(c->topo, id);
	if (!n || n->state == NODE_LOST || (pid && n->pid != pid))
		return;	/* stale news of a node taken out (and maybe created again) */
	log_debug("node %d lost", (int)id);
	struct walk w = { c, LOST };
	walk(c, id, lose_one, &w);
	mv_on_lost(c);	/* a move of it, or to below it, is over */
	settle(c);
}

bool rq_may_report_lost(struct ctl *c, int32_t id, pid_t pid, int32_t parent)
{
	struct topo_node *n = topo_get(c->topo, id);
	struct nodeq *q = n ? n->user : NULL;
	if (!n)
		return false;
	/* Its parent, the parent it is moving to, or (by the exit status of its process) the
	 * node that started it. */
	return n->parent == parent || mv_destination(c, id) == parent ||
	       (pid && pid == n->pid && q && q->spawner == parent);
}

struct find_pid {
	pid_t pid;
	struct topo_node *found;
};

static void match_pid(struct topo_node *n, void *arg)
{
	struct find_pid *f = arg;
	if (n->pid == f->pid)
		f->found = n;
}

void rq_on_exit(struct ctl *c, pid_t pid, const char *why)
{
	/* One of the depth-1 nodes started here, or an orphan whose starter is gone: as a
	 * subreaper this process is then its parent. */
	struct find_pid f = { pid, NULL };
	walk(c, TOPO_ROOT, match_pid, &f);
	struct topo_node *n = f.found;
	if (!n)
		return;	/* taken out already */
	struct nodeq *q = n->user;
	struct req *r = q ? reqlist_get(c->rq, q->create_req) : NULL;
	if (n->state == NODE_PENDING && r)
		finish(c, r, "Error: Cannot start node: %s", why);
	else
		rq_on_lost(c, n->id, pid);
	settle(c);
}

void rq_dropped(struct ctl *c, const char *what, int32_t id, int32_t from)
{
	c->rq->dropped++;
	log_debug("%s naming node %d on link %d: not from where it may come, dropped (%lu so far)",
		  what, (int)id, (int)from, c->rq->dropped);
}

void rq_reap(struct ctl *c)
{
	reqlist_reap(c->rq);
}

/* ---- time ---- */

static int64_t tick_period(struct ctl *c)
{
	int64_t p = c->timeout_ms / 8;
	return p < 5 ? 5 : p;
}

static void fail_started_exec(struct req *r, void *arg)
{
	if (r->kind == RK_EXEC && r->started)
		finish_unavailable(arg, r);
}

/* A node with execs outstanding and silent for a while gets a probe; silent for --timeout,
 * its requests fail. Being busy is not silence: the node's loop answers probes. */
static void check_busy(struct ctl *c, struct nodeq *q, int64_t now)
{
	int64_t since = q->last_heard > q->quiet_since ? q->last_heard : q->quiet_since;
	int64_t silent = now - since;
	if (silent >= c->timeout_ms) {
		log_debug("node %d silent for %lld ms", (int)q->id, (long long)silent);
		queue_each(c, q, fail_started_exec, c);
		return;
	}
	if (silent >= c->timeout_ms / 2 && (!q->probe || now - q->probe_at >= c->timeout_ms / 2)) {
		if (q->probe) {	/* lost on the way (a hop ended): forget it */
			struct req *old = reqlist_get(c->rq, q->probe);
			q->probe = 0;
			if (old)
				finish(c, old, "%s", "");
		}
		q->probe_at = now;
		struct topo_node *n = topo_get(c->topo, q->id);
		struct req *r = reqlist_new_req(c->rq, RK_PROBE, q->id);
		reqlist_put(c->rq, r);
		q->probe = r->id;
		r->sent = r->started = true;
		if (n && send_req(c, r, OP_PING, 0, NULL, 0) == 0)
			return;
		q->probe = 0;
		finish(c, r, "%s", "");
	}
}

void rq_tick(struct ctl *c, int64_t now)
{
	struct requests *rq = c->rq;
	while (rq->dhead && rq->dhead->deadline <= now) {
		struct req *r = rq->dhead;
		struct topo_node *n = topo_get(c->topo, r->node);
		if (r->kind == RK_CREATE && n && n->pid) {
			proc_kill(n->pid, n->id);
			finish(c, r, "Error: Cannot start node: no answer from it");
		} else {
			finish_unavailable(c, r);
		}
	}
	for (struct nodeq *q = rq->busy, *next; q; q = next) {
		next = q->bnext;
		check_busy(c, q, now);
	}
	rq->next_tick = rq->busy ? now + tick_period(c) : INT64_MAX;
	settle(c);
}

int64_t rq_next_wake(struct ctl *c)
{
	struct requests *rq = c->rq;
	int64_t wake = rq->dhead ? rq->dhead->deadline : INT64_MAX;
	if (rq->busy && rq->next_tick == INT64_MAX)
		rq->next_tick = clock_ms() + tick_period(c);
	return rq->next_tick < wake ? rq->next_tick : wake;
}

size_t rq_pending(struct ctl *c)
{
	return c->rq->count;
}

static void fail_req(struct req *r, void *arg)
{
	finish_unavailable(arg, r);
}

static void fail_one(struct topo_node *n, void *arg)
{
	if (n->user)
		queue_each(arg, n->user, fail_req, arg);
}

void rq_fail_all(struct ctl *c)
{
	walk_sorted(c, fail_one, c);
	while (c->rq->count) {	/* what is not queued: depth-1 creates, probes */
		for (size_t i = 0; i < c->rq->nbuckets; i++)
			if (c->rq->table[i])
				finish_unavailable(c, c->rq->table[i]);
	}
	settle(c);
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
