/* idmap.h - a table from 32-bit ids (node ids, request ids) to pointers: open addressing
 * with linear probing and backward-shift deletion, at most half full, so a lookup is O(1)
 * however ids are spread. The tree model, the request table, heartbit and a node's requests
 * in flight all keep theirs in one. */
#ifndef MQTREE_IDMAP_H
#define MQTREE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
	uint32_t key;
	void *val;	/* NULL: the slot is empty */
};

struct idmap {
	struct idmap_slot *slots;
	unsigned bits;	/* 1 << bits slots */
	size_t count;
};

/* 0, or -1 when out of memory. */
int idmap_init(struct idmap *m);
void idmap_free(struct idmap *m);
void *idmap_get(const struct idmap *m, uint32_t key);
/* Sets key's value (val not NULL), replacing any. 0, or -1 when out of memory. */
int idmap_put(struct idmap *m, uint32_t key, void *val);
/* Takes key out; its value, or NULL when it had none. */
void *idmap_del(struct idmap *m, uint32_t key);
/* Every value, by slot: a value is at slot i when idmap_at() is not NULL. A deletion during
 * the sweep may move a later value into the slot just looked at: look at it again. */
size_t idmap_slots(const struct idmap *m);
void *idmap_at(const struct idmap *m, size_t slot);

/* Orders i32 ids for qsort. */
int idmap_cmp_i32(const void *a, const void *b);

#endif
