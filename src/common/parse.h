/* parse.h - splitting a command line into tokens and reading its numbers. */
#ifndef MQTREE_PARSE_H
#define MQTREE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARSE_MAX_TOKENS 4	/* no command takes more; the rest of an exec line is its body */

struct word {
	const char *s;
	size_t len;
};

struct tokens {
	size_t n;			/* tokens found, at most PARSE_MAX_TOKENS */
	struct word tok[PARSE_MAX_TOKENS];
	bool more;			/* there are tokens after the last one kept */
	const char *rest;		/* the line after tok[1] (an exec's body) */
	size_t rest_len;
};

/* Tokens are separated by spaces, tabs and carriage returns. */
void parse_tokens(const char *line, size_t len, struct tokens *t);
bool parse_is_space(char c);
/* Node id 0..2147483647. 0, or -1. */
int parse_id(const struct word *t, int32_t *id);
/* A parent: -1 or a node id. 0, or -1. */
int parse_parent(const struct word *t, int64_t *parent);
/* A non-negative decimal number up to max (at most INT64_MAX / 10), leading zeros allowed.
 * 0, or -1. */
int parse_uint(const struct word *t, int64_t max, int64_t *value);
bool parse_is(const struct word *t, const char *word);

#endif
