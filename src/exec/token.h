/* token.h - reading a command set's argument stream (cmdset.h) a piece at a time.
 *
 * A token may be split across feed() calls at any byte, and may be any length, so nothing here
 * holds more than a fixed number of bytes of it: a set keeps what its meaning needs and no more.
 */
#ifndef MQTREE_TOKEN_H
#define MQTREE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TOKEN_CAP 256	/* bytes of a token kept by token_split; longer ones are cut */
#define TOKEN_QUOTE BUF_QUOTE	/* bytes of a token kept to quote in an error message */

__extension__ typedef __int128 token_i128;
__extension__ typedef unsigned __int128 token_u128;

/* The separators of cmdset.h: ' ', '\t', '\n', '\r'. Inline, as it runs once per byte. */
static inline int token_space(unsigned char c)
{
	return c <= ' ' &&
	       ((1ull << c) & (1ull << ' ' | 1ull << '\t' | 1ull << '\n' | 1ull << '\r')) != 0;
}

/* [A-Za-z0-9], the alphabet of dict names and search texts. No branch: on random text one
 * would mispredict. */
static inline int token_alnum(unsigned char c)
{
	return ((unsigned)(c - '0') < 10) | ((unsigned)((c | 0x20) - 'a') < 26);
}

/* A token read as a 64-bit signed integer, [+-]?[0-9]+, in pieces of any size. Leading zeros
 * are allowed, so its length does not bound its value. */
struct token_num {
	uint64_t mag;		/* magnitude so far, held at 2^63 + 1 once past any int64 */
	size_t len;		/* bytes so far */
	size_t digits;
	int neg;
	int bad;		/* a byte that cannot be part of an integer */
	char head[TOKEN_QUOTE];	/* the first bytes, to quote in an error */
};

enum { TOKEN_NUM_OK, TOKEN_NUM_INVALID, TOKEN_NUM_RANGE };

void token_num_reset(struct token_num *t);
void token_num_add(struct token_num *t, const char *p, size_t n);
/* TOKEN_NUM_OK and *v set, TOKEN_NUM_INVALID (not an integer) or TOKEN_NUM_RANGE. */
int token_num_value(const struct token_num *t, int64_t *v);

/* One whole token, as token_split hands it over. */
struct token {
	char text[TOKEN_CAP + 1];	/* its first TOKEN_CAP bytes, NUL-terminated */
	size_t len;			/* its full length; over TOKEN_CAP when text is cut */
	struct token_num num;		/* the token read as an integer */
};

/* index counts tokens from 0 in the request. */
typedef void (*token_fn)(void *ctx, const struct token *tok, size_t index);

/* Splits a stream into tokens for sets whose tokens are short (dict, timer). */
struct token_split {
	struct token tok;	/* the token being read */
	size_t count;		/* tokens seen, the open one included */
	int open;		/* tok is not finished yet */
};

void token_split_reset(struct token_split *s);
void token_split_feed(struct token_split *s, const char *p, size_t n, token_fn fn, void *ctx);
/* The end of the stream: finishes the open token. */
void token_split_end(struct token_split *s, token_fn fn, void *ctx);

/* The first error of a request, kept until its end, as the token it names is gone by then. */
struct token_err {
	const char *what;		/* NULL while there is none */
	char head[TOKEN_QUOTE];		/* the token quoted after what */
	size_t len;			/* its full length */
	int quote;
};

void token_err_reset(struct token_err *e);
/* Keeps only the first error: "WHAT 'TOK'", or "WHAT" when tok is NULL. tok holds at least
 * min(len, TOKEN_QUOTE) bytes. */
void token_err_set(struct token_err *e, const char *what, const char *tok, size_t len);
/* Replaces out with the message; -1 when memory runs out. */
int token_err_write(const struct token_err *e, struct buf *out);

/* Replaces out with "Out of memory", the reason every set gives when memory runs out. */
void token_oom(struct buf *out);

/* Writes v in decimal to dst (room for 20 bytes, no NUL); returns the length. Inline, as
 * search writes one per match, and there can be 10^8 of them. */
static inline size_t token_u64toa(char *dst, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

/* Replaces out with v in decimal; -1 when memory runs out. */
int token_put_i128(struct buf *out, token_i128 v);

#endif
