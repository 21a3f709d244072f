/* topo.h - the control node's model of the tree, and where nodes go (README "Topologies").
 *
 * This is the only place that knows which topology is in use: placement of a new node and the
 * re-joining of children when a node is removed are pure functions of the model, returning what
 * to do; the control node carries it out over the network and then applies it here.
 */
#ifndef MQTREE_TOPO_H
#define MQTREE_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topo_types.h"

/* Where a new node goes. */
struct topo_place {
	int32_t parent;		/* TOPO_ROOT or a node id */
	int side;		/* bst/balanced: which child slot of parent; else 0 */
	int32_t adopt;		/* list: PARENT's former child, which becomes the new node's child;
				 * else TOPO_NONE */
};

/* One step of re-joining after a removal: node id gets the new parent (and side). */
struct topo_move {
	int32_t id;
	int32_t parent;
	int side;
};

struct topo;

struct topo *topo_new(enum topo_kind kind);
void topo_destroy(struct topo **t);
/* "list", "tree", "bst", "balanced"; 0, or -1 for an unknown name. */
int topo_kind_parse(const char *name, enum topo_kind *kind);
const char *topo_kind_name(enum topo_kind kind);
enum topo_kind topo_get_kind(const struct topo *t);

struct topo_node *topo_get(const struct topo *t, int32_t id);
size_t topo_count(const struct topo *t);
/* The control node's own children (depth 1), in order. */
const int32_t *topo_roots(const struct topo *t, size_t *n);
/* Dead nodes whose children were healed away (topo_bury), in the order they were buried. */
const int32_t *topo_buried(const struct topo *t, size_t *n);

/* Where `create ID [PARENT]` puts ID; parent_arg is TOPO_ROOT when PARENT was omitted.
 * 0 with *out filled, or -1 with *err one of "Already exists", "Parent not found",
 * "Parent is unavailable" (a node on the way is NODE_LOST). PENDING nodes count as present. */
int topo_place(const struct topo *t, int32_t id, int64_t parent_arg, struct topo_place *out,
	       const char **err);
/* Adds ID as NODE_PENDING where p says, applying p->adopt. NULL when out of memory. */
struct topo_node *topo_add(struct topo *t, int32_t id, const struct topo_place *p);
/* Re-parents ID (with its subtree) under parent, in slot side. 0, or -1 on a bad request. */
int topo_move(struct topo *t, int32_t id, int32_t parent, int side);

/* How ID's children (and, in bst/balanced, the node taking ID's place) are re-joined when ID
 * is removed, as moves to carry out in order; after them ID has no children and topo_delete
 * takes it out. Writes at most max moves to moves[]; returns how many there are, -1 if ID does
 * not exist. */
long topo_plan_remove(const struct topo *t, int32_t id, struct topo_move *moves, size_t max);
/* Puts NODE_LOST node ID, which has no children left, aside: it stays known (and lost) until
 * topo_delete, but is in no one's way. 0, or -1 when it cannot. */
int topo_bury(struct topo *t, int32_t id);
/* Takes ID and its whole subtree out of the model; calls fn for each node before it is freed
 * (children before parents). */
void topo_delete(struct topo *t, int32_t id, void (*fn)(struct topo_node *, void *), void *arg);

/* The depth-1 node that a node ID placed under parent is below (ID itself under the control
 * node): the link its messages arrive on. TOPO_NONE when parent does not exist. */
int32_t topo_link_under(const struct topo *t, int32_t id, int32_t parent);
/* Nodes from depth 1 down to ID, written to path (room for topo_depth(ID) entries).
 * Returns the depth (1 for the control node's children), or 0 if ID does not exist. */
size_t topo_depth(const struct topo *t, int32_t id);
size_t topo_path(const struct topo *t, int32_t id, int32_t *path);
/* Calls fn for ID and every node below it, parents before children. */
void topo_walk(const struct topo *t, int32_t id, void (*fn)(struct topo_node *, void *), void *arg);
/* Calls fn for every node in ascending id order. */
void topo_each_sorted(const struct topo *t, void (*fn)(struct topo_node *, void *), void *arg);

#endif
