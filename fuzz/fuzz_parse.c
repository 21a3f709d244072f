/* fuzz_parse.c - command line tokens and numbers (parse.h) and the stream tokenizer of the sets
 * (token.h), fed in pieces, agree with plain reference readings of the same line. */
#include <inttypes.h>
#include <string.h>

#include "parse.h"
#include "token.h"

#include "fuzz.h"

static int ref_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* parse_uint as documented: digits only, any number of leading zeros, at most max. */
static int ref_uint(const struct word *k, int64_t max, int64_t *v)
{
	uint64_t x = 0;
	size_t i = 0;
	if (k->len == 0)
		return -1;
	for (size_t j = 0; j < k->len; j++)
		if (!ref_digit(k->s[j]))
			return -1;
	while (i + 1 < k->len && k->s[i] == '0')
		i++;
	if (k->len - i > 19)
		return -1;	/* above any max the commands use */
	for (; i < k->len; i++)
		x = x * 10 + (uint64_t)(k->s[i] - '0');	/* 19 digits fit in 64 bits */
	if (x > (uint64_t)max)
		return -1;
	*v = (int64_t)x;
	return 0;
}

static void check_numbers(const struct word *k)
{
	/* The bounds the commands use: ids, and heartbit / timeout milliseconds. */
	static const int64_t maxima[] = { 0, 9, 86400000, INT32_MAX };
	int64_t v = -1, rv = -1;
	for (size_t i = 0; i < sizeof maxima / sizeof maxima[0]; i++) {
		int r = parse_uint(k, maxima[i], &v);
		CHECK(r == ref_uint(k, maxima[i], &rv) && (r < 0 || v == rv));
	}
	int32_t id;
	int r = parse_id(k, &id);
	CHECK(r == ref_uint(k, INT32_MAX, &rv) && (r < 0 || id == rv));
	int64_t parent;
	int is_minus_one = parse_is(k, "-1");
	CHECK(is_minus_one == (k->len == 2 && memcmp(k->s, "-1", 2) == 0));
	if (parse_parent(k, &parent) == 0)
		CHECK(parent == (is_minus_one ? -1 : rv) && (is_minus_one || r == 0));
	else
		CHECK(r < 0 && !is_minus_one);
}

/* Tokens lie inside the line, in order, separated by spaces only; rest follows tok[1]. */
static void check_tokens(const char *line, size_t len)
{
	const char *end = line + len, *at = line;
	struct tokens t;
	parse_tokens(line, len, &t);
	CHECK(t.n <= PARSE_MAX_TOKENS);
	for (size_t i = 0; i < t.n; i++) {
		const struct word *k = &t.tok[i];
		CHECK(k->s >= at && k->len > 0 && k->len <= (size_t)(end - k->s));
		for (; at < k->s; at++)
			CHECK(parse_is_space(*at));
		for (; at < k->s + k->len; at++)
			CHECK(!parse_is_space(*at));
		CHECK(at == end || parse_is_space(*at));
		check_numbers(k);
	}
	while (at < end && parse_is_space(*at))
		at++;
	CHECK(t.more == (at < end) && (!t.more || t.n == PARSE_MAX_TOKENS));
	if (t.n >= 2)
		CHECK(t.rest == t.tok[1].s + t.tok[1].len && t.rest_len == (size_t)(end - t.rest));
	else
		CHECK(t.rest == end && t.rest_len == 0);
}

static int ref_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* token_num as documented: [+-]?[0-9]+ in int64 range. */
static int ref_num(const char *s, size_t len, int64_t *v)
{
	size_t i = len && (s[0] == '-' || s[0] == '+');
	int neg = len && s[0] == '-';
	uint64_t mag = 0;
	if (i == len)
		return TOKEN_NUM_INVALID;
	for (; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (!ref_digit(s[i]))
			return TOKEN_NUM_INVALID;
		mag = mag > (UINT64_MAX - d) / 10 ? UINT64_MAX : mag * 10 + d;
	}
	if (mag > (uint64_t)INT64_MAX + (uint64_t)neg)
		return TOKEN_NUM_RANGE;
	*v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return TOKEN_NUM_OK;
}

