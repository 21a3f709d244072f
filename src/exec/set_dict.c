/* set_dict.c - `exec ID NAME [VALUE]`: a dictionary of integers per node (README "Command sets").
 *
 * An open-addressing hash table with linear probing, grown at 3/4 load; names are never
 * removed, so there are no tombstones. A store happens only at the end of the request, once it is
 * known to have exactly two good tokens.
 */
#include "cmdset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

#define DICT_NAME_MAX 256
#define DICT_MIN_SLOTS 16

_Static_assert(DICT_NAME_MAX <= TOKEN_CAP, "a name must fit in a token");

struct dict_slot {
	char *name;		/* NULL when the slot is free */
	size_t len;
	uint64_t hash;
	int64_t value;
};

struct dict {
	struct dict_slot *slots;
	size_t nslots;		/* a power of two, or 0 before the first store */
	size_t used;
	/* the request */
	struct token_split split;
	char name[DICT_NAME_MAX + 1];
	size_t name_len;
	int64_t value;
	struct token_err err;
};

static uint64_t dict_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u;	/* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

/* The slot holding name, or the free slot where it belongs. nslots > 0. */
static struct dict_slot *dict_slot_of(const struct dict *d, const char *name, size_t len,
				      uint64_t hash)
{
	size_t mask = d->nslots - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct dict_slot *e = &d->slots[i];
		if (!e->name ||
		    (e->hash == hash && e->len == len && memcmp(e->name, name, len) == 0))
			return e;
	}
}

static int dict_grow(struct dict *d)
{
	size_t n = d->nslots ? d->nslots * 2 : DICT_MIN_SLOTS;
	struct dict_slot *slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -1;
	struct dict old = { .slots = d->slots, .nslots = d->nslots };
	d->slots = slots;
	d->nslots = n;
	for (size_t i = 0; i < old.nslots; i++) {
		struct dict_slot *e = &old.slots[i];
		if (e->name)
			*dict_slot_of(d, e->name, e->len, e->hash) = *e;
	}
	free(old.slots);
	return 0;
}

static int dict_store(struct dict *d, const char *name, size_t len, int64_t value)
{
	uint64_t hash = dict_hash(name, len);
	if ((d->used + 1) * 4 > d->nslots * 3 && dict_grow(d) < 0)
		return -1;
	struct dict_slot *e = dict_slot_of(d, name, len, hash);
	if (!e->name) {
		char *copy = malloc(len + 1);
		if (!copy)
			return -1;
		memcpy(copy, name, len);
		copy[len] = '\0';
		*e = (struct dict_slot){ .name = copy, .len = len, .hash = hash };
		d->used++;
	}
	e->value = value;
	return 0;
}

static const struct dict_slot *dict_load(const struct dict *d, const char *name, size_t len)
{
	if (!d->nslots)
		return NULL;
	const struct dict_slot *e = dict_slot_of(d, name, len, dict_hash(name, len));
	return e->name ? e : NULL;
}

static void dict_begin(void *state)
{
	struct dict *d = state;
	token_split_reset(&d->split);
	d->name_len = 0;
	token_err_reset(&d->err);
}

static void *dict_state_new(clock_ms_fn now)
{
	(void)now;	/* only the timer tells the time */
	struct dict *d = calloc(1, sizeof(*d));
	if (d)
		dict_begin(d);
	return d;
}

static void dict_state_destroy(void *state)
{
	struct dict *d = state;
	if (!d)
		return;
	for (size_t i = 0; i < d->nslots; i++)
		free(d->slots[i].name);
	free(d->slots);
	free(d);
}

static void dict_token(void *ctx, const struct token *tok, size_t index)
{
	struct dict *d = ctx;
	if (index == 0) {
		if (tok->len > DICT_NAME_MAX) {
			token_err_set(&d->err, "Name too long", NULL, 0);
			return;
		}
		for (size_t i = 0; i < tok->len; i++) {
			if (!token_alnum((unsigned char)tok->text[i])) {
				token_err_set(&d->err, "Invalid name", tok->text, tok->len);
				return;
			}
		}
		memcpy(d->name, tok->text, tok->len + 1);
		d->name_len = tok->len;
	} else if (index == 1) {
		int r = token_num_value(&tok->num, &d->value);
		if (r == TOKEN_NUM_INVALID)
			token_err_set(&d->err, "Invalid value", tok->text, tok->len);
		else if (r == TOKEN_NUM_RANGE)
			token_err_set(&d->err, "Value out of range", tok->text, tok->len);
	}
}

static void dict_feed(void *state, const char *data, size_t len)
{
	struct dict *d = state;
	token_split_feed(&d->split, data, len, dict_token, d);
}

/* The answer to a good request; -1 when memory runs out. */
static int dict_run(struct dict *d, struct buf *out)
{
	if (d->split.count == 2)
		return dict_store(d, d->name, d->name_len, d->value);
	const struct dict_slot *e = dict_load(d, d->name, d->name_len);
	if (e)
		return token_put_i128(out, e->value);
	return buf_printf(out, "'%s' not found", d->name);
}

static int dict_end(void *state, struct buf *out)
{
	struct dict *d = state;
	int r = CMDSET_ERR, fail;
	token_split_end(&d->split, dict_token, d);
	buf_reset(out);
	if (d->split.count == 0 || d->split.count > 2) {
		fail = buf_puts(out, "Expected NAME [VALUE]");
	} else if (d->err.what) {
		fail = token_err_write(&d->err, out);
	} else {
		fail = dict_run(d, out);
		r = CMDSET_OK;
	}
	dict_begin(d);
	if (fail < 0) {
		token_oom(out);
		return CMDSET_ERR;
	}
	return r;
}

/* Each name as its length (2 bytes), its bytes and its value (8 bytes). */
static int dict_save(const void *state, struct buf *out)
{
	const struct dict *d = state;
	for (size_t i = 0; i < d->nslots; i++) {
		const struct dict_slot *e = &d->slots[i];
		if (e->name && (buf_put_le(out, e->len, 2) < 0 || buf_append(out, e->name, e->len) < 0 ||
				buf_put_le(out, (uint64_t)e->value, 8) < 0))
			return -1;
	}
	return 0;
}

static int dict_load_state(void *state, const char *data, size_t len)
{
	struct dict *d = state;
	for (size_t pos = 0; pos < len;) {
		uint64_t n, value;
		if (buf_get_le(data, len, &pos, 2, &n) < 0 || n == 0 || n > DICT_NAME_MAX ||
		    len - pos < n)
			return CMDSET_ERR;
		const char *name = data + pos;
		for (size_t i = 0; i < n; i++)
			if (!token_alnum((unsigned char)name[i]))
				return CMDSET_ERR;
		pos += n;
		if (buf_get_le(data, len, &pos, 8, &value) < 0 ||
		    dict_store(d, name, n, (int64_t)value) < 0)
			return CMDSET_ERR;
	}
	return CMDSET_OK;
}

const struct cmdset cmdset_dict = {
	.name = "dict",
	.usage = "exec ID NAME [VALUE]",
	.bare_lines = 0,
	.state_new = dict_state_new,
	.state_destroy = dict_state_destroy,
	.begin = dict_begin,
	.feed = dict_feed,
	.end = dict_end,
	.save = dict_save,
	.load = dict_load_state,
};
