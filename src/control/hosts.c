/* hosts.c - the host table, the agents' link and the control's ZAP handler (hosts.h). */
#include "hosts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "downlink.h"
#include "link.h"
#include "log.h"
#include "zap.h"

/* A refused host is named on stderr once in this long, not once a handshake. */
#define REFUSED_QUIET_MS 5000

struct hosts {
	struct buf table;	/* struct host records; [0] is this host */
	struct downlink dl;	/* agents connect here */
	struct zap *zap;
	const struct keylist *allowed;
	struct hosts_ops ops;
	bool listening;
	char timeout[16];	/* --timeout, as the nodes are given it */
	char refused[64];	/* the address last named as refused, and when */
	int64_t refused_at;
};

static struct host *table(const struct hosts *h, size_t *n)
{
	*n = h->table.len / sizeof(struct host);
	return (struct host *)h->table.data;
}

static int by_key(const struct hosts *h, const char *key)
{
	size_t n;
	struct host *t = table(h, &n);
	for (size_t i = 1; i < n; i++)
		if (strcmp(t[i].key, key) == 0)
			return (int)i;
	return -1;
}

static int by_route(const struct hosts *h, int32_t route)
{
	size_t n;
	struct host *t = table(h, &n);
	for (size_t i = 1; i < n; i++)
		if (t[i].route == route && t[i].alive)
			return (int)i;
	return -1;
}

/* Agents with an allowed key ("host"); nodes on a joined host ("node"). */
static const char *allow(void *arg, const char *domain, const char *address, const char *key)
{
	struct hosts *h = arg;
	if (strcmp(domain, "host") == 0) {
		if (keys_list_find(h->allowed, key))
			return key;
		int64_t now = clock_ms();
		if (strcmp(h->refused, address) != 0 || now - h->refused_at >= REFUSED_QUIET_MS)
			log_warn("host %s refused: key not allowed", address);
		snprintf(h->refused, sizeof h->refused, "%s", address);
		h->refused_at = now;
		return NULL;
	}
	int i = by_key(h, key);
	if (i > 0 && hosts_get(h, i)->alive)
		return key;
	log_debug("node connection from %s refused: not the key of a joined host", address);
	return NULL;
}

struct hosts *hosts_new(void *ctx, const struct hosts_config *cfg, const struct hosts_ops *ops)
{
	struct hosts *h = calloc(1, sizeof *h);
	struct host self = { .route = PROTO_NO_ROUTE, .agent = getpid(), .alive = true };
	char bind[PROTO_ENDPOINT_MAX];
	if (!h)
		return NULL;
	h->ops = *ops;
	h->allowed = cfg->allowed;
	snprintf(h->timeout, sizeof h->timeout, "%d", cfg->timeout_ms);
	h->dl.sock = h->dl.mon = NULL;
	if (gethostname(self.name, sizeof self.name) < 0 || !self.name[0])
		snprintf(self.name, sizeof self.name, "local");
	self.name[sizeof self.name - 1] = '\0';
	snprintf(self.address, sizeof self.address, "%s", cfg->listen ? cfg->listen : "-");
	char *colon = strrchr(self.address, ':');
	if (colon)
		*colon = '\0';
	if (cfg->listen)
		snprintf(self.key, sizeof self.key, "%s", cfg->kp->pub);
	if (buf_append(&h->table, &self, sizeof self) < 0)
		goto fail;
	if (!cfg->listen)
		return h;
	snprintf(bind, sizeof bind, "tcp://%s", cfg->listen);
	if (!(h->zap = zap_open(ctx, allow, h)) || downlink_open(&h->dl, ctx, "hosts", NULL) < 0 ||
	    link_serve_remote(h->dl.sock, cfg->kp, "host", cfg->timeout_ms) < 0 ||
	    link_bind(h->dl.sock, bind, h->dl.endpoint, sizeof h->dl.endpoint) < 0) {
		log_warn("cannot listen on %s: %s", cfg->listen, zmq_strerror(errno));
		goto fail;
	}
	h->listening = true;
	return h;
fail:
	hosts_destroy(&h);
	return NULL;
}

void hosts_destroy(struct hosts **hp)
{
	struct hosts *h = *hp;
	if (!h)
		return;
	if (h->dl.sock)
		downlink_close(&h->dl);
	zap_close(&h->zap);
	buf_free(&h->table);
	free(h);
	*hp = NULL;
}

bool hosts_listening(const struct hosts *h)
{
	return h->listening;
}

size_t hosts_count(const struct hosts *h)
{
	size_t n;
	table(h, &n);
	return n;
}

const struct host *hosts_get(const struct hosts *h, int host)
{
	size_t n;
	struct host *t = table(h, &n);
	return host >= 0 && (size_t)host < n ? &t[host] : NULL;
}

int hosts_find(const struct hosts *h, const char *name, size_t len)
{
	size_t n;
	struct host *t = table(h, &n);
	for (size_t i = 0; i < n; i++)
		if ((strlen(t[i].name) == len && memcmp(t[i].name, name, len) == 0) ||
		    (strlen(t[i].address) == len && memcmp(t[i].address, name, len) == 0))
			return (int)i;
	return -1;
}

const char *hosts_key(const struct hosts *h, int host)
{
	const struct host *t = hosts_get(h, host);
	return t ? t->key : "";
}

