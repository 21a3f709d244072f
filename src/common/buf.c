/* buf.c - a growable byte buffer; data stays NUL-terminated when not empty. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int buf_reserve(struct buf *b, size_t extra)
{
	if (b->cap - b->len > extra)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap - b->len <= extra) {
		if (cap > ((size_t)-1) / 2)
			return -1;
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0) {
		va_end(again);
		return -1;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
	return 0;
}

void buf_vline(void (*fn)(void *arg, const char *line, size_t len), void *arg, const char *fmt,
	       va_list ap)
{
	struct buf b = { 0 };
	if (buf_vprintf(&b, fmt, ap) < 0)
		log_fatal("out of memory");
	fn(arg, b.data ? b.data : "", b.len);
	buf_free(&b);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int buf_quote(struct buf *b, const char *token, size_t len)
{
	size_t n = len > BUF_QUOTE ? BUF_QUOTE : len;
	if (buf_reserve(b, n + 5) < 0)
		return -1;
	char *p = b->data + b->len;
	*p++ = '\'';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)token[i];
		*p++ = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	b->len = (size_t)(p - b->data);
	if (len > n)
		buf_puts(b, "...");
	return buf_puts(b, "'");
}

int buf_escape(struct buf *b, const char *text, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		if (buf_append(b, text + start, i - start) < 0)
			return -1;
		start = i + 1;
		int rc = c == '\n' ? buf_puts(b, "\\n") : c == '\r' ? buf_puts(b, "\\r") :
			 c == '\t' ? buf_puts(b, "\\t") : buf_printf(b, "\\x%02x", c);
		if (rc < 0)
			return -1;
	}
	return buf_append(b, text + start, len - start);
}

int buf_put_le(struct buf *b, uint64_t v, size_t bytes)
{
	unsigned char le[8];
	for (size_t i = 0; i < bytes && i < sizeof le; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	return buf_append(b, le, bytes < sizeof le ? bytes : sizeof le);
}

int buf_get_le(const char *data, size_t len, size_t *pos, size_t bytes, uint64_t *v)
{
	if (bytes > 8 || *pos > len || len - *pos < bytes)
		return -1;
	*v = 0;
	for (size_t i = 0; i < bytes; i++)
		*v |= (uint64_t)(unsigned char)data[*pos + i] << (8 * i);
	*pos += bytes;
	return 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
