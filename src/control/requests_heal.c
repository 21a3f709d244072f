/* requests_heal.c - --heal: a dead node's children live on. Only the dead node is lost; what
 * was in flight through it is answered unavailable at once, and everything below it is held
 * (and fenced, requests_waits) until moves.c has re-attached its children where `remove` would
 * put them. */
#include "requests.h"
#include "requests_impl.h"

#include <string.h>

#include "buf.h"
#include "log.h"
#include "topo.h"

void requests_set_heal(struct requests *rq, bool on)
{
	rq->heal = on;
}

bool requests_healing(const struct requests *rq)
{
	return rq->heal;
}

static void collect(struct topo_node *n, void *arg)
{
	if (buf_append(arg, &n->id, sizeof n->id) < 0)
		log_fatal("out of memory");
}

/* Its answer would come up through the dead node: it never will. */
static void fail_in_flight(struct req *r, void *arg)
{
	struct requests *rq = arg;
	if (r->started && r->kind != RK_KILL && r->kind != RK_REMOVE)
		requests_finish_unavailable(rq, r);
}

static void fence_held(struct requests *rq, const struct buf *held, int delta)
{
	for (size_t off = 0; off < held->len; off += sizeof(int32_t)) {
		int32_t id;
		memcpy(&id, held->data + off, sizeof id);
		struct topo_node *n = topo_get(rq->topo, id);
		struct nodeq *q = n ? n->user : NULL;
		if (q && (delta > 0 || q->fenced))
			q->fenced = (unsigned)((int)q->fenced + delta);
	}
}

/* Node n died with children: they and what is below them are alive. */
static void heal_around(struct requests *rq, struct topo_node *n)
{
	struct walk w = { rq, LOST };
	struct buf below = { 0 }, held = { 0 };
	int32_t id = n->id;
	requests_lose_one(n, &w);
	for (size_t i = 0; i < n->nchildren; i++)
		requests_walk(rq, n->children[i], collect, &below);
	for (size_t off = 0; off < below.len; off += sizeof(int32_t)) {
		int32_t bid;
		memcpy(&bid, below.data + off, sizeof bid);
		struct topo_node *b = topo_get(rq->topo, bid);
		struct nodeq *q = b ? b->user : NULL;
		if (b && b->state == NODE_PENDING)	/* its create went through the dead node */
			requests_walk(rq, bid, requests_lose_one, &w);
		else if (q)
			requests_queue_each(rq, q, fail_in_flight, rq);
		if (q && q->probe) {
			struct req *p = reqlist_get(&rq->l, q->probe);
			q->probe = 0;
			if (p)
				requests_finish(rq, p, "%s", "");
		}
	}
	buf_free(&below);
	n = topo_get(rq->topo, id);
	for (size_t i = 0; n && i < n->nchildren; i++)
		if (topo_get(rq->topo, n->children[i])->state != NODE_LOST)
			requests_hold(rq, n->children[i], &held);
	fence_held(rq, &held, 1);
	rq->reshaping++;
	log_debug("node %d died: healing around it", (int)id);
	rq->ops.move_heal(rq->ops.arg, id, &held);
}

bool requests_heal_lost(struct requests *rq, struct topo_node *n)
{
	if (!rq->heal || n->state != NODE_UP || !n->nchildren)
		return false;
	heal_around(rq, n);
	return true;
}

void requests_healed(struct requests *rq, struct buf *held)
{
	fence_held(rq, held, -1);
	rq->reshaping--;
	requests_release(rq, held);
}
