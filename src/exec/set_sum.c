/* set_sum.c - `exec ID N K1 ... KN`: the exact sum of N 64-bit integers (README "Command sets").
 *
 * The line can hold 10^8 numbers, so it is never held: each number is added as it is read.
 * Parsing is what bounds a node's speed here, so there are three paths. A number of up to 7
 * characters that lies whole inside one feed() is read 8 bytes at a time, without a branch on
 * its length; one of up to 18 digits (it cannot overflow) digit by digit. Anything else (the
 * count N, a token split between two feeds, a long or a bad token) goes through token_num,
 * which checks everything and keeps a few bytes of the token, whatever its length.
 */
#include "cmdset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

#define SUM_MAX_COUNT 100000000
#define SUM_FAST_DIGITS 18	/* 10^18 - 1 < 2^63: no overflow check needed */
#define SUM_SLICE ((ptrdiff_t)1 << 30)
/* sum_swar takes the first byte in memory as the low byte of a word. */
#define SUM_SWAR (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

struct sum {
	token_i128 total;
	uint64_t want;		/* N */
	uint64_t count;		/* numbers read after N */
	int have_n;		/* a first token was read */
	int open;		/* num holds the start of a token split between feeds */
	struct token_num num;
	struct token_err err;
};

static void sum_begin(void *state)
{
	struct sum *s = state;
	s->total = 0;
	s->want = 0;
	s->count = 0;
	s->have_n = 0;
	s->open = 0;
	token_err_reset(&s->err);
}

static void *sum_state_new(clock_ms_fn now)
{
	(void)now;	/* only the timer tells the time */
	struct sum *s = malloc(sizeof(*s));
	if (s)
		sum_begin(s);
	return s;
}

static void sum_state_destroy(void *state)
{
	free(state);
}

/* The token in num is complete. */
static void sum_token(struct sum *s)
{
	int64_t v;
	int r = token_num_value(&s->num, &v);
	const char *head = s->num.head;
	size_t len = s->num.len;
	if (!s->have_n) {
		s->have_n = 1;
		if (r == TOKEN_NUM_INVALID)
			token_err_set(&s->err, "Invalid count", head, len);
		else if (r == TOKEN_NUM_RANGE || v < 1 || v > SUM_MAX_COUNT)
			token_err_set(&s->err, "Count out of range", head, len);
		else
			s->want = (uint64_t)v;
	} else if (r == TOKEN_NUM_INVALID) {
		token_err_set(&s->err, "Invalid number", head, len);
	} else if (r == TOKEN_NUM_RANGE) {
		token_err_set(&s->err, "Number out of range", head, len);
	} else {
		s->total += v;
		s->count++;
	}
}

/* Reads the token at p (or the rest of the open one) byte by byte; returns where it ends. */
static const char *sum_slow(struct sum *s, const char *p, const char *end)
{
	if (!s->open) {
		token_num_reset(&s->num);
		s->open = 1;
	}
	const char *q = p;
	while (q < end && !token_space((unsigned char)*q))
		q++;
	token_num_add(&s->num, p, (size_t)(q - p));
	if (q < end) {
		s->open = 0;
		sum_token(s);
	}
	return q;
}

/* The token of up to 7 bytes, an optional sign then digits, that w starts with (its bytes in
 * memory order, low byte first), read without a branch on its length (mixed lengths would
 * mispredict it): its length in *n (0 when this does not apply), its value in *v, its sign
 * in *neg. */
static void sum_swar(uint64_t w, size_t *n, uint64_t *v, uint64_t *neg)
{
	const uint64_t ones = 0x0101010101010101u;
	uint64_t c = w & 0xff;
	size_t sign = c == '-' || c == '+';
	*neg = c == '-';
	/* A sign becomes a leading zero: no second load once it is known. */
	w ^= -(uint64_t)sign & (c ^ '0');
	/* A byte is a digit when it and it + 6 both have high nibble 3. A carry out of a
	 * non-digit byte only reaches the bytes after it, so the first non-digit is exact. */
	uint64_t other = ((w & 0xf0 * ones) ^ 0x30 * ones) |
			 (((w + 0x06 * ones) & 0xf0 * ones) ^ 0x30 * ones);
	*n = other ? (size_t)__builtin_ctzll(other) / 8 : 8;
	if (*n <= sign || *n == 8) {
		*n = 0;
		return;
	}
	/* Shift the digits to the top (leading zeros below them), then combine pairs, quads,
	 * octets: the first byte is the most significant digit. */
	uint64_t x = (w << (64 - 8 * *n)) & 0x0f * ones;
	x = (x * (1 + (10 << 8))) >> 8 & 0x00ff00ff00ff00ffu;
	x = (x * (1 + (100 << 16))) >> 16 & 0x0000ffff0000ffffu;
	*v = (x * (1 + (10000ull << 32))) >> 32;
}

