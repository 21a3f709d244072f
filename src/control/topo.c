/* topo.c - the control node's model of the tree, and where nodes go (README "Topologies").
 *
 * Nodes live in an open-addressing hash table keyed by id (linear probing, backward-shift
 * deletion, load at most 1/2), so lookups are O(1) however the tree is shaped. The control node
 * itself is a pseudo-node (id TOPO_ROOT) whose children are the roots, so that code which walks
 * up or attaches a child needs no special case for it.
 *
 * Every walk is iterative: a list chain can be 100000 deep, far too deep for recursion.
 */
#include "topo.h"

#include <stdlib.h>
#include <string.h>

/* A node plus its index in its parent's children, so that a walk steps to the next sibling in
 * O(1) without a stack. */
struct tnode {
	struct topo_node n;	/* first: &w->n is what callers see */
	size_t pos;
};

struct topo {
	enum topo_kind kind;
	struct tnode *ctl;	/* the control node; its children are the roots */
	struct tnode **slots;	/* NULL where empty */
	unsigned bits;		/* the table has 1 << bits slots */
	size_t count;
};

static const char *const topo_names[] = {
	[TOPO_LIST] = "list",
	[TOPO_TREE] = "tree",
	[TOPO_BST] = "bst",
	[TOPO_BALANCED] = "balanced",
};

/* ---- the id table ---- */

static size_t table_home(const struct topo *t, int32_t id)
{
	/* Fibonacci hashing: consecutive ids spread over the whole table. */
	return (size_t)(((uint64_t)(uint32_t)id * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - t->bits));
}

static size_t table_mask(const struct topo *t)
{
	return ((size_t)1 << t->bits) - 1;
}

static struct tnode *lookup(const struct topo *t, int32_t id)
{
	for (size_t i = table_home(t, id);; i = (i + 1) & table_mask(t)) {
		struct tnode *w = t->slots[i];
		if (!w || w->n.id == id)
			return w;
	}
}

/* The node, or the control node for TOPO_ROOT. */
static struct tnode *node_at(const struct topo *t, int32_t id)
{
	return id == TOPO_ROOT ? t->ctl : lookup(t, id);
}

static struct tnode *parent_of(const struct topo *t, const struct tnode *w)
{
	return node_at(t, w->n.parent);
}

/* Room is there: the load stays at most 1/2. */
static void table_put(struct topo *t, struct tnode *w)
{
	size_t i = table_home(t, w->n.id);
	while (t->slots[i])
		i = (i + 1) & table_mask(t);
	t->slots[i] = w;
}

static void table_del(struct topo *t, int32_t id)
{
	size_t mask = table_mask(t);
	size_t i = table_home(t, id);
	while (t->slots[i]->n.id != id)
		i = (i + 1) & mask;
	/* Pull back every later entry of the run that may sit at the hole, so no tombstones. */
	for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
		size_t home = table_home(t, t->slots[j]->n.id);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = NULL;
}

static int table_resize(struct topo *t, unsigned bits)
{
	struct tnode **old = t->slots;
	size_t nold = old ? table_mask(t) + 1 : 0;
	struct tnode **slots = calloc((size_t)1 << bits, sizeof *slots);
	if (!slots)
		return -1;
	t->slots = slots;
	t->bits = bits;
	for (size_t i = 0; i < nold; i++)
		if (old[i])
			table_put(t, old[i]);
	free(old);
	return 0;
}

/* ---- children arrays and sizes ---- */

static int children_reserve(struct topo_node *n, size_t extra)
{
	if (n->cap - n->nchildren >= extra)
		return 0;
	size_t cap = n->cap ? n->cap : 2;
	while (cap - n->nchildren < extra)
		cap *= 2;
	int32_t *c = realloc(n->children, cap * sizeof *c);
	if (!c)
		return -1;
	n->children = c;
	n->cap = cap;
	return 0;
}

static struct tnode *child_at(const struct topo *t, const struct tnode *p, size_t i)
{
	return lookup(t, p->n.children[i]);
}

static void children_renumber(const struct topo *t, struct tnode *p, size_t from)
{
	for (size_t i = from; i < p->n.nchildren; i++)
		child_at(t, p, i)->pos = i;
}

/* Adds delta to the size of p and of everything above it. */
static void sizes_add(const struct topo *t, struct tnode *p, ptrdiff_t delta)
{
	for (;;) {
		p->n.size = (size_t)((ptrdiff_t)p->n.size + delta);
		if (p == t->ctl)
			return;
		p = parent_of(t, p);
	}
}

