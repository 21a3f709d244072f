#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char log_who[64] = "mqtree";
static int log_debug_on = -1;

void log_init(const char *who)
{
	snprintf(log_who, sizeof log_who, "%s", who);
	const char *d = getenv("MQTREE_DEBUG");
	log_debug_on = d && *d && strcmp(d, "0") != 0;
}

static void log_v(const char *level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void log_v(const char *level, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "%s: %s", log_who, level);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void log_debug(const char *fmt, ...)
{
	if (log_debug_on <= 0)
		return;
	/* a monotonic time in ms, to line up the logs of several processes */
	struct timespec ts;
	char when[32];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(when, sizeof when, "%lld.%03ld ", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
		 ts.tv_nsec / 1000 % 1000);
	va_list ap;
	va_start(ap, fmt);
	log_v(when, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v("fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}
