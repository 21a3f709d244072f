/* moves.c - move jobs, run one at a time: removes, list insertions, and heals (their own
 * parts are in moves_heal.c). */
#include "moves.h"
#include "moves_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "log.h"

struct moves *moves_new(struct topo *topo, int arrive_ms, const char *endpoint,
			const char *remote, const struct moves_ops *ops)
{
	struct moves *mv = calloc(1, sizeof *mv);
	if (!mv)
		return NULL;
	TAILQ_INIT(&mv->jobs);
	mv->topo = topo;
	mv->arrive_ms = arrive_ms;
	snprintf(mv->endpoint, sizeof mv->endpoint, "%s", endpoint);
	snprintf(mv->remote, sizeof mv->remote, "%s", remote);
	mv->ops = *ops;
	return mv;
}

static void job_free(struct job *j)
{
	moves_fan_clear(j);
	buf_free(&j->held);
	free(j->moves);
	free(j);
}

void moves_destroy(struct moves **mvp)
{
	struct moves *mv = *mvp;
	if (!mv)
		return;
	struct job *j;
	while ((j = TAILQ_FIRST(&mv->jobs))) {
		TAILQ_REMOVE(&mv->jobs, j, entry);
		job_free(j);
	}
	buf_free(&mv->orphans);
	free(mv);
	*mvp = NULL;
}


void moves_enqueue(struct moves *mv, struct job *j)
{
	TAILQ_INSERT_TAIL(&mv->jobs, j, entry);
}

bool moves_start(struct moves *mv)
{
	struct job *j = TAILQ_FIRST(&mv->jobs);
	if (j && j->draining && !mv->ops.in_flight(mv->ops.arg, j->moves[j->done].id)) {
		j->draining = false;
		moves_step(mv, j);
		return true;
	}
	if (!j || j->started)
		return false;
	moves_step(mv, j);
	return true;
}

/* The job is over: the subtrees it held go on by their new paths, its request is answered
 * and the next job starts. */
void moves_job_end(struct moves *mv, struct job *j, const char *answer)
{
	if (j->heal && strncmp(answer, "Ok", 2) != 0 && moves_heal_retry(mv, j))
		return;
	log_debug("%s of %d: %s", j->heal ? "heal" : j->remove ? "remove" : "insertion",
		  (int)j->subject, answer);
	TAILQ_REMOVE(&mv->jobs, j, entry);
	if (j->heal) {
		moves_heal_end(mv, j);
	} else {
		mv->ops.release(mv->ops.arg, &j->held);
		mv->ops.answer(mv->ops.arg, j->req, answer,
			       j->remove && j->done == j->n); /* the loop starts the next */
	}
	job_free(j);
}

/* A remove's moves, planned when it starts: jobs before it may have changed the tree. */
static int plan(struct moves *mv, struct job *j)
{
	long n = topo_plan_remove(mv->topo, j->subject, NULL, 0);
	if (n < 0)
		return -1;
	j->moves = calloc((size_t)n + 1, sizeof *j->moves);
	if (!j->moves)
		log_fatal("out of memory");
	j->n = (size_t)topo_plan_remove(mv->topo, j->subject, j->moves, (size_t)n);
	return 0;
}

/* The node that a list insertion took child over from, while the new node `parent` has not
 * taken it over in fact; else TOPO_NONE. */
static int32_t adopted_from(struct moves *mv, int32_t parent, int32_t child)
{
	struct job *j;
	TAILQ_FOREACH(j, &mv->jobs, entry)
		if (j->from != TOPO_NONE && j->subject == parent && j->moves[0].id == child)
			return j->from;
	return mv->ops.adopt_from(mv->ops.arg, parent, child);
}

/* Node id's parent in fact: its parent in the model, unless list insertions have put it
 * under new nodes in the model that have not taken it over yet (several may be pending:
 * each was placed after the one before). */
static int32_t parent_in_fact(struct moves *mv, int32_t id)
{
	struct topo_node *n = topo_get(mv->topo, id);
	int32_t parent = n ? n->parent : TOPO_NONE;
	if (n && moves_heal_orphaned(mv, n))
		return moves_orphan_at(mv, id);
	for (size_t i = 0, max = topo_count(mv->topo); i <= max; i++) {
		int32_t from = adopted_from(mv, parent, id);
		if (from == TOPO_NONE)
			return parent;
		parent = from;
	}
	return TOPO_NONE;
}

/* Sends op along the path to node `to` as the tree is in fact (the requests for a node taken
 * over by a list insertion are held until it is: these are not); notes the link its answers
 * come back on. */