int hosts_spawn(struct hosts *h, int host, uint32_t req, int32_t id, const char *const what[5])
{
	const struct host *t = hosts_get(h, host);
	if (!t || !t->alive || host == HOSTS_LOCAL)
		return errno = EHOSTUNREACH, -1;
	const char *fields[] = { what[0], what[1], what[2], h->timeout, what[3], what[4] };
	return proto_send_fields(h->dl.sock, t->route, MSG_SPAWN, 0, req, id, fields, 6);
}

void hosts_kill(struct hosts *h, int host, int32_t id, pid_t pid)
{
	const struct host *t = hosts_get(h, host);
	if (t && t->alive && host != HOSTS_LOCAL)	/* a gone agent's nodes went with it */
		proto_send_kill(h->dl.sock, t->route, id, pid);
}

static void welcome(struct hosts *h, int32_t route, uint8_t code, const char *text)
{
	const char *fields[] = { text };
	proto_send_fields(h->dl.sock, route, MSG_WELCOME, code, 0, 0, fields, 1);
}

/* A name stays the host's own unless another host has it: then its address names it. */
static void name_host(struct hosts *h, struct host *t, const char *name)
{
	snprintf(t->name, sizeof t->name, "%s", name);
	int other = hosts_find(h, t->name, strlen(t->name));
	if (other >= 0 && hosts_get(h, other) != t) {
		log_warn("host %s: the name %s is taken; it is called %s", t->address, name,
			 t->address);
		snprintf(t->name, sizeof t->name, "%s", t->address);
	}
}

/* A host joins under its key: a key already joined over a live link is refused. */
static void on_join(struct hosts *h, int32_t route, zmq_msg_t *msg, const struct msg *m)
{
	char text[PROTO_FIELDS_MAX];
	const char *f[2];
	const char *key = link_user(msg);
	if (proto_read_fields(m, text, f, 2) < 0 || !keys_list_find(h->allowed, key)) {
		welcome(h, route, 1, "malformed join");
		return;
	}
	int i = by_key(h, key);
	struct host *t = i > 0 ? (struct host *)hosts_get(h, i) : NULL;
	if (t && t->alive && t->route != route && downlink_probe(&h->dl, t->route) == 0) {
		log_warn("host %s refused: its key has joined already, from %s", f[1], t->address);
		welcome(h, route, 1, "a host with this key has joined already");
		return;
	}
	if (!t) {
		struct host fresh = { .route = route };
		if (buf_append(&h->table, &fresh, sizeof fresh) < 0)
			log_fatal("out of memory");
		i = (int)hosts_count(h) - 1;
		t = (struct host *)hosts_get(h, i);
		snprintf(t->key, sizeof t->key, "%s", key);
	} else if (t->alive && t->route != route) {
		h->ops.host_down(h->ops.arg, i);	/* its old agent is gone */
	}
	t->route = route;
	t->agent = m->id;
	t->alive = true;
	snprintf(t->address, sizeof t->address, "%s", f[1]);
	name_host(h, t, f[0]);
	log_warn("host %s (%s) joined", t->name, t->address);
	welcome(h, route, 0, t->name);
}

static void host_gone(struct hosts *h, int i)
{
	struct host *t = (struct host *)hosts_get(h, i);
	t->alive = false;
	log_warn("host %s (%s) is gone", t->name, t->address);
	h->ops.host_down(h->ops.arg, i);
}

/* From an agent: only over a connection with its host's key. */
static bool from_agent(void *arg, int32_t from, zmq_msg_t *msg, const struct msg *m)
{
	struct hosts *h = arg;
	pid_t pid;
	int32_t parent;
	if (m->type == MSG_JOIN) {
		on_join(h, from, msg, m);
		return true;
	}
	int i = by_route(h, from);
	if (i < 0 || strcmp(link_user(msg), hosts_key(h, i)) != 0) {
		log_debug("message from agent %d that has not joined: dropped", (int)from);
		return true;
	}
	if (m->type == MSG_REP)
		h->ops.spawn_answer(h->ops.arg, i, m);
	else if (m->type == MSG_LOST && proto_read_lost(m, &pid, &parent) == 0 && pid > 0)
		h->ops.node_exit(h->ops.arg, i, m->id, pid);
	return true;
}

void hosts_poll_items(struct hosts *h, zmq_pollitem_t items[3])
{
	zmq_pollitem_t none = { NULL, -1, 0, 0 };
	items[0] = items[1] = items[2] = none;
	if (!h->listening)
		return;
	items[0].socket = h->dl.sock;
	items[1].socket = h->dl.mon;
	items[2].socket = zap_socket(h->zap);
	items[0].events = items[1].events = items[2].events = ZMQ_POLLIN;
}

void hosts_handle(struct hosts *h, const zmq_pollitem_t items[3], int64_t now)
{
	if (items[2].revents && zap_handle(h->zap) < 0)
		log_warn("the ZAP handler failed: %s", zmq_strerror(errno));
	if (items[1].revents)
		downlink_watch(&h->dl, now);
	if (items[0].revents)
		proto_recv_each(h->dl.sock, 1, 256, from_agent, h);
}

int64_t hosts_next_wake(const struct hosts *h)
{
	return h->listening ? downlink_next_probe(&h->dl) : INT64_MAX;
}

void hosts_tick(struct hosts *h, int64_t now)
{
	if (!h->listening || !downlink_probe_due(&h->dl, now))
		return;
	size_t n;
	struct host *t = table(h, &n);
	for (size_t i = 1; i < n; i++)
		if (t[i].alive && downlink_probe(&h->dl, t[i].route) < 0)
			host_gone(h, (int)i);
}
