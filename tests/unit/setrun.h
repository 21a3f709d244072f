/* setrun.h - runs requests through a command set for its unit test (header only: each test
 * is its own program). Include after cmocka.h.
 *
 * Every feed gets a private heap copy of exactly its bytes, so that AddressSanitizer catches a
 * set that reads past the end of a chunk (sum reads 8 bytes at a time).
 */
#ifndef MQTREE_SETRUN_H
#define MQTREE_SETRUN_H

#include <stdlib.h>
#include <string.h>

#include "cmdset.h"

static void setrun_feed(const struct cmdset *cs, void *st, const char *p, size_t n)
{
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, p, n);
	cs->feed(st, copy, n);
	free(copy);
}

/* One request whose stream is in[0..len) fed in pieces of chunk bytes (0: all at once, or, when
 * seed is not 0, random sizes from 0 to chunk). Returns the set's result; out holds the text. */
static int setrun_chunked(const struct cmdset *cs, void *st, const char *in, size_t len,
			  size_t chunk, unsigned seed, struct buf *out)
{
	cs->begin(st);
	size_t off = 0;
	while (off < len) {
		size_t n = chunk ? chunk : len;
		if (seed)
			n = (size_t)rand_r(&seed) % (chunk + 1);
		if (n > len - off)
			n = len - off;
		setrun_feed(cs, st, in + off, n);
		off += n;
	}
	return cs->end(st, out);
}

static const char *setrun_text(const struct buf *out)
{
	return out->len ? out->data : "";
}

/* Runs in whole, byte by byte and in random pieces; each must give rc and want. Sets with state
 * (dict, timer) see the request three times, so use it for requests that repeat harmlessly. */
static void setrun_check(const struct cmdset *cs, void *st, const char *in, int rc,
			 const char *want)
{
	struct buf out = { 0 };
	size_t len = strlen(in);
	static const struct {
		size_t chunk;
		unsigned seed;
	} ways[] = { { 0, 0 }, { 1, 0 }, { 7, 1 }, { 3, 42 } };
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		int r = setrun_chunked(cs, st, in, len, ways[i].chunk, ways[i].seed, &out);
		if (r != rc || strcmp(setrun_text(&out), want) != 0) {
			print_error("input '%.80s' fed in pieces of %zu (seed %u): got %d "
				    "'%.200s', want %d '%.200s'\n", in, ways[i].chunk, ways[i].seed,
				    r, setrun_text(&out), rc, want);
			buf_free(&out);
			fail();
		}
	}
	buf_free(&out);
}

/* A new state loaded from what st saves (--restart); the caller destroys it. */
static inline void *setrun_copy(const struct cmdset *cs, const void *st, clock_ms_fn now)
{
	struct buf saved = { 0 };
	void *copy = cs->state_new(now);
	assert_non_null(copy);
	assert_int_equal(cs->save(st, &saved), 0);
	assert_int_equal(cs->load(copy, saved.data, saved.len), CMDSET_OK);
	buf_free(&saved);
	return copy;
}

/* Bytes that are not a saved state of cs are refused. */
static inline void setrun_load_fails(const struct cmdset *cs, const char *data, size_t len,
				     clock_ms_fn now)
{
	void *st = cs->state_new(now);
	assert_non_null(st);
	if (cs->load(st, data, len) != CMDSET_ERR) {
		print_error("%zu bytes loaded as a state of %s\n", len, cs->name);
		fail();
	}
	cs->state_destroy(st);
}

/* good[0..len) loads, and then the request in answers want; each shorter piece of it, from
 * min_cut bytes on, is refused. */
static inline void setrun_loads(const struct cmdset *cs, const char *good, size_t len,
				clock_ms_fn now, const char *in, const char *want, size_t min_cut)
{
	void *st = cs->state_new(now);
	assert_non_null(st);
	assert_int_equal(cs->load(st, good, len), CMDSET_OK);
	setrun_check(cs, st, in, CMDSET_OK, want);
	cs->state_destroy(st);
	for (size_t cut = min_cut; cut < len; cut++)
		setrun_load_fails(cs, good, cut, now);
}

#define SETRUN_OK(cs, st, in, want) setrun_check(&(cs), (st), (in), CMDSET_OK, (want))
#define SETRUN_ERR(cs, st, in, want) setrun_check(&(cs), (st), (in), CMDSET_ERR, (want))

#endif