int moves_send_along(struct moves *mv, struct job *j, uint32_t req, uint8_t op, int32_t to,
		     const void *body, size_t len)
{
	size_t max = topo_count(mv->topo), npath = 0;
	int32_t *path = malloc((max + 1) * sizeof *path);
	int32_t id = to;
	if (!path)
		log_fatal("out of memory");
	for (; id != TOPO_ROOT && id != TOPO_NONE && npath <= max; id = parent_in_fact(mv, id))
		path[npath++] = id;
	int rc = -1;
	if (id == TOPO_ROOT && npath) {	/* it reaches the control node */
		for (size_t i = 0; i < npath / 2; i++) {	/* depth 1 first */
			int32_t t = path[i];
			path[i] = path[npath - 1 - i];
			path[npath - 1 - i] = t;
		}
		if (j)
			j->link = path[0];
		rc = mv->ops.send(mv->ops.arg, req, op, 0, path, npath, body, len);
	}
	free(path);
	return rc;
}

/* The node moves: OP_MOVE along the path where it is in fact. */
static void send_move(struct moves *mv, struct job *j)
{
	struct topo_move *m = &j->moves[j->done];
	log_debug("moving %d under %d", (int)m->id, (int)m->parent);
	struct topo_node *parent = topo_get(mv->topo, m->parent);
	struct topo_node *node = topo_get(mv->topo, m->id);
	const char *fields[] = { parent ? parent->endpoint : mv->endpoint, "" };
	if (j->listen[0]) {	/* a parent on another host */
		fields[0] = j->listen;
		fields[1] = j->listen_key;
	} else if (!parent && node->host != 0) {	/* the control, from another host */
		fields[0] = mv->remote;
		fields[1] = mv->ops.host_key(mv->ops.arg, 0);
	}
	char body[PROTO_FIELDS_MAX];
	size_t len = proto_fields_body(body, fields, 2);
	j->move_req = mv->ops.new_id(mv->ops.arg);
	if (moves_send_along(mv, j, j->move_req, OP_MOVE, m->id, body, len) < 0)
		moves_job_end(mv, j, "Error: Node is unavailable");
}

/* A node takes a moving child only when told to expect it (its id and pid) first. */
static void send_expect(struct moves *mv, struct job *j)
{
	struct topo_move *m = &j->moves[j->done];
	struct topo_node *node = topo_get(mv->topo, m->id);
	struct topo_node *parent = topo_get(mv->topo, m->parent);
	unsigned char body[PROTO_MOVER_MAX];
	bool remote = parent && parent->host != node->host;
	size_t len = proto_expect_body(body, m->id, node->pid,
				       remote ? mv->ops.host_key(mv->ops.arg, node->host) : NULL);
	j->expect_req = mv->ops.new_id(mv->ops.arg);
	if (moves_send_along(mv, j, j->expect_req, OP_EXPECT, m->parent, body, len) < 0)
		moves_job_end(mv, j, "Error: Node is unavailable");
}

/* The model follows a move that needs no message: its node is dead. */
static bool mover_dead(struct moves *mv, int32_t id)
{
	struct topo_node *n = topo_get(mv->topo, id);
	return !n || n->state == NODE_LOST;
}

static void move_dead(struct moves *mv, struct job *j)
{
	struct topo_move *m = &j->moves[j->done];
	if (topo_get(mv->topo, m->id) && topo_move(mv->topo, m->id, m->parent, m->side) < 0)
		log_warn("cannot move %d under %d in the model", (int)m->id, (int)m->parent);
	j->from = TOPO_NONE;
	j->expect_req = j->move_req = 0;
	j->done++;
}

