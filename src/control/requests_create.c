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
	if (!r->started || r->via == TOPO_ROOT || requests_path(rq, r) < 0 || !r->npath)
		return;	/* never sent, or started here: ended by pid */
	proto_put_i32(body, r->node);
	rq->ops.send(rq->ops.arg, reqlist_new_id(&rq->l), OP_ABORT, 0, r->path, r->npath, body,
		     sizeof body);
}

/* Sends a create on its way: to the parent's queue, or started here for depth 1. */
static void create_start(struct requests *rq, struct req *r)
{
	struct topo_node *n = topo_get(rq->topo, r->node);
	rq->spawning++;
	r->admitted = true;
	if (r->via != TOPO_ROOT) {
		requests_submit(rq, r, topo_get(rq->topo, r->via));
		return;
	}
	r->sent = r->started = true;
	if (rq->ops.spawn(rq->ops.arg, r->node, &n->pid) < 0)
		requests_finish(rq, r, "Error: Cannot start node: %s", strerror(errno));
	else
		hello_deadline(rq, r);
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

void requests_create(struct requests *rq, int32_t id, int64_t parent)
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

void requests_create_answer(struct requests *rq, struct req *r, const struct msg *m)
{
	struct topo_node *n = topo_get(rq->topo, r->node);
	int32_t pid;
	switch (m->code) {
	case REP_SPAWNED:
		if (n && proto_read_i32(m, &pid) == 0 && pid > 0)
			n->pid = pid;
		hello_deadline(rq, r);
		break;
	case REP_UNAVAIL:
		requests_finish_unavailable(rq, r);
		break;
	default:
		buf_reset(&r->line);
		buf_puts(&r->line, "Error: ");
		buf_escape(&r->line, m->body, m->body_len > 200 ? 200 : m->body_len);
		requests_finish_line(rq, r);
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
	if (!n || n->state != NODE_PENDING || !r || !r->started || n->pid != pid ||
	    from != topo_link_under(rq->topo, id, r->via)) {
		requests_dropped(rq, "hello", id, from);
		return;
	}
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
