/* requests_fence.c - fences: the nodes an unfinished remove, kill or list insertion touches,
 * and whether a command given now must wait for it (requests_waits). */
#include "requests.h"
#include "requests_impl.h"

#include <string.h>

#include "buf.h"
#include "log.h"
#include "topo.h"

static void fence_one(struct topo_node *n, void *arg)
{
	struct req *r = arg;
	reqlist_nodeq(n)->fenced++;
	if (buf_append(&r->fence, &n->id, sizeof n->id) < 0)
		log_fatal("out of memory");
}

void requests_fence(struct requests *rq, struct req *r, int32_t id, bool subtree)
{
	struct topo_node *n = topo_get(rq->topo, id);
	if (!r->reshapes)
		rq->reshaping++;
	r->reshapes = true;
	if (n && subtree)
		requests_walk(rq, id, fence_one, r);
	else if (n)
		fence_one(n, r);
}

/* The fence ends with the answer; the nodes it fenced may be gone already. */
void requests_unfence(struct requests *rq, struct req *r)
{
	for (size_t off = 0; off < r->fence.len; off += sizeof(int32_t)) {
		int32_t id;
		memcpy(&id, r->fence.data + off, sizeof id);
		struct topo_node *n = topo_get(rq->topo, id);
		struct nodeq *q = n ? n->user : NULL;
		if (q && q->fenced)
			q->fenced--;
	}
	buf_free(&r->fence);
	r->reshapes = false;
	rq->reshaping--;
}

static bool fenced(struct requests *rq, int32_t id)
{
	struct topo_node *n = topo_get(rq->topo, id);
	return n && n->user && ((struct nodeq *)n->user)->fenced;
}

/* Node id or a node on its path is fenced. */
static bool path_fenced(struct requests *rq, int32_t id)
{
	for (struct topo_node *n = topo_get(rq->topo, id); n; n = topo_get(rq->topo, n->parent))
		if (n->user && ((struct nodeq *)n->user)->fenced)
			return true;
	return false;
}

static void note_fenced(struct topo_node *n, void *arg)
{
	if (n->user && ((struct nodeq *)n->user)->fenced)
		*(bool *)arg = true;
}

static bool subtree_fenced(struct requests *rq, int32_t id)
{
	bool any = false;
	if (topo_get(rq->topo, id))
		requests_walk(rq, id, note_fenced, &any);
	return any;
}

bool requests_dying(struct requests *rq, int32_t id)
{
	bool open = false;
	for (size_t off = 0; off < rq->dying.len;) {
		int32_t e;
		memcpy(&e, rq->dying.data + off, sizeof e);
		if (rq->ops.linked(rq->ops.arg, e)) {
			open = open || id == TOPO_NONE || e == id;
			off += sizeof e;
			continue;
		}
		memmove(rq->dying.data + off, rq->dying.data + off + sizeof e,
			rq->dying.len - off - sizeof e);
		rq->dying.len -= sizeof e;
	}
	return open;
}

bool requests_waits(struct requests *rq, enum requests_cmd cmd, int32_t id, int64_t parent)
{
	if (cmd == RQ_CREATE && rq->dying.len && requests_dying(rq, id))
		return true;
	if (!rq->reshaping)
		return false;
	enum topo_kind kind = topo_get_kind(rq->topo);
	switch (cmd) {
	case RQ_EXEC:
	case RQ_PING:
		return path_fenced(rq, id);
	case RQ_KILL:
	case RQ_REMOVE:
		return path_fenced(rq, id) || subtree_fenced(rq, id);
	case RQ_CREATE: {
		/* bst and balanced place a node by the shape of the whole tree */
		if (kind == TOPO_BST || kind == TOPO_BALANCED || fenced(rq, id))
			return true;
		struct topo_node *p = parent == TOPO_ROOT ? NULL : topo_get(rq->topo,
									      (int32_t)parent);
		if (!p)
			return false;	/* answered now: the control node, or not found */
		/* a list insertion moves PARENT's child and what is below it */
		return path_fenced(rq, p->id) || (kind == TOPO_LIST && p->nchildren &&
						 subtree_fenced(rq, p->children[0]));
	}
	default:	/* pingall, tree: the whole tree */
		return true;
	}
}

struct busy_walk {
	struct req *self;
	bool busy;
};

static void note_busy(struct topo_node *n, void *arg)
{
	struct busy_walk *w = arg;
	struct nodeq *q = n->user;
	if (n->state == NODE_PENDING)
		w->busy = true;
	for (struct req *r = q ? TAILQ_FIRST(&q->queue) : NULL; r && !w->busy;
	     r = TAILQ_NEXT(r, qlink))
		if (!r->done && r != w->self)
			w->busy = true;
}

bool requests_subtree_busy(struct requests *rq, struct req *r)
{
	struct busy_walk w = { r, false };
	requests_walk(rq, r->node, note_busy, &w);
	return w.busy;
}
