/* parse.c - command line tokens; strict numbers (no sign games, no leading junk). */
#include "parse.h"

#include <string.h>

bool parse_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

void parse_tokens(const char *line, size_t len, struct tokens *t)
{
	size_t i = 0;
	memset(t, 0, sizeof *t);
	t->rest = line + len;
	while (i < len) {
		while (i < len && parse_is_space(line[i]))
			i++;
		if (i == len)
			break;
		if (t->n == PARSE_MAX_TOKENS) {
			t->more = true;
			break;
		}
		size_t start = i;
		while (i < len && !parse_is_space(line[i]))
			i++;
		t->tok[t->n].s = line + start;
		t->tok[t->n].len = i - start;
		if (++t->n == 2) {
			t->rest = line + i;
			t->rest_len = len - i;
		}
	}
}

int parse_uint(const struct word *t, int64_t max, int64_t *value)
{
	int64_t v = 0;
	if (t->len == 0)
		return -1;
	/* Any number of leading zeros, as strtol takes them: the value alone is bounded. */
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
		if (v > max)
			return -1;
	}
	*value = v;
	return 0;
}

int parse_id(const struct word *t, int32_t *id)
{
	int64_t v;
	if (parse_uint(t, INT32_MAX, &v) < 0)
		return -1;
	*id = (int32_t)v;
	return 0;
}

int parse_parent(const struct word *t, int64_t *parent)
{
	if (parse_is(t, "-1")) {
		*parent = -1;
		return 0;
	}
	int32_t id;
	if (parse_id(t, &id) < 0)
		return -1;
	*parent = id;
	return 0;
}

bool parse_is(const struct word *t, const char *word)
{
	size_t n = strlen(word);
	return t->len == n && memcmp(t->s, word, n) == 0;
}