void moves_step(struct moves *mv, struct job *j)
{
	if (!j->started) {
		j->started = true;
		if ((j->remove || j->heal) && plan(mv, j) < 0) {
			moves_job_end(mv, j, "Error: Not found");
			return;
		}
		if (j->remove)	/* an adoption's child is held since its create */
			mv->ops.hold(mv->ops.arg, j->subject, &j->held);
	}
	while (j->done < j->n) {
		struct topo_move *m = &j->moves[j->done];
		struct topo_node *node = topo_get(mv->topo, m->id);
		struct topo_node *parent = topo_get(mv->topo, m->parent);
		int32_t away;
		if (!node) { /* taken out meanwhile (killed, or never came up): nothing to move */
			j->done++;
			continue;
		}
		if (node->state == NODE_PENDING) {
			j->waiting = m->id;	/* goes on when it is up (moves_node_up) */
			return;
		}
		if (j->heal && node->state == NODE_LOST) {
			move_dead(mv, j);
			continue;
		}
		if (j->heal && ((away = moves_heal_stranded(mv, m->parent)) != TOPO_NONE ||
				(away = moves_heal_stranded(mv, m->id)) != TOPO_NONE)) {
			/* orphans going to the same parent go as each comes, whichever first */
			if (away == m->id && moves_fan_start(mv, j))
				return;
			moves_heal_wait(mv, j, away);	/* goes on when it comes (moves_orphan) */
			return;
		}
		j->waiting = TOPO_NONE;
		if (node->state == NODE_UP && mv->ops.in_flight(mv->ops.arg, m->id)) {
			j->draining = true;	/* goes on once answered (moves_start) */
			return;
		}
		if (m->parent != TOPO_ROOT && (!parent || parent->state != NODE_UP)) {
			log_debug("cannot move %d: its new parent %d is not up", (int)m->id,
				  (int)m->parent);
			moves_job_end(mv, j, "Error: Node is unavailable");
			return;
		}
		if (node->state == NODE_LOST) {
			move_dead(mv, j);
			continue;
		}
		if (moves_heal_stays(mv, j, m))
			continue;
		if (j->heal && moves_fan_start(mv, j))
			return;
		j->deadline = mv->ops.now(mv->ops.arg) + mv->arrive_ms;
		j->listen[0] = j->listen_key[0] = '\0';
		if (m->parent == TOPO_ROOT)
			send_move(mv, j);	/* we expect it ourselves */
		else
			send_expect(mv, j);
		return;
	}
	char ok[32];
	struct topo_node *n = topo_get(mv->topo, j->subject);
	if (j->remove || j->heal)
		snprintf(ok, sizeof ok, "Ok");
	else
		snprintf(ok, sizeof ok, "Ok: %d", n ? (int)n->pid : 0);
	moves_job_end(mv, j, ok);
}

void moves_remove(struct moves *mv, uint32_t req, int32_t id)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		log_fatal("out of memory");
	j->req = req;
	j->subject = id;
	j->remove = true;
	j->from = TOPO_NONE;
	j->waiting = TOPO_NONE;
	moves_enqueue(mv, j);
}

void moves_adopt(struct moves *mv, uint32_t req, int32_t id, int32_t child, int32_t from,
		 struct buf *held)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j || !(j->moves = calloc(1, sizeof *j->moves)))
		log_fatal("out of memory");
	j->n = 1;
	j->moves[0] = (struct topo_move){ child, id, 0 };
	j->req = req;
	j->subject = id;
	j->from = from;
	j->waiting = TOPO_NONE;
	j->held = *held;	/* taken over */
	*held = (struct buf){ 0 };
	moves_enqueue(mv, j);
}

void moves_node_up(struct moves *mv, int32_t id)
{
	struct job *j = TAILQ_FIRST(&mv->jobs);
	if (j && j->waiting == id) {
		j->waiting = TOPO_NONE;
		moves_step(mv, j);
	}
}

/* The mover is under its new parent: the model follows, the job goes on. */
static void arrived(struct moves *mv, struct job *j)
{
	struct topo_move *m = &j->moves[j->done];
	if (j->from == TOPO_NONE &&	/* an adoption is in the model already */
	    topo_move(mv->topo, m->id, m->parent, m->side) < 0)
		log_warn("cannot move %d under %d in the model", (int)m->id, (int)m->parent);
	moves_heal_left(mv, m->id);
	j->from = TOPO_NONE;
	j->move_req = j->expect_req = 0;
	j->done++;
	moves_step(mv, j);
}

bool moves_on_hello(struct moves *mv, int32_t from, int32_t id, pid_t pid)
{
	struct job *j = TAILQ_FIRST(&mv->jobs);
	struct topo_node *n = topo_get(mv->topo, id);
	if (j && j->nfan)
		return moves_fan_hello(mv, j, from, id, pid);
	if (!j || !j->move_req || j->moves[j->done].id != id || !n || n->state != NODE_UP ||
	    n->pid != pid)
		return false;
	if (from != topo_link_under(mv->topo, id, j->moves[j->done].parent))
		return false;
	arrived(mv, j);
	return true;
}

