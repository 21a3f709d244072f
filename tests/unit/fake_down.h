/* fake_down.h - a fake downlink (what is sent is recorded), clock and process killer for
 * the control's unit tests. Included by one test program. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "buf.h"
#include "proto.h"

#define MAX_SENT 256
#define FAKE_PID(id) (100000 + (id))

struct sent {
	uint32_t req;
	uint8_t op, flags;
	int32_t path[16];
	size_t npath;
	char body[300];
	size_t len;
};

static struct {
	int64_t now;
	struct sent sent[MAX_SENT];
	size_t nsent;
	struct buf kills;	/* "kill ID" lines */
	bool unreachable;	/* sends fail */
} down;

static int fake_send(void *arg, uint32_t req, uint8_t op, uint8_t flags, const int32_t *path,
		     size_t npath, const void *body, size_t len)
{
	(void)arg;
	if (down.unreachable)
		return -1;
	assert_true(down.nsent < MAX_SENT);
	assert_true(npath <= 16 && len <= sizeof down.sent[0].body);
	struct sent *s = &down.sent[down.nsent++];
	*s = (struct sent){ req, op, flags, { 0 }, npath, { 0 }, len };
	memcpy(s->path, path, npath * sizeof *path);
	if (len)
		memcpy(s->body, body, len);
	return 0;
}

static void fake_kill(void *arg, pid_t pid, int32_t id)
{
	(void)arg;
	assert_int_equal(pid, FAKE_PID(id));
	buf_printf(&down.kills, "kill %d\n", (int)id);
}

/* Host h's key: 40 characters, all of them 'A' + h. */
static const char *fake_host_key(void *arg, int host)
{
	static char key[PROTO_KEY_LEN + 1];
	(void)arg;
	memset(key, 'A' + host, PROTO_KEY_LEN);
	return key;
}

static int64_t fake_now(void *arg)
{
	(void)arg;
	return down.now;
}

/* The last message sent with op, or NULL. */
static const struct sent *last_sent(uint8_t op)
{
	for (size_t i = down.nsent; i-- > 0;)
		if (down.sent[i].op == op)
			return &down.sent[i];
	return NULL;
}

static size_t count_sent(uint8_t op)
{
	size_t n = 0;
	for (size_t i = 0; i < down.nsent; i++)
		n += down.sent[i].op == op;
	return n;
}

/* Asserts s went down the path given (n ids). */
static void assert_path(const struct sent *s, size_t n, ...)
{
	va_list ap;
	assert_non_null(s);
	assert_int_equal(s->npath, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(s->path[i], va_arg(ap, int));
	va_end(ap);
}

