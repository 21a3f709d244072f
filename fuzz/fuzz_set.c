/* fuzz_set.c - a command set (FUZZ_SET: cmdset_sum, _dict, _timer or _search, one target each)
 * gives the same answer, to the byte, whether each request is fed whole or cut anywhere.
 *
 * Input: byte 0 is a count c (mod 32) of chunk sizes, the next c bytes are those sizes (used
 * over and over; 0 feeds an empty piece; none, or all 0: one byte at a time), and the rest is
 * requests separated by NUL bytes. Two states of the set, driven as a node drives its set, see
 * the same requests in the same order: one each request whole, the other in those pieces. The
 * timer's clock is a fake that moves forward between requests, the same for both.
 */
#include <string.h>

#include "cmdset.h"
#include "fuzz.h"

static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

/* A heap copy of exactly the piece, so that ASan sees a read past its end (sum reads words). */
static void feed_copy(const struct cmdset *cs, void *st, const char *p, size_t n)
{
	char *copy = malloc(n ? n : 1);
	CHECK(copy);
	if (n)
		memcpy(copy, p, n);
	cs->feed(st, copy, n);
	free(copy);
}

/* One request: in[0..len) in pieces of cut[0], cut[1], ... cut[ncut - 1], cut[0], ...; whole
 * when ncut is 0. */
static int run(const struct cmdset *cs, void *st, const char *in, size_t len,
	       const uint8_t *cut, size_t ncut, struct buf *out)
{
	cs->begin(st);
	for (size_t off = 0, i = 0; off < len; i++) {
		size_t n = ncut ? cut[i % ncut] : len;
		if (n > len - off)
			n = len - off;
		feed_copy(cs, st, in + off, n);
		off += n;
	}
	return cs->end(st, out);
}

/* --restart: what a state saves loads into a new one, which saves as many bytes again (a
 * dictionary's order may differ); the input itself, taken as saved bytes, is refused or
 * loaded, never read past. */
static void check_saved(const struct cmdset *cs, const void *st, const uint8_t *data, size_t size)
{
	struct buf one = { 0 }, two = { 0 };
	void *copy = cs->state_new(fake_clock), *raw = cs->state_new(fake_clock);
	CHECK(copy && raw && cs->save(st, &one) == 0);
	CHECK(cs->load(copy, one.data, one.len) == CMDSET_OK && cs->save(copy, &two) == 0);
	CHECK(one.len == two.len);
	char *bytes = malloc(size);
	CHECK(bytes);
	memcpy(bytes, data, size);
	cs->load(raw, bytes, size);
	free(bytes);
	cs->state_destroy(copy);
	cs->state_destroy(raw);
	buf_free(&one);
	buf_free(&two);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t bytewise[] = { 1 };
	const struct cmdset *cs = &FUZZ_SET;
	if (size == 0)
		return 0;
	size_t ncut = data[0] % 32 < size - 1 ? data[0] % 32 : size - 1;
	const uint8_t *cut = data + 1;
	const char *p = (const char *)cut + ncut, *end = (const char *)data + size;
	size_t moves = 0;
	for (size_t i = 0; i < ncut; i++)
		moves += cut[i];
	if (moves == 0) {
		cut = bytewise;
		ncut = 1;
	}
	void *whole = cs->state_new(fake_clock), *pieces = cs->state_new(fake_clock);
	CHECK(whole && pieces);
	struct buf a = { 0 }, b = { 0 };
	fake_now = 1000;
	for (;;) {
		const char *q = memchr(p, '\0', (size_t)(end - p));
		size_t len = (size_t)((q ? q : end) - p);
		fake_now += 1 + (int64_t)len;
		int ra = run(cs, whole, p, len, NULL, 0, &a);
		int rb = run(cs, pieces, p, len, cut, ncut, &b);
		if (ra != rb || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)) {
			fprintf(stderr, "%s: request '%.*s': whole %d '%.*s', in pieces %d '%.*s'\n",
				cs->name, (int)len, p, ra, (int)a.len, a.data ? a.data : "", rb,
				(int)b.len, b.data ? b.data : "");
			abort();
		}
		/* Text without NUL bytes, NUL-terminated; an error always says why. */
		CHECK(a.len == 0 || (a.data[a.len] == '\0' && strlen(a.data) == a.len));
		CHECK(ra == CMDSET_OK || (ra == CMDSET_ERR && a.len > 0));
		if (!q)
			break;
		p = q + 1;
	}
	if (cs->save)
		check_saved(cs, whole, data, size);
	cs->state_destroy(whole);
	cs->state_destroy(pieces);
	buf_free(&a);
	buf_free(&b);
	return 0;
}