/* Adds the numbers from p on while they are short and whole; returns where it stopped (the
 * start of a token it leaves to sum_slow, or a space, or end). The hot loop: locals only, no
 * calls, and one load of each number between one number and the next. */
static const char *sum_fast(struct sum *s, const char *p, const char *end)
{
	/* Numbers go to an int64 partial sum, cheaper than the 128-bit total. One of 8 to 18
	 * digits first moves it to the total, so it holds at most one of those and otherwise
	 * numbers under 10^7: under 2^29 of them in a slice of 2^30 bytes cannot overflow it. */
	if (end - p > SUM_SLICE)
		end = p + SUM_SLICE;
	token_i128 total = s->total;
	int64_t part = 0;
	uint64_t count = s->count;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (token_space(c)) {
			p++;
			continue;
		}
		size_t n = 0;
		uint64_t v = 0, neg = 0;
		if (SUM_SWAR && end - p >= 8) {	/* the token and the byte after it are in w */
			uint64_t w;
			memcpy(&w, p, 8);
			sum_swar(w, &n, &v, &neg);
		}
		if (n == 0) {
			/* Near the end, 8 bytes or more, or a lone sign: one byte at a time, and
			 * into the total. */
			neg = c == '-';
			const char *q = p + (c == '-' || c == '+'), *digits = q;
			unsigned d;
			for (v = 0; q < end && (d = (unsigned)((unsigned char)*q - '0')) < 10; q++)
				v = v * 10 + d;
			if (q == end || q == digits || q - digits > SUM_FAST_DIGITS)
				break;
			n = (size_t)(q - p);
			total += part;
			part = 0;
		}
		if (!token_space((unsigned char)p[n]))
			break;
		p += n + 1;	/* the space after it too: saves a turn of the loop */
		part += (int64_t)((v ^ -neg) + neg);
		count++;
	}
	s->total = total + part;
	s->count = count;
	return p;
}

static void sum_feed(void *state, const char *data, size_t len)
{
	struct sum *s = state;
	const char *p = data, *end = data + len;
	if (s->open)
		p = sum_slow(s, p, end);
	/* After the first error the rest is only skipped: the answer is already known. */
	while (p < end && !s->err.what) {
		if (s->have_n)
			p = sum_fast(s, p, end);
		while (p < end && token_space((unsigned char)*p))
			p++;
		if (p < end)
			p = sum_slow(s, p, end);
	}
}

static int sum_end(void *state, struct buf *out)
{
	struct sum *s = state;
	int r = CMDSET_ERR, fail;
	if (s->open && !s->err.what) {
		s->open = 0;
		sum_token(s);
	}
	buf_reset(out);
	if (s->err.what) {
		fail = token_err_write(&s->err, out);
	} else if (!s->have_n) {
		fail = buf_puts(out, "Expected N K1 ... KN");
	} else if (s->count != s->want) {
		fail = buf_printf(out, "Expected %llu numbers, got %llu",
				  (unsigned long long)s->want, (unsigned long long)s->count);
	} else {
		fail = token_put_i128(out, s->total);
		r = CMDSET_OK;
	}
	sum_begin(s);
	if (fail < 0) {
		token_oom(out);
		return CMDSET_ERR;
	}
	return r;
}

const struct cmdset cmdset_sum = {
	.name = "sum",
	.usage = "exec ID N K1 ... KN",
	.bare_lines = 0,
	.state_new = sum_state_new,
	.state_destroy = sum_state_destroy,
	.begin = sum_begin,
	.feed = sum_feed,
	.end = sum_end,
};
