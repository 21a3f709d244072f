/* buf.h - a growable byte buffer. */
#ifndef MQTREE_BUF_H
#define MQTREE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Each returns 0, or -1 when memory runs out (the buffer is then unchanged). */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Formats a line and hands it to fn (out of memory: log_fatal). */
void buf_vline(void (*fn)(void *arg, const char *line, size_t len), void *arg, const char *fmt,
	       va_list ap) __attribute__((format(printf, 3, 0)));
/* Appends 'TOKEN' for an error message: at most BUF_QUOTE characters then "...", and any
 * byte that is not printable ASCII as '?', so garbage input never reaches the output as it
 * came. Reads at most BUF_QUOTE bytes of token. */
#define BUF_QUOTE 32
int buf_quote(struct buf *b, const char *token, size_t len);
/* Appends text so that it stays one line: control characters become \n, \r, \t or \xHH. */
int buf_escape(struct buf *b, const char *text, size_t len);
/* Appends v as `bytes` bytes (at most 8), the least significant first: an integer that reads
 * the same on any host. */
int buf_put_le(struct buf *b, uint64_t v, size_t bytes);
/* Reads such an integer from data[*pos..len) and moves *pos past it; -1 if it runs past len. */
int buf_get_le(const char *data, size_t len, size_t *pos, size_t bytes, uint64_t *v);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
