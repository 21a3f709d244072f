/* token.c - tokens of a command set's stream, read in pieces; see token.h. */
#include "token.h"

#include <string.h>

#define TOKEN_NUM_SAT ((uint64_t)1 << 63 | 1)	/* out of range for either sign */

void token_num_reset(struct token_num *t)
{
	t->mag = 0;
	t->len = 0;
	t->digits = 0;
	t->neg = 0;
	t->bad = 0;
}

void token_num_add(struct token_num *t, const char *p, size_t n)
{
	if (t->len < TOKEN_QUOTE) {
		size_t k = TOKEN_QUOTE - t->len < n ? TOKEN_QUOTE - t->len : n;
		memcpy(t->head + t->len, p, k);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		unsigned d = (unsigned)(c - '0');
		if (d < 10) {
			t->digits++;
			/* Saturate, not wrap: a long token is still known to be too big. */
			if (t->mag <= (((uint64_t)1 << 63) - d) / 10)
				t->mag = t->mag * 10 + d;
			else
				t->mag = TOKEN_NUM_SAT;
		} else if (t->len + i == 0 && (c == '-' || c == '+')) {
			t->neg = c == '-';
		} else {
			t->bad = 1;
		}
	}
	t->len += n;
}

int token_num_value(const struct token_num *t, int64_t *v)
{
	if (t->bad || t->digits == 0)
		return TOKEN_NUM_INVALID;
	if (t->mag > (uint64_t)INT64_MAX + (uint64_t)t->neg)
		return TOKEN_NUM_RANGE;
	/* Negate in unsigned arithmetic: -2^63 has no positive int64. */
	*v = t->neg ? (int64_t)(0 - t->mag) : (int64_t)t->mag;
	return TOKEN_NUM_OK;
}

void token_split_reset(struct token_split *s)
{
	s->count = 0;
	s->open = 0;
}

static void token_split_close(struct token_split *s, token_fn fn, void *ctx)
{
	s->open = 0;
	s->tok.text[s->tok.len < TOKEN_CAP ? s->tok.len : TOKEN_CAP] = '\0';
	fn(ctx, &s->tok, s->count - 1);
}

void token_split_feed(struct token_split *s, const char *p, size_t n, token_fn fn, void *ctx)
{
	const char *end = p + n;
	while (p < end) {
		if (token_space((unsigned char)*p)) {
			if (s->open)
				token_split_close(s, fn, ctx);
			p++;
			continue;
		}
		const char *q = p;
		while (q < end && !token_space((unsigned char)*q))
			q++;
		struct token *t = &s->tok;
		if (!s->open) {
			s->open = 1;
			s->count++;
			t->len = 0;
			token_num_reset(&t->num);
		}
		size_t k = (size_t)(q - p);
		if (t->len < TOKEN_CAP) {
			size_t room = TOKEN_CAP - t->len;
			memcpy(t->text + t->len, p, room < k ? room : k);
		}
		token_num_add(&t->num, p, k);
		t->len += k;
		p = q;
	}
}

void token_split_end(struct token_split *s, token_fn fn, void *ctx)
{
	if (s->open)
		token_split_close(s, fn, ctx);
}

void token_err_reset(struct token_err *e)
{
	e->what = NULL;
}

void token_err_set(struct token_err *e, const char *what, const char *tok, size_t len)
{
	if (e->what)
		return;
	e->what = what;
	e->quote = tok != NULL;
	e->len = len;
	if (tok)
		memcpy(e->head, tok, len < TOKEN_QUOTE ? len : TOKEN_QUOTE);
}

int token_err_write(const struct token_err *e, struct buf *out)
{
	buf_reset(out);
	if (buf_puts(out, e->what ? e->what : "") < 0)
		return -1;
	if (!e->quote)
		return 0;
	/* head holds the first TOKEN_QUOTE bytes, all that buf_quote shows of a token */
	return buf_puts(out, " ") < 0 ? -1 : buf_quote(out, e->head, e->len);
}

void token_oom(struct buf *out)
{
	buf_reset(out);
	buf_puts(out, "Out of memory");
}

/* Writes v in decimal to dst (room for 39 bytes, no NUL); returns the length. */
static size_t utoa(char *dst, token_u128 v)
{
	if (v <= UINT64_MAX)
		return token_u64toa(dst, (uint64_t)v);
	/* Split off the low 19 digits, zero-padded; the rest is at most 20 digits. */
	uint64_t low = (uint64_t)(v % 10000000000000000000u);
	size_t n = utoa(dst, v / 10000000000000000000u);
	for (int i = 18; i >= 0; i--, low /= 10)
		dst[n + (size_t)i] = (char)('0' + low % 10);
	return n + 19;
}

int token_put_i128(struct buf *out, token_i128 v)
{
	char s[40];
	size_t n = 0;
	if (v < 0)
		s[n++] = '-';
	n += utoa(s + n, v < 0 ? -(token_u128)v : (token_u128)v);
	buf_reset(out);
	return buf_append(out, s, n);
}