enum moves_reply moves_on_reply(struct moves *mv, int32_t from, const struct msg *m)
{
	struct job *j = TAILQ_FIRST(&mv->jobs);
	if (j && j->nfan)
		return moves_fan_reply(mv, j, from, m);
	if (!j || !m->req || (m->req != j->move_req && m->req != j->expect_req))
		return MOVES_NOT_MINE;
	struct topo_move *mo = &j->moves[j->done];
	bool expect = m->req == j->expect_req;
	if (from != j->link || m->id != (expect ? mo->parent : mo->id))
		return MOVES_FORGED;
	if (expect && m->code == REP_LISTEN) {	/* a parent on another host; REP_OK follows */
		char text[PROTO_FIELDS_MAX];
		const char *f[2];
		if (proto_read_fields(m, text, f, 2) == 0) {
			snprintf(j->listen, sizeof j->listen, "%s", f[0]);
			snprintf(j->listen_key, sizeof j->listen_key, "%s", f[1]);
		}
		return MOVES_TAKEN;
	}
	if (expect && m->code == REP_ADOPTED && j->heal) {	/* it waited there */
		arrived(mv, j);
	} else if (m->code != REP_OK) {
		log_debug("%s of %d under %d: code %d %.*s", expect ? "expecting" : "moving",
			  (int)mo->id, (int)mo->parent, m->code,
			  (int)(m->body_len > 100 ? 100 : m->body_len), m->body);
		if (!expect && mover_dead(mv, mo->id)) {	/* its loss came first: the job */
			move_dead(mv, j);			/* goes on without it */
			moves_step(mv, j);
		} else {
			moves_job_end(mv, j, "Error: Node is unavailable");	/* not reached */
		}
	} else if (expect) {
		j->expect_req = 0;
		send_move(mv, j);
	} else {	/* the mover has left its old parent; its HELLO from the new one follows */
		moves_heal_left(mv, mo->id);
	}
	return MOVES_TAKEN;
}

int32_t moves_destination(struct moves *mv, int32_t id)
{
	struct job *j = TAILQ_FIRST(&mv->jobs);
	if (j && j->nfan)
		return moves_fan_destination(mv, j, id);
	if (!j || (!j->move_req && !j->expect_req) || j->moves[j->done].id != id)
		return TOPO_NONE;
	return j->moves[j->done].parent;
}

void moves_check_lost(struct moves *mv)
{
	struct job *j = TAILQ_FIRST(&mv->jobs);
	if (j && j->nfan) {
		moves_fan_check(mv, j);
		return;
	}
	struct topo_node *w = j && j->heal ? topo_get(mv->topo, j->waiting) : NULL;
	if (j && j->heal && j->waiting != TOPO_NONE && (!w || !moves_heal_orphaned(mv, w))) {
		moves_step(mv, j);	/* the orphan it waited for died, or its parent is known again */
		return;
	}
	if (!j || (!j->move_req && !j->expect_req))
		return;
	struct topo_move *m = &j->moves[j->done];
	struct topo_node *parent = topo_get(mv->topo, m->parent);
	bool dead = mover_dead(mv, m->id);
	if (!dead && (m->parent == TOPO_ROOT || (parent && parent->state != NODE_LOST)))
		return;
	if (!dead && j->expect_req) {	/* the new parent died before it was told: it stays */
		moves_job_end(mv, j, "Error: Node is unavailable");
		return;
	}
	if (!dead && j->heal) {	/* it left our link for a dead parent: it comes back to us */
		j->move_req = 0;
		moves_job_end(mv, j, "Error: Node is unavailable");
		return;
	}
	bool moving = !dead;
	move_dead(mv, j);
	if (moving)	/* it was on its way to a parent that died, and ends: it is lost */
		mv->ops.lost(mv->ops.arg, m->id);
	moves_step(mv, j);
}

/* A job waiting with a deadline: for a message, or for an orphan. */
static bool timed(const struct job *j)
{
	return j && (j->move_req || j->expect_req || j->nfan ||
		     (j->heal && j->waiting != TOPO_NONE));
}

/* A node that has not arrived in time might still arrive later, where the model does not
 * expect it: it is ended instead, so that the model stays true. One that was never told to
 * move stays where it is. */
void moves_tick(struct moves *mv, int64_t now)
{
	struct job *j = TAILQ_FIRST(&mv->jobs);
	if (!timed(j) || now < j->deadline)
		return;
	if (j->nfan) {
		moves_fan_tick(mv, j);
		return;
	}
	log_debug("%s of %d: no progress in %d ms", j->heal ? "heal" : "move", (int)j->subject,
		  mv->arrive_ms);
	/* An orphan that never came to us is ended too: its death heals what is below it. */
	struct topo_node *n = topo_get(mv->topo, j->move_req ? j->moves[j->done].id : j->waiting);
	if (n && (j->move_req || !j->expect_req)) {
		mv->ops.kill(mv->ops.arg, n->pid, n->id);
		moves_heal_left(mv, n->id);
	}
	j->move_req = j->expect_req = 0;
	moves_job_end(mv, j, "Error: Node is unavailable");
}

int64_t moves_next_wake(struct moves *mv)
{
	struct job *j = TAILQ_FIRST(&mv->jobs);
	return timed(j) ? j->deadline : INT64_MAX;
}