static void detach(struct topo *t, struct tnode *w)
{
	struct tnode *p = parent_of(t, w);
	struct topo_node *n = &p->n;
	n->nchildren--;
	memmove(n->children + w->pos, n->children + w->pos + 1,
		(n->nchildren - w->pos) * sizeof *n->children);
	children_renumber(t, p, w->pos);
	sizes_add(t, p, -(ptrdiff_t)w->n.size);
}

static void set_root(struct topo_node *n, void *arg)
{
	n->root = *(const int32_t *)arg;
}

/* Room for one more child of p must have been reserved. */
static void attach(struct topo *t, struct tnode *w, struct tnode *p, int side, size_t at)
{
	int32_t root = p == t->ctl ? w->n.id : p->n.root;
	struct topo_node *n = &p->n;
	memmove(n->children + at + 1, n->children + at, (n->nchildren - at) * sizeof *n->children);
	n->children[at] = w->n.id;
	n->nchildren++;
	w->n.parent = n->id;
	w->n.side = side;
	children_renumber(t, p, at);
	sizes_add(t, p, (ptrdiff_t)w->n.size);
	if (w->n.root != root)	/* it came from another depth-1 subtree: so did all below it */
		topo_walk(t, w->n.id, set_root, &root);
}

/* ---- shape ---- */

/* How many child slots p has; 0 means any number, all of them side 0. */
static int slots_of(const struct topo *t, const struct tnode *p)
{
	bool ctl = p == t->ctl;
	switch (t->kind) {
	case TOPO_LIST:
		return ctl ? 0 : 1;
	case TOPO_TREE:
		return 0;
	case TOPO_BST:
	case TOPO_BALANCED:
		break;
	}
	return ctl ? 1 : 2;
}

static bool side_ok(const struct topo *t, const struct tnode *p, int side)
{
	int slots = slots_of(t, p);
	return side == 0 || (side > 0 && side < slots);
}

/* The child holding slot side of p; NULL when it is free, which is always so when p takes any
 * number of children. */
static struct tnode *slot_holder(const struct topo *t, const struct tnode *p, int side)
{
	if (slots_of(t, p) == 0)
		return NULL;
	for (size_t i = 0; i < p->n.nchildren; i++) {
		struct tnode *c = child_at(t, p, i);
		if (c->n.side == side)
			return c;
	}
	return NULL;
}

/* Where a new child in slot side goes among p's children: after every child whose side is not
 * greater, so left stays before right, and list/tree children append. */
static size_t slot_index(const struct topo *t, const struct tnode *p, int side)
{
	size_t i = p->n.nchildren;
	while (i > 0 && child_at(t, p, i - 1)->n.side > side)
		i--;
	return i;
}

/* Whether x is root or below it. */
static bool in_subtree(const struct topo *t, const struct tnode *x, const struct tnode *root)
{
	for (; x != t->ctl; x = parent_of(t, x))
		if (x == root)
			return true;
	return x == root;
}

/* The child of p that w is (strictly) below, or NULL. */
static struct tnode *ancestor_under(const struct topo *t, const struct tnode *w,
				    const struct tnode *p)
{
	for (struct tnode *x = parent_of(t, w); x != t->ctl; x = parent_of(t, x))
		if (x->n.parent == p->n.id)
			return x;
	return NULL;
}

static bool lost_on_path(const struct topo *t, const struct tnode *x)
{
	for (; x != t->ctl; x = parent_of(t, x))
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
		struct tnode *c = child_at(t, x, i);
		if (skip_lost && c->n.state == NODE_LOST)
			continue;
		if (!best || (larger ? c->n.size >= best->n.size : c->n.size < best->n.size))
			best = c;
	}
	return best;
}

/* ---- life cycle ---- */

struct topo *topo_new(enum topo_kind kind)
{
	struct topo *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->kind = kind;
	t->ctl = calloc(1, sizeof *t->ctl);
	if (!t->ctl || table_resize(t, 4) < 0) {
		free(t->ctl);
		free(t);
		return NULL;
	}
	t->ctl->n.id = TOPO_ROOT;
	t->ctl->n.parent = TOPO_NONE;
	t->ctl->n.state = NODE_UP;
	t->ctl->n.size = 1;
	return t;
}

static void tnode_free(struct tnode *w)
{
	free(w->n.children);
	free(w);
}

void topo_destroy(struct topo **tp)
{
	struct topo *t = *tp;
	if (!t)
		return;
	for (size_t i = 0; i <= table_mask(t); i++)
		if (t->slots[i])
			tnode_free(t->slots[i]);
	tnode_free(t->ctl);
	free(t->slots);
	free(t);
	*tp = NULL;
}

