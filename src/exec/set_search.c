/* set_search.c - `exec ID TEXT PATTERN`: every position of PATTERN in TEXT (README "Command sets").
 *
 * The text (up to 10^8 characters) is kept once, as it streams in; the pattern after it. The
 * search is Knuth-Morris-Pratt with the prefix function of the pattern only, so the extra memory
 * is 4 bytes per pattern character, and a pattern longer than the text is not even kept.
 */
#include "cmdset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

struct search {
	struct buf text;
	struct buf pat;
	size_t ntok;		/* tokens seen, the open one included */
	int open;
	int bad_text;
	int bad_pat;
	int pat_long;		/* the pattern outgrew the text: no match, and it is not kept */
	int oom;
};

/* Frees the buffers too: a node keeps no text between requests. */
static void search_begin(void *state)
{
	struct search *s = state;
	buf_free(&s->text);
	buf_free(&s->pat);
	s->ntok = 0;
	s->open = 0;
	s->bad_text = 0;
	s->bad_pat = 0;
	s->pat_long = 0;
	s->oom = 0;
}

static void *search_state_new(clock_ms_fn now)
{
	(void)now;	/* only the timer tells the time */
	struct search *s = calloc(1, sizeof(*s));
	if (s)
		search_begin(s);
	return s;
}

static void search_state_destroy(void *state)
{
	if (state)
		search_begin(state);
	free(state);
}

/* n bytes of the current token; bad when one of them is outside the alphabet. */
static void search_add(struct search *s, const char *p, size_t n, int bad)
{
	if (s->ntok == 1) {
		s->bad_text |= bad;
		if (!s->bad_text && !s->oom && buf_append(&s->text, p, n) < 0)
			s->oom = 1;
	} else if (s->ntok == 2) {
		s->bad_pat |= bad;
		if (s->pat.len + n > s->text.len)
			s->pat_long = 1;
		if (!s->bad_pat && !s->oom && !s->pat_long && buf_append(&s->pat, p, n) < 0)
			s->oom = 1;
	}
}

static void search_feed(void *state, const char *data, size_t len)
{
	struct search *s = state;
	const char *p = data, *end = data + len;
	while (p < end) {
		if (token_space((unsigned char)*p)) {
			s->open = 0;
			p++;
			continue;
		}
		if (!s->open) {
			s->open = 1;
			s->ntok++;
		}
		const char *q = p;
		int bad = 0;
		for (; q < end && !token_space((unsigned char)*q); q++)
			bad |= !token_alnum((unsigned char)*q);
		search_add(s, p, (size_t)(q - p), bad);
		p = q;
	}
}

/* Appends ";POS" (or "POS" first) to out; -1 when memory runs out. */
static int search_emit(struct buf *out, size_t pos)
{
	/* Grow in large steps: buf_reserve per match would be a call for each of 10^8. */
	if (out->cap - out->len <= 24 && buf_reserve(out, 1 << 16) < 0)
		return -1;
	char *w = out->data + out->len;
	if (out->len)
		*w++ = ';';
	w += token_u64toa(w, pos);
	out->len = (size_t)(w - out->data);
	return 0;
}

/* pi[i]: the longest proper border of pat[0..i]. */
static void search_prefix(const char *pat, size_t m, uint32_t *pi)
{
	pi[0] = 0;
	for (size_t i = 1; i < m; i++) {
		uint32_t k = pi[i - 1];
		while (k > 0 && pat[i] != pat[k])
			k = pi[k - 1];
		pi[i] = k + (pat[i] == pat[k]);
	}
}

/* The answer for a good text and pattern; -1 when memory runs out. */
static int search_run(const struct search *s, struct buf *out)
{
	const char *t = s->text.data, *pat = s->pat.data;
	size_t n = s->text.len, m = s->pat.len;
	uint32_t *pi = m < UINT32_MAX ? malloc(m * sizeof(*pi)) : NULL;
	if (!pi)
		return -1;
	search_prefix(pat, m, pi);
	int fail = 0;
	uint32_t k = 0;
	for (size_t i = 0; i < n && !fail; i++) {
		if (k == 0 && t[i] != pat[0]) {
			/* Nothing matched so far: let memchr find the next candidate start. */
			const char *c = memchr(t + i, pat[0], n - i);
			if (!c)
				break;
			i = (size_t)(c - t);
		}
		while (k > 0 && t[i] != pat[k])
			k = pi[k - 1];
		k += t[i] == pat[k];
		if (k == m) {
			fail = search_emit(out, i + 1 - m);
			k = pi[m - 1];
		}
	}
	free(pi);
	if (fail)
		return -1;
	if (!out->len)
		return buf_puts(out, "-1");
	out->data[out->len] = '\0';
	return 0;
}

static int search_end(void *state, struct buf *out)
{
	struct search *s = state;
	int r = CMDSET_ERR, fail;
	buf_reset(out);
	if (s->ntok != 2) {
		fail = buf_puts(out, "Expected TEXT PATTERN");
	} else if (s->bad_text) {
		fail = buf_puts(out, "Invalid character in text");
	} else if (s->bad_pat) {
		fail = buf_puts(out, "Invalid character in pattern");
	} else if (s->oom) {
		fail = -1;
	} else if (s->pat_long) {
		fail = buf_puts(out, "-1");
		r = CMDSET_OK;
	} else {
		fail = search_run(s, out);
		r = CMDSET_OK;
	}
	search_begin(s);
	if (fail < 0) {
		token_oom(out);
		return CMDSET_ERR;
	}
	return r;
}

const struct cmdset cmdset_search = {
	.name = "search",
	.usage = "exec ID TEXT PATTERN (or exec ID, then TEXT and PATTERN on the next two lines)",
	.bare_lines = 2,
	.state_new = search_state_new,
	.state_destroy = search_state_destroy,
	.begin = search_begin,
	.feed = search_feed,
	.end = search_end,
};
