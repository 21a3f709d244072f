/* moves_heal.c - --heal: a dead node's children come as orphans (moves_orphan) to its parent,
 * or to the control node's own link, and re-join, with their subtrees, where a remove of the
 * dead node would put them: adopted where they wait, or moved from there; the dead node then
 * goes aside (topo_bury). */
#include "moves.h"
#include "moves_impl.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Tries of one heal, re-planned each time: a new parent may die on the way. */
#define HEAL_TRIES 8

/* ---- orphans: children of a dead node that have come to its parent, or to our link ---- */

/* An entry of mv->orphans. */
struct orphan {
	int32_t id;
	int32_t at;	/* where it waits: a node, or TOPO_ROOT for the control node's link */
};

static long offset_of(const struct moves *mv, int32_t id)
{
	for (size_t off = 0; off < mv->orphans.len; off += sizeof(struct orphan)) {
		struct orphan o;
		memcpy(&o, mv->orphans.data + off, sizeof o);
		if (o.id == id)
			return (long)off;
	}
	return -1;
}

int32_t moves_orphan_at(const struct moves *mv, int32_t id)
{
	long off = offset_of(mv, id);
	struct orphan o = { TOPO_NONE, TOPO_NONE };
	if (off >= 0)
		memcpy(&o, mv->orphans.data + off, sizeof o);
	/* One waiting at a node that has gone since is on its way to our link. */
	const struct topo_node *at = topo_get(mv->topo, o.at);
	if (o.at != TOPO_ROOT && (!at || at->state == NODE_LOST))
		return TOPO_NONE;
	return o.at;
}

void moves_heal_left(struct moves *mv, int32_t id)
{
	long off = offset_of(mv, id);
	if (off < 0)
		return;
	size_t o = (size_t)off;
	memmove(mv->orphans.data + o, mv->orphans.data + o + sizeof(struct orphan),
		mv->orphans.len - o - sizeof(struct orphan));
	mv->orphans.len -= sizeof(struct orphan);
}

/* Whether node n's parent is dead while n lives: n is an orphan, on our link once it asked. */
bool moves_heal_orphaned(struct moves *mv, const struct topo_node *n)
{
	const struct topo_node *p = topo_get(mv->topo, n->parent);
	return n->state != NODE_LOST && p && p->state == NODE_LOST;
}

/* The first orphan on the way from the control node down to id that has not come to us yet
 * (TOPO_NONE: id can be reached). */
int32_t moves_heal_stranded(struct moves *mv, int32_t id)
{
	int32_t found = TOPO_NONE;
	for (struct topo_node *n = topo_get(mv->topo, id); n; n = topo_get(mv->topo, n->parent))
		if (moves_heal_orphaned(mv, n) && moves_orphan_at(mv, n->id) == TOPO_NONE)
			found = n->id;
	return found;
}

/* The orphan node id has not come to our link yet: the heal waits for it, a while. */
void moves_heal_wait(struct moves *mv, struct job *j, int32_t id)
{
	if (j->waiting != id)
		j->deadline = mv->ops.now(mv->ops.arg) + mv->arrive_ms;
	j->waiting = id;
}

/* An orphan already on our link that is to be a depth-1 node stays on it: the model follows. */
bool moves_heal_stays(struct moves *mv, struct job *j, const struct topo_move *m)
{
	if (!j->heal || m->parent != TOPO_ROOT || moves_orphan_at(mv, m->id) != TOPO_ROOT)
		return false;
	if (topo_move(mv->topo, m->id, m->parent, m->side) < 0)
		log_warn("cannot move %d under %d in the model", (int)m->id, (int)m->parent);
	moves_heal_left(mv, m->id);
	j->done++;
	return true;
}

/* A heal that could not go on (a new parent died, a move failed) is planned again, after the
 * jobs queued behind it: they may be the heals that make the model true again. True when
 * it will be tried again. */
bool moves_heal_retry(struct moves *mv, struct job *j)
{
	if (++j->tries >= HEAL_TRIES)
		return false;
	log_debug("heal of %d: try %u", (int)j->subject, j->tries + 1);
	free(j->moves);
	j->moves = NULL;
	j->n = j->done = 0;
	j->started = j->draining = false;
	j->expect_req = j->move_req = 0;
	j->waiting = TOPO_NONE;
	moves_fan_clear(j);
	TAILQ_REMOVE(&mv->jobs, j, entry);
	moves_enqueue(mv, j);
	return true;
}

/* A heal is over: the dead node goes aside. Its children it could not re-attach are ended
 * by pid: their own deaths then heal what is below them. */
void moves_heal_end(struct moves *mv, struct job *j)
{
	struct topo_node *dead = topo_get(mv->topo, j->subject);
	for (size_t i = 0; dead && i < dead->nchildren; i++) {
		struct topo_node *c = topo_get(mv->topo, dead->children[i]);
		if (c->state != NODE_LOST && c->pid)
			mv->ops.kill(mv->ops.arg, c->pid, c->id);
	}
	if (dead && !dead->nchildren && topo_bury(mv->topo, j->subject) < 0)
		log_warn("cannot put %d aside in the model", (int)j->subject);
	mv->ops.healed(mv->ops.arg, &j->held);
}

void moves_heal(struct moves *mv, int32_t id, struct buf *held)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		log_fatal("out of memory");
	j->subject = id;
	j->heal = true;
	j->from = TOPO_NONE;
	j->waiting = TOPO_NONE;
	j->held = *held;	/* taken over */
	*held = (struct buf){ 0 };
	moves_enqueue(mv, j);
}

void moves_orphan_refuse(struct moves *mv, int32_t id, int32_t at)
{
	unsigned char body[4];
	proto_put_i32(body, id);
	moves_send_along(mv, NULL, mv->ops.new_id(mv->ops.arg), OP_ABORT, at, body, sizeof body);
}

void moves_orphan(struct moves *mv, int32_t id, int32_t at)
{
	struct job *j = TAILQ_FIRST(&mv->jobs);
	struct orphan o = { id, at };
	/* not fresh: a HELLO sent again to the same place */
	bool fresh = moves_orphan_at(mv, id) != at;
	moves_heal_left(mv, id);
	if (buf_append(&mv->orphans, &o, sizeof o) < 0)
		log_fatal("out of memory");
	if (!j || !j->heal || !j->started)
		return;
	if (fresh && j->nfan && moves_fan_came_back(j, id)) {
		moves_fan_clear(j);
		moves_job_end(mv, j, "Error: Node is unavailable");
	} else if (j->nfan) {
		moves_fan_arrived(mv, j, id);
	} else if (fresh && j->move_req && j->moves[j->done].id == id) {
		j->move_req = 0;	/* it could not reach its new parent, and came back */
		moves_job_end(mv, j, "Error: Node is unavailable");
	} else if (j->waiting == id) {
		moves_step(mv, j);
	}
}
