/* heartbit.c - entries in an array (scanned at check time) with an id index beside it. */
#include "heartbit.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	int32_t id;
	int64_t seen;
	bool down;	/* reported, and silent since */
};

struct heartbit {
	int64_t period;
	struct entry *e;
	size_t n, cap;
	int32_t *index;	/* open addressing: position in e + 1; 0 empty */
	size_t slots;	/* power of two, at least 2n */
	int64_t next;	/* no entry can fall silent before this */
};

static size_t slot_of(const struct heartbit *hb, int32_t id)
{
	size_t h = (size_t)((uint32_t)id * 2654435761u);
	size_t mask = hb->slots - 1;
	size_t i = h & mask;
	while (hb->index[i] && hb->e[hb->index[i] - 1].id != id)
		i = (i + 1) & mask;
	return i;
}

static int reindex(struct heartbit *hb, size_t slots)
{
	int32_t *index = calloc(slots, sizeof *index);
	if (!index)
		return -1;
	free(hb->index);
	hb->index = index;
	hb->slots = slots;
	for (size_t k = 0; k < hb->n; k++)
		hb->index[slot_of(hb, hb->e[k].id)] = (int32_t)(k + 1);
	return 0;
}

struct heartbit *hb_new(void)
{
	struct heartbit *hb = calloc(1, sizeof *hb);
	if (hb && reindex(hb, 16) < 0) {
		free(hb);
		return NULL;
	}
	if (hb)
		hb->next = INT64_MAX;
	return hb;
}

void hb_destroy(struct heartbit **hbp)
{
	struct heartbit *hb = *hbp;
	if (!hb)
		return;
	free(hb->e);
	free(hb->index);
	free(hb);
	*hbp = NULL;
}

static struct entry *find(const struct heartbit *hb, int32_t id)
{
	int32_t k = hb->index[slot_of(hb, id)];
	return k ? &hb->e[k - 1] : NULL;
}

void hb_set_period(struct heartbit *hb, int64_t ms, int64_t now)
{
	hb->period = ms;
	for (size_t k = 0; k < hb->n; k++) {
		hb->e[k].seen = now;
		hb->e[k].down = false;
	}
	hb->next = ms ? now + HB_MISSED * ms : INT64_MAX;
}

int64_t hb_period(const struct heartbit *hb)
{
	return hb->period;
}

int hb_track(struct heartbit *hb, int32_t id, int64_t now)
{
	struct entry *e = find(hb, id);
	if (!e) {
		if (hb->n == hb->cap) {
			size_t cap = hb->cap ? hb->cap * 2 : 16;
			struct entry *grown = realloc(hb->e, cap * sizeof *grown);
			if (!grown)
				return -1;
			hb->e = grown;
			hb->cap = cap;
		}
		if (2 * (hb->n + 1) > hb->slots && reindex(hb, hb->slots * 2) < 0)
			return -1;
		e = &hb->e[hb->n++];
		e->id = id;
		hb->index[slot_of(hb, id)] = (int32_t)hb->n;
	}
	e->seen = now;
	e->down = false;
	if (hb->period && now + HB_MISSED * hb->period < hb->next)
		hb->next = now + HB_MISSED * hb->period;
	return 0;
}

void hb_forget(struct heartbit *hb, int32_t id)
{
	struct entry *e = find(hb, id);
	if (!e)
		return;
	*e = hb->e[--hb->n];	/* the last entry takes its place */
	reindex(hb, hb->slots);	/* keeps probing chains whole; removals are rare */
}

void hb_seen(struct heartbit *hb, int32_t id, int64_t now)
{
	struct entry *e = find(hb, id);
	if (!e)
		return;
	e->seen = now;
	e->down = false;	/* back: it can be reported at its next outage */
	if (hb->period && now + HB_MISSED * hb->period < hb->next)
		hb->next = now + HB_MISSED * hb->period;
}

static int cmp_id(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

void hb_check(struct heartbit *hb, int64_t now, void (*report)(int32_t id, void *arg),
	      void *arg)
{
	if (!hb->period || now < hb->next)
		return;
	int64_t silence = HB_MISSED * hb->period;
	int32_t *down = NULL;
	size_t ndown = 0;
	hb->next = INT64_MAX;
	for (size_t k = 0; k < hb->n; k++) {
		struct entry *e = &hb->e[k];
		if (e->down)
			continue;
		if (now - e->seen >= silence) {
			e->down = true;
			int32_t *grown = realloc(down, (ndown + 1) * sizeof *down);
			if (grown) {
				down = grown;
				down[ndown++] = e->id;
			}
		} else if (e->seen + silence < hb->next) {
			hb->next = e->seen + silence;
		}
	}
	if (ndown > 1)
		qsort(down, ndown, sizeof *down, cmp_id);
	for (size_t k = 0; k < ndown; k++)
		report(down[k], arg);
	free(down);
}

int64_t hb_next(const struct heartbit *hb)
{
	return hb->period ? hb->next : INT64_MAX;
}
