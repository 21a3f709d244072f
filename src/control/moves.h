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
#include "proto.h"
#include "topo.h"

struct ctl;
struct moves;

struct moves *mv_new(void);
void mv_destroy(struct moves **mv);

/* remove: answers request `req` (Ok, or why not) once node id is out and its children
 * re-joined. */
void mv_remove(struct ctl *c, uint32_t req, int32_t id);
/* list insertion: `child` (now under `id` in the model, still under `from` in fact) moves
 * under the new node id once it is up; then request `req` (the create) is answered. The job
 * takes over `held`, the nodes held for it since the create. */
void mv_adopt(struct ctl *c, uint32_t req, int32_t id, int32_t child, int32_t from,
	      struct buf *held);
/* Starts the next job if none is under way, or goes on with one that waited for answers in
 * flight (true when it did). Called when the request layer settles: a job changes the tree,
 * which must not happen while it is being walked. */
bool mv_start(struct ctl *c);
/* A node being created is up: a move of it may go on. */
void mv_node_up(struct ctl *c, int32_t id);

/* A HELLO from a node already up, on link `from`: true when it completes a move. */
bool mv_on_hello(struct ctl *c, int32_t from, int32_t id);
/* An answer to an OP_EXPECT or OP_MOVE: true when it was one (taken, or dropped when it did
 * not come from where the request went). */
bool mv_on_reply(struct ctl *c, int32_t from, const struct msg *m);
/* The parent node id is being moved to (told to expect it, or moving), else TOPO_NONE. */
int32_t mv_destination(struct ctl *c, int32_t id);
/* Nodes were lost: a move of a dead node, or to a dead parent, is over at once. */
void mv_on_lost(struct ctl *c);
void mv_tick(struct ctl *c, int64_t now);
int64_t mv_next_wake(struct ctl *c);

#endif
