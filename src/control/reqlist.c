/* reqlist.c - the request record and the lists it lives in: the table by request id, the
 * deadline list, each node's queue, the busy list and the backlog of creates. No policy here:
 * what requests do is in requests.c. */
#include "reqlist.h"

#include <stdlib.h>

#include "log.h"

int reqlist_init(struct reqlist *l)
{
	*l = (struct reqlist){ 0 };
	TAILQ_INIT(&l->deadlines);
	TAILQ_INIT(&l->busy);
	TAILQ_INIT(&l->backlog);
	TAILQ_INIT(&l->retired);
	return idmap_init(&l->table);
}

void reqlist_free(struct reqlist *l)
{
	reqlist_reap(l);
	idmap_free(&l->table);
}

bool reqlist_ordered(const struct req *r)
{
	return r->kind == RK_EXEC || r->kind == RK_PING || r->kind == RK_KILL ||
	       r->kind == RK_REMOVE;
}

struct req *reqlist_get(struct reqlist *l, uint32_t id)
{
	return idmap_get(&l->table, id);
}

void reqlist_put(struct reqlist *l, struct req *r)
{
	if (idmap_put(&l->table, r->id, r) < 0)
		log_fatal("out of memory");
	r->pending = true;
}

void reqlist_del(struct reqlist *l, struct req *r)
{
	if (!r->pending)
		return;
	idmap_del(&l->table, r->id);
	r->pending = false;
}

size_t reqlist_count(const struct reqlist *l)
{
	return l->table.count;
}

struct req *reqlist_any(const struct reqlist *l)
{
	for (size_t i = 0; l->table.count && i < idmap_slots(&l->table); i++)
		if (idmap_at(&l->table, i))
			return idmap_at(&l->table, i);
	return NULL;
}

/* Nearly every deadline is now + --timeout, so an insertion stops at the tail. */
void reqlist_deadline_in(struct reqlist *l, struct req *r, int64_t at)
{
	struct req *after = TAILQ_LAST(&l->deadlines, req_list);
	while (after && after->deadline > at)
		after = TAILQ_PREV(after, req_list, dlink);
	r->deadline = at;
	if (after)
		TAILQ_INSERT_AFTER(&l->deadlines, after, r, dlink);
	else
		TAILQ_INSERT_HEAD(&l->deadlines, r, dlink);
}

void reqlist_deadline_del(struct reqlist *l, struct req *r)
{
	if (r->deadline == INT64_MAX)
		return;
	TAILQ_REMOVE(&l->deadlines, r, dlink);
	r->deadline = INT64_MAX;
}

struct nodeq *reqlist_nodeq(struct topo_node *n)
{
	if (!n->user) {
		struct nodeq *q = calloc(1, sizeof *q);
		if (!q)
			log_fatal("out of memory");
		q->id = n->id;
		TAILQ_INIT(&q->queue);
		q->adopt = q->adopt_from = TOPO_NONE;
		q->spawner = TOPO_NONE;
		n->user = q;
	}
	return n->user;
}

void reqlist_busy(struct reqlist *l, struct nodeq *q, bool busy)
{
	if (q->busy == busy)
		return;
	q->busy = busy;
	if (busy)
		TAILQ_INSERT_HEAD(&l->busy, q, blink);
	else
		TAILQ_REMOVE(&l->busy, q, blink);
}

void reqlist_queue_append(struct nodeq *q, struct req *r)
{
	r->q = q;
	TAILQ_INSERT_TAIL(&q->queue, r, qlink);
	if (!q->send)
		q->send = r;
}

void reqlist_queue_unlink(struct nodeq *q, struct req *r)
{
	if (q->send == r)
		q->send = TAILQ_NEXT(r, qlink);
	TAILQ_REMOVE(&q->queue, r, qlink);
	r->q = NULL;
}

uint32_t reqlist_new_id(struct reqlist *l)
{
	if (++l->next_id == 0)
		l->next_id = 1;	/* 0 means "no request" */
	return l->next_id;
}

struct req *reqlist_new_req(struct reqlist *l, enum req_kind kind, int32_t node)
{
	struct req *r = calloc(1, sizeof *r);
	if (!r)
		log_fatal("out of memory");
	r->id = reqlist_new_id(l);
	r->tag = l->tag;
	r->kind = kind;
	r->node = node;
	r->link = TOPO_NONE;
	r->deadline = INT64_MAX;
	return r;
}

void reqlist_retire(struct reqlist *l, struct req *r)
{
	reqlist_del(l, r);
	reqlist_deadline_del(l, r);
	TAILQ_INSERT_TAIL(&l->retired, r, rlink);
}

void reqlist_reap(struct reqlist *l)
{
	struct req *r;
	while ((r = TAILQ_FIRST(&l->retired))) {
		TAILQ_REMOVE(&l->retired, r, rlink);
		free(r->path);
		buf_free(&r->stage);
		buf_free(&r->fence);
		buf_free(&r->line);
		free(r);
	}
}

void reqlist_backlog_append(struct reqlist *l, struct req *r)
{
	TAILQ_INSERT_TAIL(&l->backlog, r, qlink);
	r->in_backlog = true;
}

void reqlist_backlog_unlink(struct reqlist *l, struct req *r)
{
	if (!r->in_backlog)
		return;
	TAILQ_REMOVE(&l->backlog, r, qlink);
	r->in_backlog = false;
}