/* Walks the line as the reference tokenizer would, one token per call of on_token. */
struct walk {
	const char *at, *end;
	size_t count;
	struct buf out, want;
};

static const char *walk_next(struct walk *w, size_t *len)
{
	while (w->at < w->end && ref_space(*w->at))
		w->at++;
	const char *s = w->at;
	while (w->at < w->end && !ref_space(*w->at))
		w->at++;
	*len = (size_t)(w->at - s);
	return s;
}

static void on_token(void *ctx, const struct token *tok, size_t index)
{
	struct walk *w = ctx;
	size_t len;
	const char *s = walk_next(w, &len);
	size_t kept = len < TOKEN_CAP ? len : TOKEN_CAP;
	CHECK(len > 0 && index == w->count && tok->len == len);
	w->count++;
	CHECK(memcmp(tok->text, s, kept) == 0 && tok->text[kept] == '\0');
	CHECK(memcmp(tok->num.head, s, len < TOKEN_QUOTE ? len : TOKEN_QUOTE) == 0);
	int64_t v = 0, rv = 0;
	int r = token_num_value(&tok->num, &v);
	CHECK(r == ref_num(s, len, &rv) && (r != TOKEN_NUM_OK || v == rv));
	if (r == TOKEN_NUM_OK) {	/* decimal as printf writes it */
		char dec[24];
		int n = snprintf(dec, sizeof dec, "%" PRId64, v);
		CHECK(token_put_i128(&w->out, v) == 0 && w->out.len == (size_t)n &&
		      memcmp(w->out.data, dec, (size_t)n) == 0);
	}
	/* The first error is kept and quoted; a second one changes nothing. */
	struct token_err e;
	token_err_reset(&e);
	token_err_set(&e, "Bad", tok->text, tok->len);
	token_err_set(&e, "Other", NULL, 0);
	buf_reset(&w->want);
	CHECK(buf_puts(&w->want, "Bad ") == 0 && buf_quote(&w->want, s, len) == 0);
	CHECK(token_err_write(&e, &w->out) == 0 && strcmp(w->out.data, w->want.data) == 0);
}

/* token_put_i128 of any 128-bit value reads back as that value, in canonical decimal. */
static void check_i128(const uint8_t *data, size_t size, struct buf *out)
{
	token_i128 v = 0;
	if (size < sizeof v)
		return;
	memcpy(&v, data, sizeof v);
	CHECK(token_put_i128(out, v) == 0 && out->len > 0 && out->len <= 40);
	const char *s = out->data;
	size_t neg = s[0] == '-';
	CHECK(out->len > neg && (s[neg] != '0' || out->len == neg + 1) && (!neg || v < 0));
	token_u128 mag = 0;
	for (size_t i = neg; i < out->len; i++) {
		CHECK(ref_digit(s[i]));
		mag = mag * 10 + (token_u128)(s[i] - '0');
	}
	CHECK((token_u128)v == (neg ? 0 - mag : mag));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	check_tokens(line, size);
	for (size_t i = 0; i < size; i++) {
		CHECK(token_space(data[i]) == ref_space(line[i]));
		CHECK(token_alnum(data[i]) == (ref_digit(line[i]) ||
					       ((data[i] | 0x20) >= 'a' && (data[i] | 0x20) <= 'z')));
	}
	/* The stream tokenizer, in pieces of 1 to 8 bytes chosen by the first byte. */
	struct walk w = { .at = line, .end = line + size };
	struct token_split split;
	size_t piece = size ? 1 + data[0] % 8 : 1;
	token_split_reset(&split);
	for (size_t off = 0; off < size; off += piece)
		token_split_feed(&split, line + off, size - off < piece ? size - off : piece,
				 on_token, &w);
	token_split_end(&split, on_token, &w);
	size_t len;
	walk_next(&w, &len);
	CHECK(len == 0 && split.count == w.count);
	check_i128(data, size, &w.out);
	buf_free(&w.out);
	buf_free(&w.want);
	return 0;
}
