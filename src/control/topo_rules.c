/* topo_rules.c - where `create` puts a node and how `remove` re-joins children, for each of
 * the four topologies (README "Topologies"): pure functions of the model that return what to
 * do; the control node carries it out and then applies it with topo_add and topo_move. */
#include "topo.h"
#include "topo_impl.h"

#include <stdbool.h>
#include <string.h>

static bool lost_on_path(const struct topo *t, const struct tnode *x)
{
	for (; !topo_is_top(t, x); x = topo_parent_of(t, x))
		if (x->n.state == NODE_LOST)
			return true;
	return false;
}

/* Among x's children (skipping NODE_LOST ones if skip_lost), the one with the fewest nodes, the
 * leftmost on a tie; or with `larger`, the most nodes, the rightmost on a tie. */
static struct tnode *pick_child(const struct topo *t, const struct tnode *x, bool larger,
				bool skip_lost)
{
	struct tnode *best = NULL;
	for (size_t i = 0; i < x->n.nchildren; i++) {
		struct tnode *c = topo_child_at(t, x, i);
		if (skip_lost && c->n.state == NODE_LOST)
			continue;
		if (!best || (larger ? c->n.size >= best->n.size : c->n.size < best->n.size))
			best = c;
	}
	return best;
}

/* list and tree: under the named parent; a list node goes between PARENT and its child. */
static const char *place_under(const struct topo *t, int64_t parent_arg, struct topo_place *out)
{
	out->parent = TOPO_ROOT;
	out->side = 0;
	out->adopt = TOPO_NONE;
	if (parent_arg == TOPO_ROOT)
		return NULL;
	struct tnode *p = parent_arg >= 0 && parent_arg <= TOPO_ID_MAX
				  ? topo_lookup(t, (int32_t)parent_arg) : NULL;
	if (!p)
		return "Parent not found";
	if (lost_on_path(t, p))
		return "Parent is unavailable";
	out->parent = p->n.id;
	if (t->kind == TOPO_LIST && p->n.nchildren)
		out->adopt = p->n.children[0];
	return NULL;
}

/* bst: BST insertion from the root (which sits in the control node's only slot). */
static const char *place_bst(const struct topo *t, int32_t id, struct topo_place *out)
{
	struct tnode *p = t->ctl;
	int side = 0;
	struct tnode *c;
	while ((c = topo_slot_holder(t, p, side))) {
		if (c->n.state == NODE_LOST)
			return "Parent is unavailable";
		p = c;
		side = id > c->n.id;
	}
	out->parent = p->n.id;
	out->side = side;
	out->adopt = TOPO_NONE;
	return NULL;
}

/* balanced: descend from the root. A node with a free slot takes the new node there (left
 * first). Otherwise go into the child subtree with fewer nodes (`size`, LOST nodes included),
 * the left one on a tie; a NODE_LOST child is never entered (its slot counts as occupied). If a
 * subtree turns out to hold no free slot that can be reached (all its ways down end in LOST
 * children), back up and try the sibling subtree that was not chosen: a depth-first search in
 * order of preference. So whenever the plain descent finds a slot this is exactly that slot, and
 * "Parent is unavailable" comes only when no slot can be reached at all (a LOST root included).
 */
static const char *place_balanced(const struct topo *t, struct topo_place *out)
{
	out->adopt = TOPO_NONE;
	struct tnode *root = topo_slot_holder(t, t->ctl, 0);
	if (!root) {
		out->parent = TOPO_ROOT;
		out->side = 0;
		return NULL;
	}
	if (root->n.state == NODE_LOST)
		return "Parent is unavailable";
	struct tnode *x = root;
	for (;;) {
		for (int side = 0; side < 2; side++) {
			if (!topo_slot_holder(t, x, side)) {
				out->parent = x->n.id;
				out->side = side;
				return NULL;
			}
		}
		struct tnode *c = pick_child(t, x, false, true);
		if (c) {
			x = c;
			continue;
		}
		/* Nothing below x: up to the nearest ancestor whose second choice is untried. */
		for (;;) {
			if (x == root)
				return "Parent is unavailable";
			struct tnode *p = topo_parent_of(t, x);
			if (p->n.nchildren == 2 && x == pick_child(t, p, false, true)) {
				struct tnode *other = topo_child_at(t, p, 1 - x->pos);
				if (other->n.state != NODE_LOST) {
					x = other;
					break;
				}
			}
			x = p;
		}
	}
}

