/* output.c - answer lines on stdout (output.h). */
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"

void output_line(struct output *o, const char *line, size_t len)
{
	if (o->failed)
		return;
	if (o->above && o->above(o->above_arg, line, len))
		return;
	fwrite(line, 1, len, stdout);
	putchar('\n');
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
