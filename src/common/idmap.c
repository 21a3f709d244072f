/* idmap.c - the id table (idmap.h). */
#include "idmap.h"

#include <stdlib.h>
#include <string.h>

static size_t mask_of(const struct idmap *m)
{
	return ((size_t)1 << m->bits) - 1;
}

/* Fibonacci hashing: consecutive ids spread over the whole table. */
static size_t home(const struct idmap *m, uint32_t key)
{
	return (size_t)(((uint64_t)key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - m->bits));
}

static size_t find(const struct idmap *m, uint32_t key)
{
	size_t i = home(m, key);
	while (m->slots[i].val && m->slots[i].key != key)
		i = (i + 1) & mask_of(m);
	return i;
}

static int resize(struct idmap *m, unsigned bits)
{
	struct idmap old = *m;
	struct idmap_slot *slots = calloc((size_t)1 << bits, sizeof *slots);
	if (!slots)
		return -1;
	m->slots = slots;
	m->bits = bits;
	for (size_t i = 0; old.slots && i <= mask_of(&old); i++)
		if (old.slots[i].val)
			m->slots[find(m, old.slots[i].key)] = old.slots[i];
	free(old.slots);
	return 0;
}

int idmap_init(struct idmap *m)
{
	*m = (struct idmap){ 0 };
	return resize(m, 4);
}

void idmap_free(struct idmap *m)
{
	free(m->slots);
	*m = (struct idmap){ 0 };
}

void *idmap_get(const struct idmap *m, uint32_t key)
{
	return m->slots[find(m, key)].val;
}

int idmap_put(struct idmap *m, uint32_t key, void *val)
{
	size_t i = find(m, key);
	if (!m->slots[i].val) {
		if ((m->count + 1) * 2 > mask_of(m) + 1) {
			if (resize(m, m->bits + 1) < 0)
				return -1;
			i = find(m, key);
		}
		m->count++;
	}
	m->slots[i] = (struct idmap_slot){ key, val };
	return 0;
}

void *idmap_del(struct idmap *m, uint32_t key)
{
	size_t mask = mask_of(m), i = find(m, key);
	void *val = m->slots[i].val;
	if (!val)
		return NULL;
	/* Pull back every later entry of the run that may sit at the hole: no tombstones. */
	for (size_t j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
		size_t h = home(m, m->slots[j].key);
		if (((j - h) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].val = NULL;
	m->count--;
	return val;
}

size_t idmap_slots(const struct idmap *m)
{
	return mask_of(m) + 1;
}

void *idmap_at(const struct idmap *m, size_t slot)
{
	return m->slots[slot].val;
}

int idmap_cmp_i32(const void *a, const void *b)
{
	int32_t x, y;
	memcpy(&x, a, sizeof x);
	memcpy(&y, b, sizeof y);
	return (x > y) - (x < y);
}
