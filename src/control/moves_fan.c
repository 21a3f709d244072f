/* moves_fan.c - a heal's orphans that go to the same parent move at the same time: an
 * OP_EXPECT to the parent for each as soon as it has come (to the parent itself, which then
 * adopts it, or elsewhere), its OP_MOVE down to where it waits as soon as that is answered,
 * done when every HELLO has come from the parent. A dead node with 64 children then costs
 * about one move, not 64 in a row. Anything that goes wrong ends the fan, and the heal is
 * planned again (moves_job_end). */
#include "moves.h"
#include "moves_impl.h"

#include <stdlib.h>

#include "log.h"

/* Whether move m belongs in a fan to parent p: an orphan, alive, on p's host (no listener to
 * ask for). It goes once it is on our link with nothing in flight (ready). */
static bool fits(struct moves *mv, const struct topo_move *m, const struct topo_node *p)
{
	struct topo_node *n = topo_get(mv->topo, m->id);
	return m->parent == p->id && n && n->state == NODE_UP && n->host == p->host &&
	       moves_heal_orphaned(mv, n);
}

static bool ready(struct moves *mv, int32_t id)
{
	return moves_orphan_at(mv, id) != TOPO_NONE && !mv->ops.in_flight(mv->ops.arg, id);
}

static struct topo_move *move_of(struct job *j, size_t i)
{
	return &j->moves[j->done + i];
}

/* The model follows the movers that have arrived (or died on the way), in the order of the
 * plan, whatever order their HELLOs came in: children keep the order `remove` gives them. */
static void apply(struct moves *mv, struct job *j)
{
	for (size_t i = 0; i < j->nfan; i++) {
		struct topo_move *m = move_of(j, i);
		if (j->fan[i].here && topo_get(mv->topo, m->id) &&
		    topo_move(mv->topo, m->id, m->parent, m->side) < 0)
			log_warn("cannot move %d under %d in the model", (int)m->id, (int)m->parent);
	}
}

static void fail(struct moves *mv, struct job *j)
{
	apply(mv, j);
	moves_fan_clear(j);
	moves_job_end(mv, j, "Error: Node is unavailable");
}

static void maybe_done(struct moves *mv, struct job *j)
{
	for (size_t i = 0; i < j->nfan; i++)
		if (!j->fan[i].here)
			return;
	apply(mv, j);
	j->done += j->nfan;
	moves_fan_clear(j);
	moves_step(mv, j);
}

/* OP_EXPECT to the parent for entry f; false when it could not go (the fan has failed). */
static bool expect(struct moves *mv, struct job *j, struct fan *f)
{
	struct topo_node *p = topo_get(mv->topo, move_of(j, 0)->parent);
	struct topo_node *n = topo_get(mv->topo, f->id);
	unsigned char body[PROTO_MOVER_MAX];
	size_t len = proto_expect_body(body, n->id, n->pid, NULL);
	f->expect_req = mv->ops.new_id(mv->ops.arg);
	f->asked = true;
	if (moves_send_along(mv, j, f->expect_req, OP_EXPECT, p->id, body, len) == 0)
		return true;
	fail(mv, j);
	return false;
}

bool moves_fan_start(struct moves *mv, struct job *j)
{
	struct topo_move *first = move_of(j, 0);
	struct topo_node *p = topo_get(mv->topo, first->parent);
	size_t k = 0;
	if (!p || p->state != NODE_UP)
		return false;
	while (j->done + k < j->n && fits(mv, move_of(j, k), p))
		k++;
	if (k < 2)
		return false;
	if (!(j->fan = calloc(k, sizeof *j->fan)))
		log_fatal("out of memory");
	j->nfan = k;
	j->deadline = mv->ops.now(mv->ops.arg) + mv->arrive_ms;
	log_debug("moving %zu nodes under %d at once", k, (int)p->id);
	for (size_t i = 0; i < k; i++)
		j->fan[i].id = move_of(j, i)->id;
	for (size_t i = 0; i < k; i++)	/* the others as they come (moves_fan_arrived) */
		if (ready(mv, j->fan[i].id) && !expect(mv, j, &j->fan[i]))
			return true;
	return true;
}

