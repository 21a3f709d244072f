/* requests_hold.c - for moves.c: the requests of a subtree held while it moves, sent by the new
 * path afterwards; what is in flight below a node; the answers of the remove or create a
 * move job carries out. */
#include "requests.h"
#include "requests_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heartbit.h"
#include "log.h"
#include "topo.h"

static void hold_one(struct topo_node *n, void *arg)
{
	struct nodeq *q = reqlist_nodeq(n);
	q->held++;
	if (buf_append(arg, &n->id, sizeof n->id) < 0)
		log_fatal("out of memory");
}

static void note_in_flight(struct topo_node *n, void *arg)
{
	struct nodeq *q = n->user;
	/* A create sent counts too: the new node's HELLO comes up the path it was sent on, and
	 * only the nodes on that path expect it. */
	for (struct req *r = q ? TAILQ_FIRST(&q->queue) : NULL; r; r = TAILQ_NEXT(r, qlink))
		if (r->started && !r->done)
			*(bool *)arg = true;
	if (q && q->probe)
		*(bool *)arg = true;
}

bool requests_in_flight(struct requests *rq, int32_t id)
{
	bool busy = false;
	if (topo_get(rq->topo, id))
		requests_walk(rq, id, note_in_flight, &busy);
	return busy;
}

int32_t requests_adopt_from(struct requests *rq, int32_t parent, int32_t child)
{
	struct topo_node *p = topo_get(rq->topo, parent);
	struct nodeq *q = p ? p->user : NULL;
	return q && q->adopt == child ? q->adopt_from : TOPO_NONE;
}

void requests_hold(struct requests *rq, int32_t id, struct buf *held)
{
	if (topo_get(rq->topo, id))
		requests_walk(rq, id, hold_one, held);
}

void requests_release(struct requests *rq, struct buf *held)
{
	for (size_t off = 0; off < held->len; off += sizeof(int32_t)) {
		int32_t id;
		memcpy(&id, held->data + off, sizeof id);
		struct topo_node *n = topo_get(rq->topo, id);
		struct nodeq *q = n ? n->user : NULL;
		if (!q || !q->held || --q->held)
			continue;
		for (struct req *r = TAILQ_FIRST(&q->queue); r;
		     r = TAILQ_NEXT(r, qlink)) { /* by the new path */
			free(r->path);
			r->path = NULL;
			r->npath = 0;
		}
		requests_pump(rq, q);
	}
	buf_free(held);
}

void requests_answer(struct requests *rq, uint32_t req, const char *line, bool remove_node)
{
	struct req *r = reqlist_get(&rq->l, req);
	if (r) {	/* else answered already: its node was lost meanwhile */
		if (remove_node)
			requests_doom(rq, r->node, true);
		requests_finish(rq, r, "%s", line);
	}
}
