/* inflight.c - requests in flight through a node, by id in an idmap: a pipelined script keeps
 * many of them in flight, each looked at twice. The HELLOs awaited are few (creates and moves
 * under way) and kept in a short array. */
#include "inflight.h"

#include <stdlib.h>
#include <string.h>

#include "idmap.h"

struct entry {
	int32_t child;
	int32_t target;
};

struct awaited {
	int32_t child;
	int32_t id;
	uint32_t req;	/* the create that awaits it; 0 for a move */
};

struct inflight {
	struct idmap reqs;	/* struct entry by request id */
	struct awaited *hellos;
	size_t nhellos, cap;
};

struct inflight *inflight_new(void)
{
	struct inflight *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	if (idmap_init(&f->reqs) < 0) {
		free(f);
		return NULL;
	}
	return f;
}

void inflight_destroy(struct inflight **fp)
{
	struct inflight *f = *fp;
	if (!f)
		return;
	for (size_t i = 0; i < idmap_slots(&f->reqs); i++)
		free(idmap_at(&f->reqs, i));
	idmap_free(&f->reqs);
	free(f->hellos);
	free(f);
	*fp = NULL;
}

int inflight_sent(struct inflight *f, uint32_t req, int32_t child, int32_t target)
{
	struct entry *e = idmap_get(&f->reqs, req);
	if (!e) {
		if (!(e = malloc(sizeof *e)) || idmap_put(&f->reqs, req, e) < 0) {
			free(e);
			return -1;
		}
	}
	e->child = child;
	e->target = target;
	return 0;
}

static void hello_del(struct inflight *f, size_t i)
{
	f->hellos[i] = f->hellos[--f->nhellos];
}

bool inflight_answer(struct inflight *f, uint32_t req, int32_t child, int32_t id, bool final)
{
	struct entry *e = req ? idmap_get(&f->reqs, req) : NULL;
	if (!e || e->child != child || e->target != id)
		return false;
	if (!final)
		return true;
	free(idmap_del(&f->reqs, req));
	for (size_t i = 0; i < f->nhellos; i++) {
		if (f->hellos[i].req == req) {	/* a create that failed: no HELLO comes */
			hello_del(f, i);
			break;
		}
	}
	return true;
}

int inflight_expect(struct inflight *f, int32_t child, int32_t id, uint32_t req)
{
	for (size_t i = 0; i < f->nhellos; i++) {
		if (f->hellos[i].id == id) {	/* awaited again: only the latest way counts */
			f->hellos[i] = (struct awaited){ child, id, req };
			return 0;
		}
	}
	if (f->nhellos == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 4;
		struct awaited *a = realloc(f->hellos, cap * sizeof *a);
		if (!a)
			return -1;
		f->hellos = a;
		f->cap = cap;
	}
	f->hellos[f->nhellos++] = (struct awaited){ child, id, req };
	return 0;
}

bool inflight_hello(struct inflight *f, int32_t child, int32_t id)
{
	for (size_t i = 0; i < f->nhellos; i++) {
		if (f->hellos[i].id == id && f->hellos[i].child == child) {
			if (f->hellos[i].req)	/* the create it answers */
				free(idmap_del(&f->reqs, f->hellos[i].req));
			hello_del(f, i);
			return true;
		}
	}
	return false;
}

void inflight_forget(struct inflight *f, int32_t id)
{
	for (size_t i = 0; i < f->nhellos; i++) {
		if (f->hellos[i].id == id) {
			hello_del(f, i);
			return;
		}
	}
}

void inflight_drop_child(struct inflight *f, int32_t child)
{
	for (size_t i = 0; i < f->nhellos;) {
		if (f->hellos[i].child == child)
			hello_del(f, i);
		else
			i++;
	}
	/* Rare (a child lost or moved): a sweep of the table is fine. Deleting may move a later
	 * entry into the same slot, so it is looked at again. */
	for (size_t i = 0; i < idmap_slots(&f->reqs);) {
		struct idmap_slot *s = &f->reqs.slots[i];
		if (s->val && ((struct entry *)s->val)->child == child)
			free(idmap_del(&f->reqs, s->key));
		else
			i++;
	}
}

size_t inflight_count(const struct inflight *f)
{
	return f->reqs.count;
}
