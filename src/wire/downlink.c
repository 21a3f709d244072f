/* downlink.c - the ROUTER to a process's children and its probing (downlink.h). */
#include "downlink.h"

#include <errno.h>
#include <stdio.h>
#include <zmq.h>

#include "clock.h"
#include "link.h"

/* Delays of the follow-up rounds after the first, in ms. */
static const int reprobe_delays[] = { 1, 5, 25, 100 };

static void reprobe_start(struct reprobe *r, int64_t now)
{
	r->next = now;
	r->step = 0;
}

static bool reprobe_due(struct reprobe *r, int64_t now)
{
	if (now < r->next)
		return false;
	int n = (int)(sizeof reprobe_delays / sizeof reprobe_delays[0]);
	r->next = r->step < n ? now + reprobe_delays[r->step] : INT64_MAX;
	r->step++;
	return true;
}

static void reprobe_watch(struct reprobe *r, void *mon, int64_t now)
{
	int ev;
	char endpoint[PROTO_ENDPOINT_MAX];
	while (link_monitor_read(mon, &ev, endpoint, sizeof endpoint) != 1)
		if (ev == ZMQ_EVENT_DISCONNECTED)
			reprobe_start(r, now);
}

int downlink_open(struct downlink *dl, void *ctx, const char *name, const char *bind)
{
	dl->mon = NULL;
	dl->remote[0] = '\0';
	dl->reprobe.next = INT64_MAX;
	dl->reprobe.step = 0;
	dl->sock = link_router(ctx, bind, dl->endpoint, sizeof dl->endpoint);
	if (!dl->sock)
		return -1;
	dl->mon = link_monitor(ctx, dl->sock, name, ZMQ_EVENT_DISCONNECTED);
	return dl->mon ? 0 : -1;
}

int downlink_listen(struct downlink *dl, const char *address, const struct keypair *kp,
		    const char *domain, int timeout_ms)
{
	char bind[PROTO_ENDPOINT_MAX];
	if (dl->remote[0])
		return 0;
	int n = snprintf(bind, sizeof bind, "tcp://%s:*", address);
	if (n < 0 || (size_t)n >= sizeof bind)
		return errno = EINVAL, -1;
	if (link_serve_remote(dl->sock, kp, domain, timeout_ms) < 0 ||
	    link_bind(dl->sock, bind, dl->remote, sizeof dl->remote) < 0) {
		dl->remote[0] = '\0';
		return -1;
	}
	return 0;
}

void downlink_close(struct downlink *dl)
{
	link_unmonitor(dl->sock, &dl->mon);
	link_close(&dl->sock);
}

int downlink_send_req(struct downlink *dl, uint32_t req, uint8_t op, uint8_t flags,
		      const int32_t *path, size_t npath, const void *body, size_t len)
{
	if (proto_send_req(dl->sock, path[0], req, op, flags, path, npath, body, len) == 0)
		return 0;
	if (errno == EHOSTUNREACH)
		reprobe_start(&dl->reprobe, clock_ms());
	return -1;
}

void downlink_watch(struct downlink *dl, int64_t now)
{
	reprobe_watch(&dl->reprobe, dl->mon, now);
}

int64_t downlink_next_probe(const struct downlink *dl)
{
	return dl->reprobe.next;
}

bool downlink_probe_due(struct downlink *dl, int64_t now)
{
	return reprobe_due(&dl->reprobe, now);
}

int downlink_probe(struct downlink *dl, int32_t child)
{
	return proto_send_probe(dl->sock, child) < 0 && errno == EHOSTUNREACH ? -1 : 0;
}
