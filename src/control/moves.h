/* moves.h - re-joining live nodes to new parents: `remove` (children re-joined as the
 * topology says) and insertion in the middle of a `list` chain (the old child moves under
 * the new node).
 *
 * A job is a list of moves carried out one at a time: OP_EXPECT to the new parent (which
 * takes only a child it was told of), then OP_MOVE to the node along its current path, done
 * when its HELLO arrives from the new place; then the model follows. A node that dies on the
 * way is moved in the model only, at once. Requests
 * for the subtrees involved are held meanwhile and sent by their new paths afterwards, so
 * none is lost or answered twice. Jobs run one after another.
 */
#ifndef MQTREE_MOVES_H
#define MQTREE_MOVES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "moves_ops.h"
#include "proto.h"
#include "topo.h"

struct moves;


/* Moves work on the tree model `topo`; a moving node gets arrive_ms to arrive; `endpoint`
 * is the control's own, for a node that moves to depth 1, and `remote` the one for nodes on
 * other hosts ("": none). A node moving to a parent on another host connects where that
 * parent says it listens (REP_LISTEN to the OP_EXPECT), with the parent host's key. */
struct moves *moves_new(struct topo *topo, int arrive_ms, const char *endpoint,
			const char *remote, const struct moves_ops *ops);
void moves_destroy(struct moves **mv);

/* remove: answers request `req` (Ok, or why not) once node id is out and its children
 * re-joined. */
void moves_remove(struct moves *mv, uint32_t req, int32_t id);
/* list insertion: `child` (now under `id` in the model, still under `from` in fact) moves
 * under the new node id once it is up; then request `req` (the create) is answered. The job
 * takes over `held`, the nodes held for it since the create. */
void moves_adopt(struct moves *mv, uint32_t req, int32_t id, int32_t child, int32_t from,
		 struct buf *held);
/* --heal: node id died. Its children come as orphans to its parent or to the control node's
 * link (moves_orphan) and re-join where a remove of id would put them, with their subtrees:
 * an orphan that waits at its new parent is adopted there (OP_EXPECT, REP_ADOPTED); then
 * id, lost, is put aside (topo_bury) and ops.healed releases `held` (taken over). Heals run
 * in the order the deaths were noticed; one whose new parent dies on the way is planned
 * again after the jobs behind it. */
void moves_heal(struct moves *mv, int32_t id, struct buf *held);
/* Node id, whose parent is dead, waits at node `at` (MSG_ORPHAN), or on the control node's link
 * (at TOPO_ROOT: its HELLO came there). */
void moves_orphan(struct moves *mv, int32_t id, int32_t at);
/* Orphan id, waiting at node `at`, is not to be healed: it ends there (OP_ABORT). */
void moves_orphan_refuse(struct moves *mv, int32_t id, int32_t at);
/* The node orphan id waits at, TOPO_ROOT for our link, or TOPO_NONE: it may report it lost. */
int32_t moves_orphan_at(const struct moves *mv, int32_t id);
/* Starts the next job if none is under way, or goes on with one that waited for answers in
 * flight; true when it did. The loop calls it when settling, after the request engine: a
 * job changes the tree, which must not happen while it is being walked. */
bool moves_start(struct moves *mv);
/* Also when settling: a move of a dead node, or to a dead parent, is over at once. */
void moves_check_lost(struct moves *mv);
/* A node being created is up: a move of it may go on. */
void moves_node_up(struct moves *mv, int32_t id);

/* A HELLO from node id (process pid), already up, on link `from`: true when it completes a
 * move. */
bool moves_on_hello(struct moves *mv, int32_t from, int32_t id, pid_t pid);
/* An answer: not to a move's OP_EXPECT or OP_MOVE, taken, or not from where the request
 * went (to be dropped). */
enum moves_reply { MOVES_NOT_MINE, MOVES_TAKEN, MOVES_FORGED };
enum moves_reply moves_on_reply(struct moves *mv, int32_t from, const struct msg *m);
/* The parent node id is being moved to (told to expect it, moving, or come there before the
 * model has it there), else TOPO_NONE. */
int32_t moves_destination(struct moves *mv, int32_t id);
void moves_tick(struct moves *mv, int64_t now);
int64_t moves_next_wake(struct moves *mv);

#endif
