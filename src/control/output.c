/* output.c - answers go to stdout, one line each; stdout is flushed before the loop waits,
 * so answers appear as they come without a write per line under load. A write that fails
 * (a full disk, a reader that went away) ends the control node: answers nobody gets are no
 * use, and a script must learn that its output is incomplete. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "control.h"
#include "log.h"

void out_line(struct ctl *c, const char *line, size_t len)
{
	if (c->out_failed)
		return;
	if (c->interactive && console_print_above(c->con, line, len))
		return;
	fwrite(line, 1, len, stdout);
	putchar('\n');
}

void out_puts(struct ctl *c, const char *line)
{
	out_line(c, line, strlen(line));
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

int out_flush(struct ctl *c)
{
	if (c->out_failed)
		return -1;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	log_warn("cannot write answers: %s", strerror(errno ? errno : EIO));
	c->out_failed = true;
	return -1;
}
