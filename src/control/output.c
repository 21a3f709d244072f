/* output.c - answer lines on stdout, in order with --ordered (output.h). */
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

struct output_slot {
	struct buf text;	/* its lines, each ended by '\n' */
	bool filled;
	bool later;
};

static void emit(struct output *o, const char *line, size_t len)
{
	if (o->failed)
		return;
	if (o->above && o->above(o->above_arg, line, len))
		return;
	fwrite(line, 1, len, stdout);
	putchar('\n');
}

static struct output_slot *slot(struct output *o, uint64_t tag)
{
	return &o->slots[tag & (o->cap - 1)];
}

/* Prints the filled slots at the front. */
static void release(struct output *o)
{
	while (o->first < o->next && slot(o, o->first)->filled) {
		struct output_slot *s = slot(o, o->first++);
		for (size_t off = 0; off < s->text.len;) {
			const char *nl = memchr(s->text.data + off, '\n', s->text.len - off);
			emit(o, s->text.data + off, (size_t)(nl - (s->text.data + off)));
			off = (size_t)(nl - s->text.data) + 1;
		}
		buf_free(&s->text);
	}
}

static void fill(struct output *o, uint64_t tag, const char *line, size_t len)
{
	struct output_slot *s = slot(o, tag);
	if (buf_append(&s->text, line, len) < 0 || buf_append(&s->text, "\n", 1) < 0)
		log_fatal("out of memory");
	s->filled = true;
}

void output_line(struct output *o, const char *line, size_t len)
{
	if (o->ordered && o->current)
		fill(o, o->current, line, len);
	else
		emit(o, line, len);
}

void output_puts(struct output *o, const char *line)
{
	output_line(o, line, strlen(line));
}

static void line_to(void *o, const char *line, size_t len)
{
	output_line(o, line, len);
}

void output_printf(struct output *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vline(line_to, o, fmt, ap);
	va_end(ap);
}

/* Room for one more slot: the ring doubles, its slots keeping their tags. */
static void grow(struct output *o)
{
	size_t cap = o->cap ? o->cap * 2 : 64;
	struct output_slot *slots = calloc(cap, sizeof *slots);
	if (!slots)
		log_fatal("out of memory");
	for (uint64_t t = o->first; t < o->next; t++)
		slots[t & (cap - 1)] = *slot(o, t);
	free(o->slots);
	o->slots = slots;
	o->cap = cap;
}

uint64_t output_begin(struct output *o, bool later)
{
	if (!o->first)
		o->first = o->next = 1;
	uint64_t tag = o->next;
	if (o->ordered) {
		if (o->next - o->first == o->cap)
			grow(o);
		*slot(o, tag) = (struct output_slot){ .later = later };
		o->next++;
	} else {
		o->first = ++o->next;	/* nothing is kept */
	}
	o->current = tag;
	return tag;
}

void output_end(struct output *o)
{
	if (o->ordered && o->current) {
		struct output_slot *s = slot(o, o->current);
		if (!s->later)
			s->filled = true;	/* answered now, or with nothing (exit) */
		release(o);
	}
	o->current = 0;
}

void output_answer(struct output *o, uint64_t tag, const char *line, size_t len)
{
	if (!o->ordered || tag < o->first || tag >= o->next) {
		emit(o, line, len);
		return;
	}
	fill(o, tag, line, len);
	if (tag != o->current)
		release(o);
}

int output_flush(struct output *o)
{
	if (o->failed)
		return -1;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	log_warn("cannot write answers: %s", strerror(errno ? errno : EIO));
	o->failed = true;
	return -1;
}

void output_free(struct output *o)
{
	for (uint64_t t = o->first; t < o->next; t++)
		buf_free(&slot(o, t)->text);
	free(o->slots);
	o->slots = NULL;
	o->cap = 0;
}
