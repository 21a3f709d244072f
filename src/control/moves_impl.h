/* moves_impl.h - what moves.c and moves_heal.c share; nothing else includes it. */
#ifndef MQTREE_MOVES_IMPL_H
#define MQTREE_MOVES_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "buf.h"
#include "moves_ops.h"
#include "proto.h"
#include "topo.h"

/* One orphan of a heal moving at the same time as others to the same parent (moves_heal.c). */
struct fan {
	int32_t id;
	uint32_t expect_req, move_req;	/* in flight, 0 if none */
	bool asked, told, here;	/* OP_EXPECT sent; OP_MOVE sent; its HELLO seen (or dead) */
};

struct job {
	uint32_t req;		/* the remove or create it answers */
	int32_t subject;	/* the removed node, or the new node */
	bool remove;
	bool heal;		/* subject died: its children re-join; it stays, lost, aside */
	unsigned tries;
	int32_t from;		/* adoption: the child's parent in fact, not yet in the model */
	struct topo_move *moves;
	size_t n, done;
	bool started;
	uint32_t expect_req;	/* the OP_EXPECT to the new parent in flight, 0 if none */
	uint32_t move_req;	/* the OP_MOVE in flight, 0 if none */
	char listen[PROTO_ENDPOINT_MAX];	/* where a parent on another host listens ("": */
	char listen_key[PROTO_KEY_LEN + 1];	/* the parent is on the mover's host), its key */
	int32_t link;		/* the link their answers come back on */
	int32_t waiting;	/* a node still being created that must move, or an orphan
				 * that has not come to us yet (deadline), or TOPO_NONE */
	bool draining;		/* waiting for answers on their way through the old path */
	struct buf held;	/* the nodes whose requests it holds */
	struct fan *fan;	/* heal: moves[done..done+nfan) under way at once */
	size_t nfan;
	int64_t deadline;
	TAILQ_ENTRY(job) entry;
};

struct moves {
	TAILQ_HEAD(, job) jobs;	/* the first is under way */
	struct topo *topo;
	struct buf orphans;	/* orphans that have come (moves_heal.c), not yet re-joined */
	int arrive_ms;
	char endpoint[PROTO_ENDPOINT_MAX];
	char remote[PROTO_ENDPOINT_MAX];
	struct moves_ops ops;
};

void moves_enqueue(struct moves *mv, struct job *j);
/* Carries the job on as far as it can go now. */
void moves_step(struct moves *mv, struct job *j);
/* The job is over (a heal that failed is planned again instead). */
void moves_job_end(struct moves *mv, struct job *j, const char *answer);

/* moves_heal.c: an orphan that has come is no longer where it waited (left); whether node n
 * is an orphan (its parent dead); the first orphan on the way down to id that has not come
 * yet (TOPO_NONE: none); waiting for one; a move of an orphan that stays on our link (true:
 * done in the model); a heal tried again (false: given up); a heal's end. */
void moves_heal_left(struct moves *mv, int32_t id);
bool moves_heal_orphaned(struct moves *mv, const struct topo_node *n);
int32_t moves_heal_stranded(struct moves *mv, int32_t id);
void moves_heal_wait(struct moves *mv, struct job *j, int32_t id);
bool moves_heal_stays(struct moves *mv, struct job *j, const struct topo_move *m);
bool moves_heal_retry(struct moves *mv, struct job *j);
void moves_heal_end(struct moves *mv, struct job *j);
/* A heal's next moves that go to one parent, by orphans on our link, all at once: true when
 * started. Then, while j->nfan: answers and HELLOs (MOVES_NOT_MINE / false: not theirs), deaths,
 * the deadline, the parent a mover goes to. */
bool moves_fan_start(struct moves *mv, struct job *j);
enum moves_reply moves_fan_reply(struct moves *mv, struct job *j, int32_t from,
				 const struct msg *m);
bool moves_fan_hello(struct moves *mv, struct job *j, int32_t from, int32_t id, pid_t pid);
void moves_fan_check(struct moves *mv, struct job *j);
void moves_fan_tick(struct moves *mv, struct job *j);
int32_t moves_fan_destination(struct moves *mv, struct job *j, int32_t id);
/* Orphan id has come to our link: its move starts if it is in the fan. */
void moves_fan_arrived(struct moves *mv, struct job *j, int32_t id);
/* Orphan id came to our link again after it was told to move: its new parent failed it. */
bool moves_fan_came_back(struct job *j, int32_t id);
void moves_fan_clear(struct job *j);
/* moves.c, for moves_heal.c: sends op along the path to `to` as the tree is in fact (j, if
 * any, notes the link its answers come back on). */
int moves_send_along(struct moves *mv, struct job *j, uint32_t req, uint8_t op, int32_t to,
		     const void *body, size_t len);

#endif
