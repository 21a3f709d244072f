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

#define SETRUN_OK(cs, st, in, want) setrun_check(&(cs), (st), (in), CMDSET_OK, (want))
#define SETRUN_ERR(cs, st, in, want) setrun_check(&(cs), (st), (in), CMDSET_ERR, (want))

#endif
