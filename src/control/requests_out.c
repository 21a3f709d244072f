/* requests_out.c - taking nodes out: a lost or killed subtree's requests answered (parents
 * first, so answers come top down), its processes ended by pid and its records freed, once
 * the event that decided it has settled; and everything at exit. */
#include "requests.h"
#include "requests_impl.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heartbit.h"
#include "log.h"
#include "reqlist.h"
#include "topo.h"

static void lose_req(struct req *r, void *arg)
{
	struct walk *w = arg;
	if (w->fate == GONE)
		requests_finish_gone(w->rq, r);
	else if (w->fate == KILLED && r->kind == RK_PINGALL)
		requests_finish(w->rq, r, "%s", "");
	else
		requests_finish_unavailable(w->rq, r);
}

/* Marks one node of a lost (or never created) subtree and answers what waits there. */
void requests_lose_one(struct topo_node *n, void *arg)
{
	struct walk *w = arg;
	struct nodeq *q = n->user;
	n->state = NODE_LOST;
	if (!q)
		return;
	requests_queue_each(w->rq, q, lose_req, w);
	struct req *cr = q->create_req ? reqlist_get(&w->rq->l, q->create_req) : NULL;
	if (cr && w->fate == GONE)	/* being created under a parent that never was */
		requests_finish_gone(w->rq, cr);
	else if (cr)	/* being created under a lost parent */
		requests_finish_unavailable(w->rq, cr);
}

static void kill_one(struct topo_node *n, void *arg)
{
	struct requests *rq = arg;
	if (n->pid)
		rq->ops.kill(rq->ops.arg, n->pid, n->id);
}

void requests_node_free(struct topo_node *n, void *arg)
{
	struct requests *rq = arg;
	struct nodeq *q = n->user;
	heartbit_forget(rq->hb, n->id);
	if (!q)
		return;
	requests_queue_flush(rq, q);	/* answers that were waiting for their turn */
	for (struct req *r = TAILQ_FIRST(&q->queue), *next; r; r = next) {
		next = TAILQ_NEXT(r, qlink);
		reqlist_retire(&rq->l, r);
	}
	reqlist_busy(&rq->l, q, false);
	buf_free(&q->adopt_held);	/* those nodes were below it: they go with it */
	free(q);
	n->user = NULL;
}

/* A node ended by pid is forgotten by its parent at once (OP_ABORT), before the parent
 * notices: the id is free there for the next create, which comes after on the same path. */
static void forget_at_parent(struct requests *rq, int32_t id, int32_t parent)
{
	struct topo_node *p = topo_get(rq->topo, parent);
	size_t depth = p && p->state == NODE_UP ? topo_depth(rq->topo, parent) : 0;
	int32_t *path = depth ? malloc(depth * sizeof *path) : NULL;
	unsigned char body[4];
	if (!path)
		return;	/* the control node's own child, or a parent that cannot hear it */
	topo_path(rq->topo, parent, path);
	proto_put_i32(body, id);
	rq->ops.send(rq->ops.arg, reqlist_new_id(&rq->l), OP_ABORT, 0, path, depth, body,
		     sizeof body);
	free(path);
}

/* Until a depth-1 node's process has ended and its connection closed, the connection holds
 * its id on the control node's link, and a new node of that id would be turned away there. */
static void note_dying(struct topo_node *n, void *arg)
{
	struct requests *rq = arg;
	if (n->parent == TOPO_ROOT && buf_append(&rq->dying, &n->id, sizeof n->id) < 0)
		log_fatal("out of memory");
}

static void remove_subtree(struct requests *rq, int32_t id, enum fate fate)
{
	struct walk w = { rq, fate };
	struct topo_node *n = topo_get(rq->topo, id);
	int32_t parent = n ? n->parent : TOPO_NONE;
	bool reachable = n && n->state != NODE_LOST;
	if (fate == KILLED)
		requests_walk(rq, id, note_dying, rq);
	requests_walk(rq, id, requests_lose_one, &w);
	requests_walk(rq, id, kill_one, rq);
	if (fate == KILLED && reachable)
		forget_at_parent(rq, id, parent);
	topo_delete(rq->topo, id, requests_node_free, rq);
	requests_pump_reshapes_above(rq, parent);
}

/* Removals decided while walking the tree or answering are carried out here, once per event,
 * when nothing is being walked any more. */
void requests_settle(struct requests *rq)
{
	struct buf *d = &rq->doomed;
	if (rq->walking)
		return;	/* the walk's caller settles */
	for (;;) {
		if (!d->len) {
			if (!rq->admit)
				break;
			requests_admit(rq);
			continue;
		}
		int32_t e[2];	/* taken off the front: what this adds is handled too */
		memcpy(e, d->data, sizeof e);
		memmove(d->data, d->data + sizeof e, d->len - sizeof e);
		d->len -= sizeof e;
		struct topo_node *n = topo_get(rq->topo, e[0]);
		struct nodeq *q = n ? n->user : NULL;
		if (!n)
			continue;
		if (q && q->adopt != TOPO_NONE && topo_get(rq->topo, q->adopt)) {
			/* it never came up: the child it was to take over stays where it is */
			topo_move(rq->topo, q->adopt, q->adopt_from, 0);
			q->adopt = TOPO_NONE;
			requests_release(rq, &q->adopt_held);
		}
		remove_subtree(rq, e[0], e[1] ? KILLED : GONE);
	}
}

struct fail_walk {
	struct requests *rq;
	bool creates;
};

static void fail_req(struct req *r, void *arg)
{
	struct fail_walk *w = arg;
	if (w->creates || r->kind != RK_CREATE)
		requests_finish_unavailable(w->rq, r);
}

static void fail_one(struct topo_node *n, void *arg)
{
	struct fail_walk *w = arg;
	if (n->user)
		requests_queue_each(w->rq, n->user, fail_req, w);
}

void requests_fail_all(struct requests *rq, bool creates)
{
	struct fail_walk w = { rq, creates };
	requests_walk_sorted(rq, fail_one, &w);
	struct req *r;	/* what is not queued: depth-1 creates, probes (both end by a deadline) */
	while (creates && (r = reqlist_any(&rq->l)))
		requests_finish_unavailable(rq, r);
}

void requests_kill_all(struct requests *rq)
{
	size_t n;
	while (topo_roots(rq->topo, &n), n)
		remove_subtree(rq, topo_roots(rq->topo, &n)[0], KILLED);
	while (topo_buried(rq->topo, &n), n)
		remove_subtree(rq, topo_buried(rq->topo, &n)[0], KILLED);
}
