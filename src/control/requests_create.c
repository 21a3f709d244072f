/* requests_create.c - creates: admitted in order to the spawn window, sent to the parent (or
 * started here at depth 1), answered by the new node's HELLO, called off when they fail. */
#include "requests.h"
#include "requests_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "heartbit.h"
#include "log.h"
#include "topo.h"

/* Creates under way at once. Starting hundreds of processes together on a few cores makes
 * each one slow enough to miss --timeout, and no faster in total. Admission is in order, so
 * a parent's create is always under way before its children's: no create waits on a slot
 * held by one that waits on it. */
#define SPAWN_WINDOW 32

/* --timeout bounds the parent's answer; a process that has started gets longer to say
 * HELLO, since a machine starting hundreds of them at once is slow but not stuck (its
 * death is reported at once). */
static void hello_deadline(struct requests *rq, struct req *r)
{
	int64_t allow = rq->timeout_ms > HELLO_MIN_MS ? rq->timeout_ms : HELLO_MIN_MS;
	reqlist_deadline_del(&rq->l, r);
	reqlist_deadline_in(&rq->l, r, requests_now(rq) + allow);
}

/* A create answered with an error must leave nothing behind: its parent may still start the
 * node later (it was stopped, say), so it is told to end and forget it. Sent on the create's
 * own path, it arrives after the create. */
void requests_create_abort(struct requests *rq, struct req *r)
{
	unsigned char body[4];
	struct topo_node *n = topo_get(rq->topo, r->node);
	if (r->agent && n && n->pid)	/* started by an agent: ended through it */
		rq->ops.kill(rq->ops.arg, n->pid, n->id);
	if (!r->started || r->via == TOPO_ROOT || requests_path(rq, r) < 0 || !r->npath)
		return;	/* never sent, or started here: ended by pid */
	proto_put_i32(body, r->node);
	rq->ops.send(rq->ops.arg, reqlist_new_id(&rq->l), OP_ABORT, 0, r->path, r->npath, body,
		     sizeof body);
}

/* Starts the node on its host, its parent at parent_ep (NULL: the control node): here, or
 * by the host's agent, whose answer is awaited --timeout. */
static void spawn(struct requests *rq, struct req *r, const char *parent_ep, const char *key)
{
	struct topo_node *n = topo_get(rq->topo, r->node);
	int rc = rq->ops.spawn(rq->ops.arg, r->id, r->node, n->host, parent_ep, key, &n->pid);
	if (rc < 0) {
		requests_finish(rq, r, "Error: Cannot start node: %s", strerror(errno));
	} else if (rc == 0) {
		hello_deadline(rq, r);
	} else {
		r->agent = true;
		reqlist_deadline_del(&rq->l, r);
		reqlist_deadline_in(&rq->l, r, requests_now(rq) + rq->timeout_ms);
	}
}

/* Sends a create on its way: to the parent's queue, or started here for depth 1. */
static void create_start(struct requests *rq, struct req *r)
{
	rq->spawning++;
	r->admitted = true;
	if (r->via != TOPO_ROOT) {
		requests_submit(rq, r, topo_get(rq->topo, r->via));
		return;
	}
	r->sent = r->started = true;
	spawn(rq, r, NULL, NULL);
}

size_t requests_create_body(struct requests *rq, struct req *r,
			    unsigned char out[PROTO_MOVER_MAX])
{
	struct topo_node *n = topo_get(rq->topo, r->node);
	struct topo_node *p = topo_get(rq->topo, r->via);
	bool remote = n && p && n->host != p->host;
	return proto_create_body(out, r->node, remote ? rq->ops.host_key(rq->ops.arg, n->host)
						     : NULL);
}

/* Creates waiting for a place, in the order they were given. */
void requests_admit(struct requests *rq)
{
	rq->admit = false;
	struct req *r;
	while (rq->spawning < SPAWN_WINDOW && (r = TAILQ_FIRST(&rq->l.backlog))) {
		reqlist_backlog_unlink(&rq->l, r);
		create_start(rq, r);	/* a create is answered, and so leaves, with its node */
	}
}

void requests_create(struct requests *rq, int32_t id, int64_t parent, int host)
{
	struct topo_place place;
	const char *err;
	if (topo_place(rq->topo, id, parent, &place, &err) < 0) {
		requests_printf(rq, "Error: %s", err);
		return;
	}
	struct topo_node *n = topo_add(rq->topo, id, &place);
	if (!n)
		log_fatal("out of memory");
	n->host = host;
	struct req *r = reqlist_new_req(&rq->l, RK_CREATE, id);
	r->via = place.parent;
	reqlist_nodeq(n)->create_req = r->id;
	reqlist_nodeq(n)->spawner = place.parent;
	if (place.adopt != TOPO_NONE) {	/* list: the old child waits to move under it */
		reqlist_nodeq(n)->adopt = place.adopt;
		reqlist_nodeq(n)->adopt_from = place.parent;
		requests_hold(rq, place.adopt, &reqlist_nodeq(n)->adopt_held);
		requests_fence(rq, r, id, false);
		requests_fence(rq, r, place.adopt, true);
	}
	reqlist_put(&rq->l, r);
	reqlist_backlog_append(&rq->l, r);
	requests_admit(rq);
}

