/* moves.c - move jobs, run one at a time. */
#include "moves.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "control.h"
#include "log.h"
#include "proc.h"
#include "requests.h"

struct job {
	uint32_t req;		/* the remove or create it answers */
	int32_t subject;	/* the removed node, or the new node */
	bool remove;
	int32_t from;		/* adoption: the child's parent in fact, not yet in the model */
	struct topo_move *moves;
	size_t n, done;
	bool started;
	uint32_t move_req;	/* the OP_MOVE in flight, 0 if none */
	int32_t waiting;	/* a node still being created that must move, or TOPO_NONE */
	bool draining;		/* waiting for answers on their way through the old path */
	struct buf held;	/* the nodes whose requests it holds */
	int64_t deadline;
	struct job *next;
};

struct moves {
	struct job *head, *tail;
};

struct moves *mv_new(void)
{
	return calloc(1, sizeof(struct moves));
}

static void job_free(struct job *j)
{
	buf_free(&j->held);
	free(j->moves);
	free(j);
}

void mv_destroy(struct moves **mvp)
{
	struct moves *mv = *mvp;
	if (!mv)
		return;
	while (mv->head) {
		struct job *j = mv->head;
		mv->head = j->next;
		job_free(j);
	}
	free(mv);
	*mvp = NULL;
}

static void step(struct ctl *c, struct job *j);
static void job_end(struct ctl *c, struct job *j, const char *answer);

static void enqueue(struct ctl *c, struct job *j)
{
	struct moves *mv = c->moves;
	if (mv->tail)
		mv->tail->next = j;
	else
		mv->head = j;
	mv->tail = j;
}

bool mv_start(struct ctl *c)
{
	struct job *j = c->moves->head;
	if (j && j->draining && !rq_in_flight(c, j->moves[j->done].id)) {
		j->draining = false;
		step(c, j);
		return true;
	}
	if (!j || j->started)
		return false;
	step(c, j);
	return true;
}

/* The job is over: the subtrees it held go on by their new paths, its request is answered
 * and the next job starts. */
static void job_end(struct ctl *c, struct job *j, const char *answer)
{
	struct moves *mv = c->moves;
	mv->head = j->next;
	if (!mv->head)
		mv->tail = NULL;
	rq_release(c, &j->held);
	rq_answer(c, j->req, answer, j->remove && j->done == j->n);	/* settles: starts the next */
	job_free(j);
}

/* Sends the next move, or ends the job when none is left. */
/* A remove's moves, planned when it starts: jobs before it may have changed the tree. */
static int plan(struct ctl *c, struct job *j)
{
	long n = topo_plan_remove(c->topo, j->subject, NULL, 0);
	if (n < 0)
		return -1;
	j->moves = calloc((size_t)n + 1, sizeof *j->moves);
	if (!j->moves)
		fatal("out of memory");
	j->n = (size_t)topo_plan_remove(c->topo, j->subject, j->moves, (size_t)n);
	return 0;
}

