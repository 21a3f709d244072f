/* topo.c - the control node's model of the tree; where nodes go is in topo_rules.c.
 *
 * Nodes are found by id in an idmap, so lookups are O(1) however the tree is shaped. The control
 * node itself is a pseudo-node (id TOPO_ROOT) whose children are the roots, so that code which
 * walks up or attaches a child needs no special case for it.
 *
 * Every walk is iterative: a list chain can be 100000 deep, far too deep for recursion.
 */
#include "topo.h"
#include "topo_impl.h"

#include <stdlib.h>
#include <string.h>

static const char *const topo_names[] = {
	[TOPO_LIST] = "list",
	[TOPO_TREE] = "tree",
	[TOPO_BST] = "bst",
	[TOPO_BALANCED] = "balanced",
};

/* ---- the id table ---- */

struct tnode *topo_lookup(const struct topo *t, int32_t id)
{
	return idmap_get(&t->nodes, (uint32_t)id);
}

/* The node, or the control node for TOPO_ROOT, or the graveyard for TOPO_DEAD. */
static struct tnode *node_at(const struct topo *t, int32_t id)
{
	return id == TOPO_ROOT ? t->ctl : id == TOPO_DEAD ? t->dead : topo_lookup(t, id);
}

bool topo_is_top(const struct topo *t, const struct tnode *x)
{
	return x == t->ctl || x == t->dead;
}