static struct fan *entry(struct job *j, int32_t id)
{
	for (size_t i = 0; i < j->nfan; i++)
		if (j->fan[i].id == id)
			return &j->fan[i];
	return NULL;
}

enum moves_reply moves_fan_reply(struct moves *mv, struct job *j, int32_t from,
				 const struct msg *m)
{
	struct topo_node *p = topo_get(mv->topo, move_of(j, 0)->parent);
	for (size_t i = 0; m->req && p && i < j->nfan; i++) {
		struct fan *f = &j->fan[i];
		if (m->req == f->expect_req) {
			if (from != p->root || m->id != p->id)
				return MOVES_FORGED;
			if (m->code == REP_ADOPTED) {	/* it waited there */
				f->expect_req = 0;
				f->told = f->here = true;
				moves_heal_left(mv, f->id);
				maybe_done(mv, j);
				return MOVES_TAKEN;
			}
			if (m->code != REP_OK) {
				fail(mv, j);
				return MOVES_TAKEN;
			}
			const char *fields[] = { p->endpoint, "" };
			char body[PROTO_FIELDS_MAX];
			size_t len = proto_fields_body(body, fields, 2);
			f->expect_req = 0;
			f->move_req = mv->ops.new_id(mv->ops.arg);
			f->told = true;
			if (moves_send_along(mv, j, f->move_req, OP_MOVE, f->id, body, len) < 0)
				fail(mv, j);
			return MOVES_TAKEN;
		}
		if (m->req == f->move_req) {
			if (from != f->id || m->id != f->id)
				return MOVES_FORGED;
			f->move_req = 0;
			if (m->code != REP_OK)
				fail(mv, j);
			else	/* it has left our link; its HELLO from the parent follows */
				moves_heal_left(mv, f->id);
			return MOVES_TAKEN;
		}
	}
	return MOVES_NOT_MINE;
}

bool moves_fan_hello(struct moves *mv, struct job *j, int32_t from, int32_t id, pid_t pid)
{
	struct fan *f = entry(j, id);
	struct topo_node *n = topo_get(mv->topo, id);
	struct topo_move *m = f ? move_of(j, (size_t)(f - j->fan)) : NULL;
	if (!f || !f->told || f->here || !n || n->state != NODE_UP || n->pid != pid ||
	    from != topo_link_under(mv->topo, id, m->parent))
		return false;
	moves_heal_left(mv, id);
	f->here = true;
	maybe_done(mv, j);
	return true;
}

void moves_fan_check(struct moves *mv, struct job *j)
{
	struct topo_node *p = topo_get(mv->topo, move_of(j, 0)->parent);
	if (!p || p->state == NODE_LOST) {
		fail(mv, j);
		return;
	}
	for (size_t i = 0; i < j->nfan; i++) {
		struct fan *f = &j->fan[i];
		struct topo_node *n = topo_get(mv->topo, f->id);
		if (!f->here && (!n || n->state == NODE_LOST))
			f->here = true;	/* dead on the way: the model follows all the same */
	}
	maybe_done(mv, j);
}

void moves_fan_tick(struct moves *mv, struct job *j)
{
	for (size_t i = 0; i < j->nfan; i++) {
		struct topo_node *n = topo_get(mv->topo, j->fan[i].id);
		if (!j->fan[i].here && n && (j->fan[i].told || !j->fan[i].asked)) {
			mv->ops.kill(mv->ops.arg, n->pid, n->id);	/* lost on the way, or never came */
			moves_heal_left(mv, n->id);
		}
	}
	fail(mv, j);
}

int32_t moves_fan_destination(struct moves *mv, struct job *j, int32_t id)
{
	(void)mv;
	struct fan *f = entry(j, id);
	return f ? move_of(j, (size_t)(f - j->fan))->parent : TOPO_NONE;	/* until applied */
}

void moves_fan_arrived(struct moves *mv, struct job *j, int32_t id)
{
	struct fan *f = entry(j, id);
	if (f && !f->asked && ready(mv, id))
		expect(mv, j, f);
}

bool moves_fan_came_back(struct job *j, int32_t id)
{
	struct fan *f = entry(j, id);
	return f && f->told && !f->here;
}

void moves_fan_clear(struct job *j)
{
	free(j->fan);
	j->fan = NULL;
	j->nfan = 0;
}