static void step(struct ctl *c, struct job *j)
{
	if (!j->started) {
		j->started = true;
		if (j->remove && plan(c, j) < 0) {
			job_end(c, j, "Error: Not found");
			return;
		}
		if (j->remove)	/* an adoption's child is held since its create */
			rq_hold(c, j->subject, &j->held);
	}
	while (j->done < j->n) {
		struct topo_move *m = &j->moves[j->done];
		struct topo_node *node = topo_get(c->topo, m->id);
		struct topo_node *parent = topo_get(c->topo, m->parent);
		if (!node) {	/* taken out meanwhile (killed, or never came up): nothing to move */
			j->done++;
			continue;
		}
		if (node && node->state == NODE_PENDING) {
			j->waiting = m->id;	/* goes on when it is up (mv_node_up) */
			return;
		}
		if (node && node->state == NODE_UP && rq_in_flight(c, m->id)) {
			j->draining = true;	/* goes on once answered (mv_start) */
			return;
		}
		if (!node || (m->parent != TOPO_ROOT && (!parent || parent->state != NODE_UP))) {
			job_end(c, j, "Error: Node is unavailable");
			return;
		}
		if (node->state == NODE_LOST) {	/* nothing to tell a dead node */
			if (topo_move(c->topo, m->id, m->parent, m->side) < 0)
				log_warn("cannot move %d under %d in the model", (int)m->id, (int)m->parent);
			j->done++;
			continue;
		}
		const char *endpoint = parent ? parent->endpoint : c->endpoint;
		/* Where the node is in fact: an adopted child is still under its old parent. */
		size_t depth = topo_depth(c->topo, j->from != TOPO_NONE ? j->from : m->id);
		int32_t *path = malloc((depth + 1) * sizeof *path);
		if (!path)
			fatal("out of memory");
		size_t npath = topo_path(c->topo, j->from != TOPO_NONE ? j->from : m->id, path);
		if (j->from != TOPO_NONE)
			path[npath++] = m->id;
		j->move_req = rq_new_id(c);
		j->deadline = clock_ms() + (c->timeout_ms > HELLO_MIN_MS ? c->timeout_ms : HELLO_MIN_MS);
		int rc = ctl_send_req(c, j->move_req, OP_MOVE, 0, path, npath, endpoint,
				      strlen(endpoint));
		free(path);
		if (rc < 0)
			job_end(c, j, "Error: Node is unavailable");
		return;
	}
	char ok[32];
	struct topo_node *n = topo_get(c->topo, j->subject);
	if (j->remove)
		snprintf(ok, sizeof ok, "Ok");
	else
		snprintf(ok, sizeof ok, "Ok: %d", n ? (int)n->pid : 0);
	job_end(c, j, ok);
}

void mv_remove(struct ctl *c, uint32_t req, int32_t id)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		fatal("out of memory");
	j->req = req;
	j->subject = id;
	j->remove = true;
	j->from = TOPO_NONE;
	j->waiting = TOPO_NONE;
	enqueue(c, j);
}

void mv_adopt(struct ctl *c, uint32_t req, int32_t id, int32_t child, int32_t from,
	      struct buf *held)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j || !(j->moves = calloc(1, sizeof *j->moves)))
		fatal("out of memory");
	j->n = 1;
	j->moves[0] = (struct topo_move){ child, id, 0 };
	j->req = req;
	j->subject = id;
	j->from = from;
	j->waiting = TOPO_NONE;
	j->held = *held;	/* taken over */
	*held = (struct buf){ 0 };
	enqueue(c, j);
}

void mv_node_up(struct ctl *c, int32_t id)
{
	struct job *j = c->moves->head;
	if (j && j->waiting == id) {
		j->waiting = TOPO_NONE;
		step(c, j);
	}
}

bool mv_on_hello(struct ctl *c, int32_t id)
{
	struct job *j = c->moves->head;
	if (!j || !j->move_req || j->moves[j->done].id != id)
		return false;
	struct topo_move *m = &j->moves[j->done];
	if (j->from == TOPO_NONE &&	/* an adoption is in the model already */
	    topo_move(c->topo, m->id, m->parent, m->side) < 0)
		log_warn("cannot move %d under %d in the model", (int)m->id, (int)m->parent);
	j->from = TOPO_NONE;
	j->move_req = 0;
	j->done++;
	step(c, j);
	return true;
}

bool mv_on_reply(struct ctl *c, const struct msg *m)
{
	struct job *j = c->moves->head;
	if (!j || !j->move_req || m->req != j->move_req)
		return false;
	job_end(c, j, "Error: Node is unavailable");	/* it could not be reached */
	return true;
}

/* A node that has not arrived in time might still arrive later, where the model does not
 * expect it: it is ended instead, so that the model stays true. */
void mv_tick(struct ctl *c, int64_t now)
{
	struct job *j = c->moves->head;
	if (!j || !j->move_req || now < j->deadline)
		return;
	struct topo_node *n = topo_get(c->topo, j->moves[j->done].id);
	if (n)
		proc_kill(n->pid, n->id);
	job_end(c, j, "Error: Node is unavailable");
}

int64_t mv_next_wake(struct ctl *c)
{
	struct job *j = c->moves->head;
	return j && j->move_req ? j->deadline : INT64_MAX;
}
