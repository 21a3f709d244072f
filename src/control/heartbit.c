/* heartbit.c - an entry per node, found by id in an idmap and swept at check time. */
#include "heartbit.h"

#include <stdlib.h>

#include "buf.h"
#include "idmap.h"
#include "log.h"

struct entry {
	int32_t id;
	int64_t seen;
	bool down;	/* reported, and silent since */
};

struct heartbit {
	int64_t period;
	struct idmap nodes;
	int64_t next;	/* no entry can fall silent before this */
};

struct heartbit *heartbit_new(void)
{
	struct heartbit *hb = calloc(1, sizeof *hb);
	if (!hb)
		return NULL;
	if (idmap_init(&hb->nodes) < 0) {
		free(hb);
		return NULL;
	}
	hb->next = INT64_MAX;
	return hb;
}

void heartbit_destroy(struct heartbit **hbp)
{
	struct heartbit *hb = *hbp;
	if (!hb)
		return;
	for (size_t i = 0; i < idmap_slots(&hb->nodes); i++)
		free(idmap_at(&hb->nodes, i));
	idmap_free(&hb->nodes);
	free(hb);
	*hbp = NULL;
}

static struct entry *entry_at(const struct heartbit *hb, size_t slot)
{
	return idmap_at(&hb->nodes, slot);
}

void heartbit_set_period(struct heartbit *hb, int64_t ms, int64_t now)
{
	hb->period = ms;
	for (size_t i = 0; i < idmap_slots(&hb->nodes); i++) {
		struct entry *e = entry_at(hb, i);
		if (e) {
			e->seen = now;
			e->down = false;
		}
	}
	hb->next = ms ? now + HEARTBIT_MISSED * ms : INT64_MAX;
}

int64_t heartbit_period(const struct heartbit *hb)
{
	return hb->period;
}

void heartbit_seen(struct heartbit *hb, int32_t id, int64_t now)
{
	struct entry *e = idmap_get(&hb->nodes, (uint32_t)id);
	if (!e)
		return;
	e->seen = now;
	e->down = false;	/* back: it can be reported at its next outage */
	if (hb->period && now + HEARTBIT_MISSED * hb->period < hb->next)
		hb->next = now + HEARTBIT_MISSED * hb->period;
}

void heartbit_track(struct heartbit *hb, int32_t id, int64_t now)
{
	if (!idmap_get(&hb->nodes, (uint32_t)id)) {
		struct entry *e = calloc(1, sizeof *e);
		if (!e || idmap_put(&hb->nodes, (uint32_t)id, e) < 0)
			log_fatal("out of memory");
		e->id = id;
	}
	heartbit_seen(hb, id, now);
}

void heartbit_forget(struct heartbit *hb, int32_t id)
{
	free(idmap_del(&hb->nodes, (uint32_t)id));
}

void heartbit_check(struct heartbit *hb, int64_t now, void (*report)(int32_t id, void *arg),
		    void *arg)
{
	if (!hb->period || now < hb->next)
		return;
	int64_t silence = HEARTBIT_MISSED * hb->period;
	struct buf down = { 0 };
	hb->next = INT64_MAX;
	for (size_t i = 0; i < idmap_slots(&hb->nodes); i++) {
		struct entry *e = entry_at(hb, i);
		if (!e || e->down)
			continue;
		if (now - e->seen >= silence) {
			e->down = true;
			if (buf_append(&down, &e->id, sizeof e->id) < 0)
				log_fatal("out of memory");
		} else if (e->seen + silence < hb->next) {
			hb->next = e->seen + silence;
		}
	}
	size_t n = down.len / sizeof(int32_t);
	int32_t *ids = (int32_t *)(void *)down.data;
	if (n > 1)
		qsort(ids, n, sizeof *ids, idmap_cmp_i32);
	for (size_t k = 0; k < n; k++)
		report(ids[k], arg);
	buf_free(&down);
}

int64_t heartbit_next(const struct heartbit *hb)
{
	return hb->period ? hb->next : INT64_MAX;
}