int topo_place(const struct topo *t, int32_t id, int64_t parent_arg, struct topo_place *out,
	       const char **err)
{
	const char *why = NULL;
	if (id < 0)
		why = "Invalid id";
	else if (topo_lookup(t, id))
		why = "Already exists";
	else if (t->kind == TOPO_BST)
		why = place_bst(t, id, out);
	else if (t->kind == TOPO_BALANCED)
		why = place_balanced(t, out);
	else
		why = place_under(t, parent_arg, out);
	if (why) {
		if (err)
			*err = why;
		return -1;
	}
	return 0;
}

static void plan_add(struct topo_move *moves, size_t max, size_t *n, const struct tnode *w,
		     int32_t parent, int side)
{
	if (*n < max)
		moves[*n] = (struct topo_move){ .id = w->n.id, .parent = parent, .side = side };
	(*n)++;
}

/* bst: standard deletion; the in-order successor S takes the place of a node with two children.
 * S has no left child, so after its right child moves up into S's slot, S is free to take both
 * of ID's children. */
static void plan_bst(const struct topo *t, const struct tnode *w, struct topo_move *moves,
		     size_t max, size_t *n)
{
	struct tnode *l = topo_slot_holder(t, w, 0), *r = topo_slot_holder(t, w, 1);
	if (!l || !r) {
		if (l || r)
			plan_add(moves, max, n, l ? l : r, w->n.parent, w->n.side);
		return;
	}
	struct tnode *s = r, *c;
	while ((c = topo_slot_holder(t, s, 0)))
		s = c;
	if (s != r) {
		struct tnode *sr = topo_slot_holder(t, s, 1);
		if (sr)
			plan_add(moves, max, n, sr, s->n.parent, s->n.side);
		plan_add(moves, max, n, s, w->n.parent, w->n.side);
		plan_add(moves, max, n, l, s->n.id, 0);
		plan_add(moves, max, n, r, s->n.id, 1);
	} else {
		plan_add(moves, max, n, s, w->n.parent, w->n.side);
		plan_add(moves, max, n, l, s->n.id, 0);
	}
}

/* balanced: a leaf L of ID's subtree takes ID's place, and ID's other children go below L in
 * their own slots. L is found as placement in reverse: from ID go into the child subtree with
 * more nodes, the right one on a tie, until a leaf. In a tree built by placement (where every
 * left subtree has as many nodes as its sibling or one more) that is a deepest leaf, and every
 * subtree below ID keeps that property. Children that are not NODE_LOST are preferred, so that
 * L can be reached if any leaf can. */
static void plan_balanced(const struct topo *t, const struct tnode *w, struct topo_move *moves,
			  size_t max, size_t *n)
{
	const struct tnode *leaf = w;
	while (leaf->n.nchildren) {
		struct tnode *c = pick_child(t, leaf, true, true);
		leaf = c ? c : pick_child(t, leaf, true, false);
	}
	if (leaf == w)
		return;
	plan_add(moves, max, n, leaf, w->n.parent, w->n.side);
	for (size_t i = 0; i < w->n.nchildren; i++) {
		struct tnode *c = topo_child_at(t, w, i);
		if (c != leaf)
			plan_add(moves, max, n, c, leaf->n.id, c->n.side);
	}
}

long topo_plan_remove(const struct topo *t, int32_t id, struct topo_move *moves, size_t max)
{
	const struct tnode *w = topo_lookup(t, id);
	if (!w)
		return -1;
	size_t n = 0;
	switch (t->kind) {
	case TOPO_LIST:
	case TOPO_TREE:
		/* Each child goes to the grandparent, right before ID (see topo_move), so in the
		 * end they stand where ID stood, in their order. */
		for (size_t i = 0; i < w->n.nchildren; i++)
			plan_add(moves, max, &n, topo_child_at(t, w, i), w->n.parent, 0);
		break;
	case TOPO_BST:
		plan_bst(t, w, moves, max, &n);
		break;
	case TOPO_BALANCED:
		plan_balanced(t, w, moves, max, &n);
		break;
	}
	return (long)n;
}
