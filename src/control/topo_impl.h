/* topo_impl.h - the tree model's own layout, shared by topo.c (the tree) and topo_rules.c (where
 * the four topologies put nodes); nothing else includes it. */
#ifndef MQTREE_TOPO_IMPL_H
#define MQTREE_TOPO_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idmap.h"
#include "topo_types.h"

/* A node plus its index in its parent's children, so that a walk steps to the next sibling in
 * O(1) without a stack. */
struct tnode {
	struct topo_node n;	/* first: &w->n is what callers see */
	size_t pos;
};

struct topo {
	enum topo_kind kind;
	struct tnode *ctl;	/* the control node; its children are the roots */
	struct tnode *dead;	/* pseudo-parent of dead nodes healed around (topo_bury) */
	struct idmap nodes;	/* every node but the control node, by id */
};

struct tnode *topo_lookup(const struct topo *t, int32_t id);
/* The control node or the graveyard: where walks up end. */
bool topo_is_top(const struct topo *t, const struct tnode *x);
struct tnode *topo_parent_of(const struct topo *t, const struct tnode *w);
struct tnode *topo_child_at(const struct topo *t, const struct tnode *p, size_t i);
/* The child holding slot side of p; NULL when it is free, which is always so when p takes any
 * number of children. */
struct tnode *topo_slot_holder(const struct topo *t, const struct tnode *p, int side);

#endif