/* The reason a parent or an agent gave, as the create's answer. */
static void finish_error(struct requests *rq, struct req *r, const struct msg *m)
{
	buf_reset(&r->line);
	buf_puts(&r->line, "Error: ");
	buf_escape(&r->line, m->body, m->body_len > 200 ? 200 : m->body_len);
	requests_finish_line(rq, r);
}

void requests_create_answer(struct requests *rq, struct req *r, const struct msg *m)
{
	struct topo_node *n = topo_get(rq->topo, r->node);
	int32_t pid;
	char text[PROTO_FIELDS_MAX];
	const char *f[2];
	switch (m->code) {
	case REP_LISTEN:	/* the parent listens for it on another host: started there */
		if (!n || r->agent || proto_read_fields(m, text, f, 2) < 0)
			requests_finish(rq, r, "Error: Cannot start node: bad answer from %d",
					(int)r->via);
		else
			spawn(rq, r, f[0], f[1]);
		break;
	case REP_SPAWNED:
		if (n && proto_read_i32(m, &pid) == 0 && pid > 0)
			n->pid = pid;
		hello_deadline(rq, r);
		break;
	case REP_UNAVAIL:
		requests_finish_unavailable(rq, r);
		break;
	default:
		finish_error(rq, r, m);
		break;
	}
}

void requests_on_hello(struct requests *rq, int32_t from, int32_t id, pid_t pid,
		       const char *endpoint)
{
	struct topo_node *n = topo_get(rq->topo, id);
	struct nodeq *q = n ? n->user : NULL;
	struct req *r = q ? reqlist_get(&rq->l, q->create_req) : NULL;
	/* Only the process the create started, where it was placed, and once. Nothing is
	 * killed on the word of a HELLO: a node taken out while starting is ended by pid. */
	if (!n || n->state != NODE_PENDING || !r || !r->started ||
	    (n->pid != pid && !(r->agent && !n->pid)) ||
	    from != topo_link_under(rq->topo, id, r->via)) {
		requests_dropped(rq, "hello", id, from);
		return;
	}
	n->pid = pid;	/* from another host it may come before its agent's answer */
	n->state = NODE_UP;
	snprintf(n->endpoint, sizeof n->endpoint, "%s", endpoint);
	q->create_req = 0;
	q->last_heard = requests_now(rq);
	if (q->adopt != TOPO_NONE && topo_get(rq->topo, q->adopt)) {
		/* answers the create; takes over what is held for it */
		rq->ops.move_adopt(rq->ops.arg, r->id, id, q->adopt, q->adopt_from, &q->adopt_held);
		q->adopt = TOPO_NONE;
	} else {
		requests_finish(rq, r, "Ok: %d", (int)pid);
	}
	requests_pump(rq, q);
	requests_pump_reshapes_above(rq, n->parent);
}

void requests_spawn_answer(struct requests *rq, int host, const struct msg *m)
{
	struct req *r = reqlist_get(&rq->l, m->req);
	struct topo_node *n = r ? topo_get(rq->topo, r->node) : NULL;
	int32_t pid;
	if (!n || r->kind != RK_CREATE || !r->agent || n->host != host || m->id != r->node) {
		log_debug("answer from host %d to request %u: not awaited, dropped", host, m->req);
		return;
	}
	if (m->code == REP_SPAWNED && proto_read_i32(m, &pid) == 0 && pid > 0) {
		if (!n->pid)
			n->pid = pid;
		hello_deadline(rq, r);
	} else {
		finish_error(rq, r, m);
	}
}

/* The ids of the nodes on one host, or still being started by its agent. */
struct on_host {
	int host;
	struct requests *rq;
	struct buf ids;
};

static void pending_on_host(struct topo_node *n, void *arg)
{
	struct on_host *w = arg;
	struct nodeq *q = n->user;
	struct req *r = q ? reqlist_get(&w->rq->l, q->create_req) : NULL;
	if (n->host == w->host && n->state == NODE_PENDING && r && r->agent &&
	    buf_append(&w->ids, &n->id, sizeof n->id) < 0)
		log_fatal("out of memory");
}

void requests_host_down(struct requests *rq, int host)
{
	struct on_host w = { host, rq, { 0 } };
	requests_walk(rq, TOPO_ROOT, pending_on_host, &w);
	for (size_t i = 0; i < w.ids.len / sizeof(int32_t); i++) {
		struct topo_node *n = topo_get(rq->topo, ((int32_t *)w.ids.data)[i]);
		struct nodeq *q = n ? n->user : NULL;
		struct req *r = q ? reqlist_get(&rq->l, q->create_req) : NULL;
		if (r)
			requests_finish(rq, r, "Error: Host is unavailable");
	}
	buf_free(&w.ids);
}

void requests_node_exit(struct requests *rq, int host, int32_t id, pid_t pid)
{
	struct topo_node *n = topo_get(rq->topo, id);
	struct nodeq *q = n ? n->user : NULL;
	struct req *r = q ? reqlist_get(&rq->l, q->create_req) : NULL;
	if (!n || n->host != host || (n->pid && n->pid != pid))
		return;	/* stale: taken out, or created again since */
	if (n->state == NODE_PENDING && r && r->agent)
		requests_finish(rq, r, "Error: Cannot start node: it ended");
	else if (n->pid)
		requests_on_lost(rq, id, pid);
}
