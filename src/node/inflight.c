/* inflight.c - requests in flight through a node, by id in an open-addressing table (linear
 * probing, backward-shift deletion, load at most 1/2): a pipelined script keeps many of them
 * in flight, each looked at twice. The HELLOs awaited are few (creates and moves under way)
 * and kept in a short array. */
#include "inflight.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	uint32_t req;	/* 0: empty slot */
	int32_t child;
	int32_t target;
};

struct awaited {
	int32_t child;
	int32_t id;
	uint32_t req;	/* the create that awaits it; 0 for a move */
};

struct inflight {
	struct entry *slots;
	size_t mask;	/* slots - 1, a power of two minus one */
	size_t count;
	struct awaited *hellos;
	size_t nhellos, cap;
};

struct inflight *inflight_new(void)
{
	struct inflight *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->mask = 63;
	f->slots = calloc(f->mask + 1, sizeof *f->slots);
	if (!f->slots) {
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
	free(f->slots);
	free(f->hellos);
	free(f);
	*fp = NULL;
}

static size_t home(const struct inflight *f, uint32_t req)
{
	return (size_t)(req * 2654435761u) & f->mask;	/* ids count up: spread them */
}

static struct entry *find(const struct inflight *f, uint32_t req)
{
	for (size_t i = home(f, req);; i = (i + 1) & f->mask) {
		if (f->slots[i].req == req)
			return &f->slots[i];
		if (!f->slots[i].req)
			return NULL;
	}
}

static void put(struct inflight *f, struct entry e)
{
	size_t i = home(f, e.req);
	while (f->slots[i].req)
		i = (i + 1) & f->mask;
	f->slots[i] = e;
	f->count++;
}

static int grow(struct inflight *f)
{
	struct inflight bigger = { .mask = f->mask * 2 + 1 };
	bigger.slots = calloc(bigger.mask + 1, sizeof *bigger.slots);
	if (!bigger.slots)
		return -1;
	for (size_t i = 0; i <= f->mask; i++)
		if (f->slots[i].req)
			put(&bigger, f->slots[i]);
	free(f->slots);
	f->slots = bigger.slots;
	f->mask = bigger.mask;
	return 0;
}

/* Backward-shift deletion: later entries of the run move up, so lookups need no tombstones. */
static void del(struct inflight *f, struct entry *e)
{
	size_t i = (size_t)(e - f->slots);
	for (size_t j = (i + 1) & f->mask; f->slots[j].req; j = (j + 1) & f->mask) {
		size_t h = home(f, f->slots[j].req);
		if (((j - h) & f->mask) >= ((j - i) & f->mask)) {
			f->slots[i] = f->slots[j];
			i = j;
		}
	}
	f->slots[i].req = 0;
	f->count--;
}

int inflight_sent(struct inflight *f, uint32_t req, int32_t child, int32_t target)
{
	struct entry *e = find(f, req);
	if (e) {
		e->child = child;
		e->target = target;
		return 0;
	}
	if ((f->count + 1) * 2 > f->mask + 1 && grow(f) < 0)
		return -1;
	put(f, (struct entry){ req, child, target });
	return 0;
}

static void hello_del(struct inflight *f, size_t i)
{
	f->hellos[i] = f->hellos[--f->nhellos];
}

bool inflight_answer(struct inflight *f, uint32_t req, int32_t child, int32_t id, bool final)
{
	struct entry *e = req ? find(f, req) : NULL;
	if (!e || e->child != child || e->target != id)
		return false;
	if (!final)
		return true;
	del(f, e);
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
			struct entry *e = f->hellos[i].req ? find(f, f->hellos[i].req) : NULL;
			if (e)
				del(f, e);
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
	/* Rare (a child lost or moved): a sweep of the table is fine. Deleting shifts later
	 * entries up, so the same slot is looked at again. */
	for (size_t i = 0; i <= f->mask;) {
		if (f->slots[i].req && f->slots[i].child == child)
			del(f, &f->slots[i]);
		else
			i++;
	}
}

size_t inflight_count(const struct inflight *f)
{
	return f->count;
}
