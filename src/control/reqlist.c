/* reqlist.c - the request record and the lists it lives in: the table by request id, the
 * deadline list, each node's queue, the busy list and the backlog of creates. No policy here:
 * what requests do is in requests.c. */
#include "reqlist.h"

#include <stdlib.h>

#include "log.h"

bool reqlist_ordered(const struct req *r)
{
	return r->kind == RK_EXEC || r->kind == RK_PING || r->kind == RK_KILL ||
	       r->kind == RK_REMOVE;
}

struct req *reqlist_get(struct requests *rq, uint32_t id)
{
	for (struct req *r = rq->table[id & (rq->nbuckets - 1)]; r; r = r->hnext)
		if (r->id == id)
			return r;
	return NULL;
}

static void table_grow(struct requests *rq)
{
	size_t n = rq->nbuckets * 2;
	struct req **t = calloc(n, sizeof *t);
	if (!t)
		return;	/* longer chains, still correct */
	for (size_t i = 0; i < rq->nbuckets; i++) {
		for (struct req *r = rq->table[i], *next; r; r = next) {
			next = r->hnext;
			r->hnext = t[r->id & (n - 1)];
			t[r->id & (n - 1)] = r;
		}
	}
	free(rq->table);
	rq->table = t;
	rq->nbuckets = n;
}

void reqlist_put(struct requests *rq, struct req *r)
{
	if (rq->count >= rq->nbuckets)
		table_grow(rq);
	struct req **b = &rq->table[r->id & (rq->nbuckets - 1)];
	r->hnext = *b;
	*b = r;
	r->pending = true;
	rq->count++;
}

void reqlist_del(struct requests *rq, struct req *r)
{
	if (!r->pending)
		return;
	for (struct req **p = &rq->table[r->id & (rq->nbuckets - 1)]; *p; p = &(*p)->hnext) {
		if (*p == r) {
			*p = r->hnext;
			break;
		}
	}
	r->pending = false;
	rq->count--;
}

/* Nearly every deadline is now + --timeout, so an insertion stops at the tail. */
void reqlist_deadline_in(struct requests *rq, struct req *r, int64_t at)
{
	struct req *after = rq->dtail;
	while (after && after->deadline > at)
		after = after->dprev;
	r->deadline = at;
	r->dprev = after;
	r->dnext = after ? after->dnext : rq->dhead;
	if (r->dnext)
		r->dnext->dprev = r;
	else
		rq->dtail = r;
	if (after)
		after->dnext = r;
	else
		rq->dhead = r;
}

void reqlist_deadline_del(struct requests *rq, struct req *r)
{
	if (r->deadline == INT64_MAX)
		return;
	if (r->dprev)
		r->dprev->dnext = r->dnext;
	else
		rq->dhead = r->dnext;
	if (r->dnext)
		r->dnext->dprev = r->dprev;
	else
		rq->dtail = r->dprev;
	r->deadline = INT64_MAX;
}

struct nodeq *reqlist_nodeq(struct topo_node *n)
{
	if (!n->user) {
		struct nodeq *q = calloc(1, sizeof *q);
		if (!q)
			fatal("out of memory");
		q->id = n->id;
		q->adopt = q->adopt_from = TOPO_NONE;
		q->spawner = TOPO_NONE;
		n->user = q;
	}
	return n->user;
}

void reqlist_busy(struct requests *rq, struct nodeq *q, bool busy)
{
	if (q->busy == busy)
		return;
	q->busy = busy;
	if (busy) {
		q->bprev = NULL;
		q->bnext = rq->busy;
		if (rq->busy)
			rq->busy->bprev = q;
		rq->busy = q;
		return;
	}
	if (q->bprev)
		q->bprev->bnext = q->bnext;
	else
		rq->busy = q->bnext;
	if (q->bnext)
		q->bnext->bprev = q->bprev;
}

void reqlist_queue_append(struct nodeq *q, struct req *r)
{
	r->q = q;
	r->qnext = NULL;
	r->qprev = q->tail;
	if (q->tail)
		q->tail->qnext = r;
	else
		q->head = r;
	q->tail = r;
	if (!q->send)
		q->send = r;
}

void reqlist_queue_unlink(struct nodeq *q, struct req *r)
{
	if (q->send == r)
		q->send = r->qnext;
	if (r->qprev)
		r->qprev->qnext = r->qnext;
	else
		q->head = r->qnext;
	if (r->qnext)
		r->qnext->qprev = r->qprev;
	else
		q->tail = r->qprev;
	r->q = NULL;
}

uint32_t reqlist_new_id(struct requests *rq)
{
	if (++rq->next_id == 0)
		rq->next_id = 1;	/* 0 means "no request" */
	return rq->next_id;
}

struct req *reqlist_new_req(struct requests *rq, enum req_kind kind, int32_t node)
{
	struct req *r = calloc(1, sizeof *r);
	if (!r)
		fatal("out of memory");
	r->id = reqlist_new_id(rq);
	r->kind = kind;
	r->node = node;
	r->link = TOPO_NONE;
	r->deadline = INT64_MAX;
	return r;
}

void reqlist_retire(struct requests *rq, struct req *r)
{
	reqlist_del(rq, r);
	reqlist_deadline_del(rq, r);
	r->hnext = rq->retired;
	rq->retired = r;
}

void reqlist_reap(struct requests *rq)
{
	while (rq->retired) {
		struct req *r = rq->retired;
		rq->retired = r->hnext;
		free(r->path);
		buf_free(&r->stage);
		buf_free(&r->line);
		free(r);
	}
}

void reqlist_backlog_unlink(struct requests *rq, struct req *r)
{
	if (r->qprev)
		r->qprev->qnext = r->qnext;
	else
		rq->backlog = r->qnext;
	if (r->qnext)
		r->qnext->qprev = r->qprev;
	else
		rq->backlog_tail = r->qprev;
	r->qprev = r->qnext = NULL;
}

void reqlist_backlog_append(struct requests *rq, struct req *r)
{
	r->qprev = rq->backlog_tail;
	r->qnext = NULL;
	if (rq->backlog_tail)
		rq->backlog_tail->qnext = r;
	else
		rq->backlog = r;
	rq->backlog_tail = r;
}
