/* output.c - answers go to stdout, one line each; stdout is flushed before the loop waits,
 * so answers appear as they come without a write per line under load. */
#include <stdarg.h>
#include <stdio.h>

#include "console.h"
#include "control.h"

void out_line(struct ctl *c, const char *line, size_t len)
{
	if (c->interactive && console_print_above(c->con, line, len))
		return;
	fwrite(line, 1, len, stdout);
	putchar('\n');
}

void out_printf(struct ctl *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[512];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	out_line(c, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void out_flush(struct ctl *c)
{
	(void)c;
	fflush(stdout);
}