struct tnode *topo_parent_of(const struct topo *t, const struct tnode *w)
{
	return node_at(t, w->n.parent);
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

struct tnode *topo_child_at(const struct topo *t, const struct tnode *p, size_t i)
{
	return topo_lookup(t, p->n.children[i]);
}

static void children_renumber(const struct topo *t, struct tnode *p, size_t from)
{
	for (size_t i = from; i < p->n.nchildren; i++)
		topo_child_at(t, p, i)->pos = i;
}

/* Adds delta to the size of p and of everything above it. */
static void sizes_add(const struct topo *t, struct tnode *p, ptrdiff_t delta)
{
	for (;;) {
		p->n.size = (size_t)((ptrdiff_t)p->n.size + delta);
		if (topo_is_top(t, p))
			return;
		p = topo_parent_of(t, p);
	}
}

static void detach(struct topo *t, struct tnode *w)
{
	struct tnode *p = topo_parent_of(t, w);
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
	if (p == t->dead)
		return 0;
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
struct tnode *topo_slot_holder(const struct topo *t, const struct tnode *p, int side)
{
	if (slots_of(t, p) == 0)
		return NULL;
	for (size_t i = 0; i < p->n.nchildren; i++) {
		struct tnode *c = topo_child_at(t, p, i);
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
	while (i > 0 && topo_child_at(t, p, i - 1)->n.side > side)
		i--;
	return i;
}

/* Whether x is root or below it. */
static bool in_subtree(const struct topo *t, const struct tnode *x, const struct tnode *root)
{
	for (; !topo_is_top(t, x); x = topo_parent_of(t, x))
		if (x == root)
			return true;
	return x == root;
}

/* The child of p that w is (strictly) below, or NULL. */
static struct tnode *ancestor_under(const struct topo *t, const struct tnode *w,
				    const struct tnode *p)
{
	for (struct tnode *x = topo_parent_of(t, w); !topo_is_top(t, x); x = topo_parent_of(t, x))
		if (x->n.parent == p->n.id)
			return x;
	return NULL;
}

/* ---- life cycle ---- */

struct topo *topo_new(enum topo_kind kind)
{
	struct topo *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->kind = kind;
	t->ctl = calloc(1, sizeof *t->ctl);
	t->dead = calloc(1, sizeof *t->dead);
	if (!t->ctl || !t->dead || idmap_init(&t->nodes) < 0) {
		free(t->ctl);
		free(t->dead);
		free(t);
		return NULL;
	}
	t->ctl->n.id = TOPO_ROOT;
	t->ctl->n.parent = TOPO_NONE;
	t->ctl->n.state = NODE_UP;
	t->ctl->n.size = 1;
	t->dead->n.id = TOPO_DEAD;
	t->dead->n.parent = TOPO_NONE;
	t->dead->n.root = TOPO_NONE;
	t->dead->n.state = NODE_LOST;
	t->dead->n.size = 1;
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
	for (size_t i = 0; i < idmap_slots(&t->nodes); i++)
		if (idmap_at(&t->nodes, i))
			tnode_free(idmap_at(&t->nodes, i));
	tnode_free(t->ctl);
	tnode_free(t->dead);
	idmap_free(&t->nodes);
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
	struct tnode *w = topo_lookup(t, id);
	return w ? &w->n : NULL;
}

size_t topo_count(const struct topo *t)
{
	return t->nodes.count;
}

const int32_t *topo_roots(const struct topo *t, size_t *n)
{
	*n = t->ctl->n.nchildren;
	return t->ctl->n.children;
}

const int32_t *topo_buried(const struct topo *t, size_t *n)
{
	*n = t->dead->n.nchildren;
	return t->dead->n.children;
}

int topo_bury(struct topo *t, int32_t id)
{
	struct tnode *w = topo_lookup(t, id);
	if (!w || w->n.nchildren || w->n.state != NODE_LOST)
		return -1;
	return topo_move(t, id, TOPO_DEAD, 0);
}

/* ---- placement ---- */

struct topo_node *topo_add(struct topo *t, int32_t id, const struct topo_place *p)
{
	struct tnode *par = node_at(t, p->parent);
	if (id < 0 || topo_lookup(t, id) || !par || !side_ok(t, par, p->side))
		return NULL;
	struct tnode *adopt = NULL;
	if (p->adopt != TOPO_NONE) {
		adopt = topo_lookup(t, p->adopt);
		if (!adopt || adopt->n.parent != par->n.id)
			return NULL;
	}
	struct tnode *holder = topo_slot_holder(t, par, p->side);
	if (holder && holder != adopt)
		return NULL;

	/* Every allocation first, so that running out of memory changes nothing. */
	if (children_reserve(&par->n, 1) < 0)
		return NULL;
	struct tnode *w = calloc(1, sizeof *w);
	if (!w || (adopt && children_reserve(&w->n, 1) < 0) ||
	    idmap_put(&t->nodes, (uint32_t)id, w) < 0) {
		free(w ? w->n.children : NULL);
		free(w);
		return NULL;
	}
	w->n.id = id;
	w->n.state = NODE_PENDING;
	w->n.size = 1;
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
	struct tnode *w = topo_lookup(t, id);
	struct tnode *p = node_at(t, parent);
	if (!w || !p || !side_ok(t, p, side) || in_subtree(t, p, w))
		return -1;
	if (w->n.parent == parent && w->n.side == side)
		return 0;
	struct tnode *a = ancestor_under(t, w, p);
	struct tnode *holder = topo_slot_holder(t, p, side);
	if ((holder && holder != a) || children_reserve(&p->n, 1) < 0)
		return -1;
	detach(t, w);
	attach(t, w, p, side, a ? a->pos : slot_index(t, p, side));
	return 0;
}

/* ---- removal ---- */

void topo_delete(struct topo *t, int32_t id, void (*fn)(struct topo_node *, void *), void *arg)
{
	struct tnode *top = topo_lookup(t, id);
	if (!top)
		return;
	detach(t, top);
	/* Post-order without a stack: go down to the last child until a leaf, free it, and drop it
	 * from its parent's array, which then ends one child earlier. */
	struct tnode *x = top;
	for (;;) {
		while (x->n.nchildren)
			x = topo_child_at(t, x, x->n.nchildren - 1);
		struct tnode *p = x == top ? NULL : topo_parent_of(t, x);
		if (fn)
			fn(&x->n, arg);
		idmap_del(&t->nodes, (uint32_t)x->n.id);
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
	const struct tnode *x = topo_lookup(t, id);
	size_t d = 0;
	for (; x && !topo_is_top(t, x); x = topo_parent_of(t, x))
		d++;
	return x == t->ctl ? d : 0;	/* a buried node has no path */
}

int32_t topo_link_under(const struct topo *t, int32_t id, int32_t parent)
{
	const struct tnode *p = topo_lookup(t, parent);
	return parent == TOPO_ROOT ? id : p ? p->n.root : TOPO_NONE;
}

size_t topo_path(const struct topo *t, int32_t id, int32_t *path)
{
	size_t d = topo_depth(t, id);
	const struct tnode *x = topo_lookup(t, id);
	for (size_t i = d; i > 0; i--) {
		path[i - 1] = x->n.id;
		x = topo_parent_of(t, x);
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
			x = topo_child_at(t, x, 0);
			continue;
		}
		for (;;) {
			if (x == top)
				return;
			struct tnode *p = topo_parent_of(t, x);
			if (x->pos + 1 < p->n.nchildren) {
				x = topo_child_at(t, p, x->pos + 1);
				break;
			}
			x = p;
		}
	}
}

void topo_each_sorted(const struct topo *t, void (*fn)(struct topo_node *, void *), void *arg)
{
	size_t n = 0;
	int32_t *ids = malloc((t->nodes.count ? t->nodes.count : 1) * sizeof *ids);
	if (!ids) {
		/* Short of memory: still in order, by one scan of the table per node. */
		for (int64_t last = -1;;) {
			struct tnode *next = NULL;
			for (size_t i = 0; i < idmap_slots(&t->nodes); i++) {
				struct tnode *w = idmap_at(&t->nodes, i);
				if (w && w->n.id > last && (!next || w->n.id < next->n.id))
					next = w;
			}
			if (!next)
				return;
			last = next->n.id;
			fn(&next->n, arg);
		}
	}
	for (size_t i = 0; i < idmap_slots(&t->nodes); i++) {
		struct tnode *w = idmap_at(&t->nodes, i);
		if (w)
			ids[n++] = w->n.id;
	}
	qsort(ids, n, sizeof *ids, idmap_cmp_i32);
	/* fn may take nodes out as it goes. */
	for (size_t i = 0; i < n; i++) {
		struct tnode *w = topo_lookup(t, ids[i]);
		if (w)
			fn(&w->n, arg);
	}
	free(ids);
}
