/* child.c - a compute node's records of its children (child.h). */
#include "child.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "inflight.h"
#include "log.h"
#include "proto.h"

/* Any record of child id, whatever its state. */
struct child *child_find(struct node *n, int32_t id)
{
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i].id == id)
			return &n->children[i];
	return NULL;
}

bool child_is_here(const struct child *c)
{
	return c->state == CHILD_UP || c->state == CHILD_ORPHAN;
}

struct child *child_up(struct node *n, int32_t id)
{
	struct child *c = child_find(n, id);
	return c && c->state == CHILD_UP ? c : NULL;
}

struct child *child_by_pid(struct node *n, pid_t pid)
{
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i].spawned && n->children[i].pid == pid)
			return &n->children[i];
	return NULL;
}

struct child *child_add(struct node *n, int32_t id)
{
	if (n->nchildren == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 4;
		struct child *c = realloc(n->children, cap * sizeof *c);
		if (!c)
			log_fatal("out of memory");
		n->children = c;
		n->cap = cap;
	}
	struct child *c = &n->children[n->nchildren++];
	memset(c, 0, sizeof *c);
	c->id = id;
	return c;
}

/* While a child is started or expected, a new connection with a routing id still held by an
 * old one takes it over: a moving child's connection that came before its old one had closed,
 * or a new node's that came before the one it replaces (removed, just killed) was gone, would
 * otherwise be parked by the ROUTER for good, and its HELLO never read. Waiting for the id to
 * be unroutable cannot rule that out: a closing connection is unroutable before it lets go of
 * its id. Only then: at other times no connection may take a live child's id. */
static void handover(struct node *n)
{
	int any = 0;
	for (size_t i = 0; i < n->nchildren && !any; i++)
		any = n->children[i].state == CHILD_EXPECTED ||
		      n->children[i].state == CHILD_SPAWNED;
	zmq_setsockopt(n->down.sock, ZMQ_ROUTER_HANDOVER, &any, sizeof any);
}

void child_set_state(struct node *n, struct child *c, enum child_state state)
{
	c->state = state;
	handover(n);
}

/* The orphan news kept: entries of the sender's id, the length, the message. */
#define NEWS_MAX (64 * 1024)

/* Passes on (up) the news of orphan id, or drops it; the rest stays, in order. */
static void take_news(struct node *n, int32_t id, bool pass)
{
	struct buf *b = &n->orphan_news;
	size_t keep = 0;
	for (size_t off = 0; off < b->len;) {
		int32_t from;
		uint32_t len;
		memcpy(&from, b->data + off, sizeof from);
		memcpy(&len, b->data + off + sizeof from, sizeof len);
		size_t size = sizeof from + sizeof len + len;
		if (from != id) {
			memmove(b->data + keep, b->data + off, size);
			keep += size;
		} else if (pass) {
			zmq_send(n->up, b->data + off + sizeof from + sizeof len, len, ZMQ_DONTWAIT);
		}
		off += size;
	}
	b->len = keep;
}

void child_keep_news(struct node *n, int32_t from, zmq_msg_t *msg)
{
	uint32_t len = (uint32_t)zmq_msg_size(msg);
	if (n->orphan_news.len + len > NEWS_MAX ||
	    buf_append(&n->orphan_news, &from, sizeof from) < 0 ||
	    buf_append(&n->orphan_news, &len, sizeof len) < 0 ||
	    buf_append(&n->orphan_news, zmq_msg_data(msg), len) < 0)
		log_warn("news from orphan %d dropped: no room", (int)from);
}

void child_pass_news(struct node *n, int32_t id)
{
	take_news(n, id, true);
}

void child_remove(struct node *n, struct child *c)
{
	take_news(n, c->id, false);
	inflight_drop_child(n->inflight, c->id);
	*c = n->children[--n->nchildren];
	handover(n);
}

void child_orphan(struct node *n, int32_t from, const struct msg *m)
{
	pid_t pid;
	char endpoint[PROTO_ENDPOINT_MAX];
	if (proto_read_hello(m, &pid, endpoint, sizeof endpoint) < 0)
		return;
	struct child *c = child_find(n, from);	/* started here once, and moved away */
	if (!c)
		c = child_add(n, from);
	c->pid = pid;
	child_set_state(n, c, CHILD_ORPHAN);
	log_debug("orphan %d (pid %d) came here", (int)from, (int)pid);
	proto_send_orphan(n->up, from, pid, n->id);
}

void child_tell_lost(struct node *n, int32_t id, pid_t pid)
{
	n->losses[n->nlosses++ % CHILD_LOSSES] = (struct child_loss){ id, pid };
	proto_send_lost(n->up, id, pid, n->id);
}

/* A message sent to a parent that died before it read it, or before it passed it on, is
 * lost; so is one queued for it when its link is dropped. */
void child_tell_again(struct node *n)
{
	unsigned k = n->nlosses < CHILD_LOSSES ? n->nlosses : CHILD_LOSSES;
	for (unsigned i = n->nlosses - k; i != n->nlosses; i++) {
		const struct child_loss *l = &n->losses[i % CHILD_LOSSES];
		proto_send_lost(n->up, l->id, l->pid, n->id);
	}
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i].state == CHILD_ORPHAN)
			proto_send_orphan(n->up, n->children[i].id, n->children[i].pid, n->id);
}