int topo_kind_parse(const char *name, enum topo_kind *kind)
{
	for (size_t i = 0; i < sizeof topo_names / sizeof *topo_names; i++) {
		if (strcmp(name, topo_names[i]) == 0) {
			*kind = (enum topo_kind)i;
			return 0;
		}
	}
	return -1;
}

const char *topo_kind_name(enum topo_kind kind)
{
	return (unsigned)kind < sizeof topo_names / sizeof *topo_names ? topo_names[kind] : "?";
}

enum topo_kind topo_get_kind(const struct topo *t)
{
	return t->kind;
}

struct topo_node *topo_get(const struct topo *t, int32_t id)
{
	struct tnode *w = lookup(t, id);
	return w ? &w->n : NULL;
}

size_t topo_count(const struct topo *t)
{
	return t->count;
}

const int32_t *topo_roots(const struct topo *t, size_t *n)
{
	*n = t->ctl->n.nchildren;
	return t->ctl->n.children;
}

/* ---- placement ---- */

/* list and tree: under the named parent; a list node goes between PARENT and its child. */
static const char *place_under(const struct topo *t, int64_t parent_arg, struct topo_place *out)
{
	out->parent = TOPO_ROOT;
	out->side = 0;
	out->adopt = TOPO_NONE;
	if (parent_arg == TOPO_ROOT)
		return NULL;
	struct tnode *p = parent_arg >= 0 && parent_arg <= TOPO_ID_MAX
				  ? lookup(t, (int32_t)parent_arg) : NULL;
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
	while ((c = slot_holder(t, p, side))) {
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
	struct tnode *root = slot_holder(t, t->ctl, 0);
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
			if (!slot_holder(t, x, side)) {
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
			struct tnode *p = parent_of(t, x);
			if (p->n.nchildren == 2 && x == pick_child(t, p, false, true)) {
				struct tnode *other = child_at(t, p, 1 - x->pos);
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
	else if (lookup(t, id))
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

struct topo_node *topo_add(struct topo *t, int32_t id, const struct topo_place *p)
{
	struct tnode *par = node_at(t, p->parent);
	if (id < 0 || lookup(t, id) || !par || !side_ok(t, par, p->side))
		return NULL;
	struct tnode *adopt = NULL;
	if (p->adopt != TOPO_NONE) {
		adopt = lookup(t, p->adopt);
		if (!adopt || adopt->n.parent != par->n.id)
			return NULL;
	}
	struct tnode *holder = slot_holder(t, par, p->side);
	if (holder && holder != adopt)
		return NULL;

	/* Every allocation first, so that running out of memory changes nothing. */
	if ((t->count + 1) * 2 > table_mask(t) + 1 && table_resize(t, t->bits + 1) < 0)
		return NULL;
	if (children_reserve(&par->n, 1) < 0)
		return NULL;
	struct tnode *w = calloc(1, sizeof *w);
	if (!w || (adopt && children_reserve(&w->n, 1) < 0)) {
		free(w);
		return NULL;
	}
	w->n.id = id;
	w->n.state = NODE_PENDING;
	w->n.size = 1;
	table_put(t, w);
	t->count++;
	if (adopt) {
		/* The new node takes the adopted one's place, which then hangs below it. */
		size_t at = adopt->pos;
		detach(t, adopt);
		attach(t, w, par, p->side, at);
		attach(t, adopt, w, 0, 0);
	} else {
		attach(t, w, par, p->side, slot_index(t, par, p->side));
	}
	return &w->n;
}

/* Moving a node to the parent of one of its ancestors A puts it right before A, and it may take
 * A's slot while A is still there (both then hold it until A is deleted): that is how a node
 * takes the place of one being removed. Any other occupied slot is refused. */
int topo_move(struct topo *t, int32_t id, int32_t parent, int side)
{
	struct tnode *w = lookup(t, id);
	struct tnode *p = node_at(t, parent);
	if (!w || !p || !side_ok(t, p, side) || in_subtree(t, p, w))
		return -1;
	if (w->n.parent == parent && w->n.side == side)
		return 0;
	struct tnode *a = ancestor_under(t, w, p);
	struct tnode *holder = slot_holder(t, p, side);
	if ((holder && holder != a) || children_reserve(&p->n, 1) < 0)
		return -1;
	detach(t, w);
	attach(t, w, p, side, a ? a->pos : slot_index(t, p, side));
	return 0;
}

/* ---- removal ---- */

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
	struct tnode *l = slot_holder(t, w, 0), *r = slot_holder(t, w, 1);
	if (!l || !r) {
		if (l || r)
			plan_add(moves, max, n, l ? l : r, w->n.parent, w->n.side);
		return;
	}
	struct tnode *s = r, *c;
	while ((c = slot_holder(t, s, 0)))
		s = c;
	if (s != r) {
		struct tnode *sr = slot_holder(t, s, 1);
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
		struct tnode *c = child_at(t, w, i);
		if (c != leaf)
			plan_add(moves, max, n, c, leaf->n.id, c->n.side);
	}
}

long topo_plan_remove(const struct topo *t, int32_t id, struct topo_move *moves, size_t max)
{
	const struct tnode *w = lookup(t, id);
	if (!w)
		return -1;
	size_t n = 0;
	switch (t->kind) {
	case TOPO_LIST:
	case TOPO_TREE:
		/* Each child goes to the grandparent, right before ID (see topo_move), so in the
		 * end they stand where ID stood, in their order. */
		for (size_t i = 0; i < w->n.nchildren; i++)
			plan_add(moves, max, &n, child_at(t, w, i), w->n.parent, 0);
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

void topo_delete(struct topo *t, int32_t id, void (*fn)(struct topo_node *, void *), void *arg)
{
	struct tnode *top = lookup(t, id);
	if (!top)
		return;
	detach(t, top);
	/* Post-order without a stack: go down to the last child until a leaf, free it, and drop it
	 * from its parent's array, which then ends one child earlier. */
	struct tnode *x = top;
	for (;;) {
		while (x->n.nchildren)
			x = child_at(t, x, x->n.nchildren - 1);
		struct tnode *p = x == top ? NULL : parent_of(t, x);
		if (fn)
			fn(&x->n, arg);
		table_del(t, x->n.id);
		t->count--;
		tnode_free(x);
		if (!p)
			return;
		p->n.nchildren--;
		x = p;
	}
}

/* ---- reading ---- */

size_t topo_depth(const struct topo *t, int32_t id)
{
	const struct tnode *x = lookup(t, id);
	size_t d = 0;
	for (; x && x != t->ctl; x = parent_of(t, x))
		d++;
	return d;
}

int32_t topo_link_under(const struct topo *t, int32_t id, int32_t parent)
{
	const struct tnode *p = lookup(t, parent);
	return parent == TOPO_ROOT ? id : p ? p->n.root : TOPO_NONE;
}

size_t topo_path(const struct topo *t, int32_t id, int32_t *path)
{
	size_t d = topo_depth(t, id);
	const struct tnode *x = lookup(t, id);
	for (size_t i = d; i > 0; i--) {
		path[i - 1] = x->n.id;
		x = parent_of(t, x);
	}
	return d;
}

/* Pre-order without a stack: first child, else the next sibling of the nearest node that has
 * one. TOPO_ROOT walks every node. */
void topo_walk(const struct topo *t, int32_t id, void (*fn)(struct topo_node *, void *), void *arg)
{
	struct tnode *top = node_at(t, id);
	if (!top)
		return;
	struct tnode *x = top;
	for (;;) {
		if (x != t->ctl)
			fn(&x->n, arg);
		if (x->n.nchildren) {
			x = child_at(t, x, 0);
			continue;
		}
		for (;;) {
			if (x == top)
				return;
			struct tnode *p = parent_of(t, x);
			if (x->pos + 1 < p->n.nchildren) {
				x = child_at(t, p, x->pos + 1);
				break;
			}
			x = p;
		}
	}
}

static int id_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

void topo_each_sorted(const struct topo *t, void (*fn)(struct topo_node *, void *), void *arg)
{
	size_t n = 0;
	int32_t *ids = malloc((t->count ? t->count : 1) * sizeof *ids);
	if (!ids) {
		/* Short of memory: still in order, by one scan of the table per node. */
		for (int64_t last = -1;;) {
			struct tnode *next = NULL;
			for (size_t i = 0; i <= table_mask(t); i++) {
				struct tnode *w = t->slots[i];
				if (w && w->n.id > last && (!next || w->n.id < next->n.id))
					next = w;
			}
			if (!next)
				return;
			last = next->n.id;
			fn(&next->n, arg);
		}
	}
	for (size_t i = 0; i <= table_mask(t); i++)
		if (t->slots[i])
			ids[n++] = t->slots[i]->n.id;
	qsort(ids, n, sizeof *ids, id_cmp);
	/* fn may take nodes out as it goes. */
	for (size_t i = 0; i < n; i++) {
		struct tnode *w = lookup(t, ids[i]);
		if (w)
			fn(&w->n, arg);
	}
	free(ids);
}
