/* test_topo.c - placement and removal in every topology, as pure functions over the model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "topo.h"

/* ---- helpers ---- */

static struct topo_node *add(struct topo *t, int32_t id, int64_t parent_arg)
{
	struct topo_place p;
	const char *err = NULL;
	if (topo_place(t, id, parent_arg, &p, &err) < 0)
		fail_msg("create %d %lld: %s", id, (long long)parent_arg, err);
	struct topo_node *n = topo_add(t, id, &p);
	assert_non_null(n);
	assert_int_equal(n->id, id);
	assert_int_equal(n->state, NODE_PENDING);
	assert_int_equal(n->pid, 0);
	assert_string_equal(n->endpoint, "");
	return n;
}

static void expect_place(struct topo *t, int32_t id, int64_t parent_arg, int32_t parent,
			 int side, int32_t adopt)
{
	struct topo_place p;
	const char *err = "unset";
	assert_int_equal(topo_place(t, id, parent_arg, &p, &err), 0);
	assert_int_equal(p.parent, parent);
	assert_int_equal(p.side, side);
	assert_int_equal(p.adopt, adopt);
	assert_non_null(topo_add(t, id, &p));
}

static void expect_error(const struct topo *t, int32_t id, int64_t parent_arg, const char *why)
{
	struct topo_place p;
	const char *err = NULL;
	assert_int_equal(topo_place(t, id, parent_arg, &p, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, why);
}

static void set_state(struct topo *t, int32_t id, enum node_state s)
{
	struct topo_node *n = topo_get(t, id);
	assert_non_null(n);
	n->state = s;
}

static void expect_children(const struct topo *t, int32_t id, const int32_t *want, size_t nwant)
{
	const int32_t *got;
	size_t n;
	if (id == TOPO_ROOT) {
		got = topo_roots(t, &n);
	} else {
		struct topo_node *node = topo_get(t, id);
		assert_non_null(node);
		got = node->children;
		n = node->nchildren;
	}
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

/* The child in slot side, or TOPO_NONE. */
static int32_t child_side(const struct topo *t, int32_t id, int side)
{
	struct topo_node *n = topo_get(t, id);
	assert_non_null(n);
	for (size_t i = 0; i < n->nchildren; i++)
		if (topo_get(t, n->children[i])->side == side)
			return n->children[i];
	return TOPO_NONE;
}

static void expect_at(const struct topo *t, int32_t id, int32_t parent, int side, size_t size)
{
	struct topo_node *n = topo_get(t, id);
	assert_non_null(n);
	assert_int_equal(n->parent, parent);
	assert_int_equal(n->side, side);
	assert_int_equal(n->size, size);
}

struct check {
	const struct topo *t;
	size_t seen;
};

/* Local invariants of one node: children point back, sizes add up, shape fits the topology. */
static void check_node(struct topo_node *n, void *arg)
{
	struct check *c = arg;
	enum topo_kind k = topo_get_kind(c->t);
	size_t size = 1;
	c->seen++;
	for (size_t i = 0; i < n->nchildren; i++) {
		struct topo_node *ch = topo_get(c->t, n->children[i]);
		assert_non_null(ch);
		assert_int_equal(ch->parent, n->id);
		size += ch->size;
		if (k == TOPO_BST || k == TOPO_BALANCED) {
			assert_true(ch->side == 0 || ch->side == 1);
			if (i > 0)
				assert_true(ch->side > topo_get(c->t, n->children[i - 1])->side);
		} else {
			assert_int_equal(ch->side, 0);
		}
	}
	assert_int_equal(n->size, size);
	if (k == TOPO_LIST)
		assert_true(n->nchildren <= 1);
	/* The link its messages come by, the depth-1 node above it, after every move: by
	 * induction over the walk, its parent's. */
	int32_t up = n->parent == TOPO_ROOT ? n->id : topo_get(c->t, n->parent)->root;
	assert_int_equal(n->root, up);
	assert_int_equal(topo_link_under(c->t, -5, n->id), up);
}

static void check_model(const struct topo *t)
{
	struct check c = { t, 0 };
	size_t nroots;
	const int32_t *roots = topo_roots(t, &nroots);
	for (size_t i = 0; i < nroots; i++)
		assert_int_equal(topo_get(t, roots[i])->parent, TOPO_ROOT);
	if (topo_get_kind(t) == TOPO_BST || topo_get_kind(t) == TOPO_BALANCED) {
		assert_true(nroots <= 1);
		if (nroots)
			assert_int_equal(topo_get(t, roots[0])->side, 0);
	}
	topo_walk(t, TOPO_ROOT, check_node, &c);
	assert_int_equal(c.seen, topo_count(t));
}

/* Plans the removal of id, checks the moves against want (NULL: do not check), applies them in
 * order as the control node does, and deletes id, which by then must have no children. */
static void remove_node(struct topo *t, int32_t id, const struct topo_move *want, long nwant)
{
	struct topo_move moves[16];
	long n = topo_plan_remove(t, id, moves, 16);
	assert_true(n >= 0 && n <= 16);
	if (want) {
		assert_int_equal(n, nwant);
		for (long i = 0; i < n; i++) {
			assert_int_equal(moves[i].id, want[i].id);
			assert_int_equal(moves[i].parent, want[i].parent);
			assert_int_equal(moves[i].side, want[i].side);
		}
	}
	for (long i = 0; i < n; i++)
		assert_int_equal(topo_move(t, moves[i].id, moves[i].parent, moves[i].side), 0);
	assert_int_equal(topo_get(t, id)->nchildren, 0);
	size_t before = topo_count(t);
	topo_delete(t, id, NULL, NULL);
	assert_null(topo_get(t, id));
	assert_int_equal(topo_count(t), before - 1);
	check_model(t);
}

static void inorder(const struct topo *t, int32_t id, int32_t *out, size_t *n)
{
	if (id == TOPO_NONE)
		return;
	inorder(t, child_side(t, id, 0), out, n);
	out[(*n)++] = id;
	inorder(t, child_side(t, id, 1), out, n);
}

static void expect_inorder(const struct topo *t, const int32_t *want, size_t nwant)
{
	int32_t got[64];
	size_t n = 0, nroots;
	const int32_t *roots = topo_roots(t, &nroots);
	if (nroots)
		inorder(t, roots[0], got, &n);
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- kinds ---- */

static void test_kind_names(void **state)
{
	(void)state;
	const char *names[] = { "list", "tree", "bst", "balanced" };
	for (size_t i = 0; i < 4; i++) {
		enum topo_kind k;
		assert_int_equal(topo_kind_parse(names[i], &k), 0);
		assert_string_equal(topo_kind_name(k), names[i]);
		struct topo *t = topo_new(k);
		assert_int_equal(topo_get_kind(t), k);
		topo_destroy(&t);
		assert_null(t);
	}
	enum topo_kind k = TOPO_TREE;
	assert_int_equal(topo_kind_parse("Tree", &k), -1);
	assert_int_equal(topo_kind_parse("", &k), -1);
	assert_int_equal(k, TOPO_TREE);
}

/* ---- tree ---- */

static void test_tree_place(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_TREE);
	expect_place(t, 1, TOPO_ROOT, TOPO_ROOT, 0, TOPO_NONE);
	expect_place(t, 2, 1, 1, 0, TOPO_NONE);
	expect_place(t, 3, 1, 1, 0, TOPO_NONE);
	expect_place(t, 4, 2, 2, 0, TOPO_NONE);
	expect_place(t, 5, TOPO_ROOT, TOPO_ROOT, 0, TOPO_NONE);
	expect_children(t, TOPO_ROOT, (int32_t[]){ 1, 5 }, 2);
	expect_children(t, 1, (int32_t[]){ 2, 3 }, 2);
	expect_at(t, 1, TOPO_ROOT, 0, 4);
	expect_at(t, 4, 2, 0, 1);
	assert_int_equal(topo_count(t), 5);

	/* A pending node is present, and an existing id wins over a bad parent. */
	expect_error(t, 4, 999, "Already exists");
	expect_error(t, 1, TOPO_ROOT, "Already exists");
	expect_error(t, 9, 999, "Parent not found");
	expect_error(t, 9, -5, "Parent not found");
	expect_error(t, 9, (int64_t)1 << 40, "Parent not found");
	expect_error(t, -3, 1, "Invalid id");

	/* LOST on the parent itself or anywhere above it. */
	set_state(t, 2, NODE_LOST);
	expect_error(t, 9, 2, "Parent is unavailable");
	expect_error(t, 9, 4, "Parent is unavailable");
	expect_place(t, 9, 3, 3, 0, TOPO_NONE);
	set_state(t, 1, NODE_LOST);
	expect_error(t, 10, 9, "Parent is unavailable");
	expect_place(t, 10, 5, 5, 0, TOPO_NONE);
	expect_place(t, 11, TOPO_ROOT, TOPO_ROOT, 0, TOPO_NONE);
	check_model(t);

	/* topo_add refuses a place that is not one. */
	struct topo_place p = { .parent = 777, .side = 0, .adopt = TOPO_NONE };
	assert_null(topo_add(t, 50, &p));
	p.parent = 1;
	assert_null(topo_add(t, 2, &p));
	p.side = 1;
	assert_null(topo_add(t, 50, &p));
	assert_int_equal(topo_count(t), 8);
	topo_destroy(&t);
}

static void test_tree_remove(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_TREE);
	add(t, 1, TOPO_ROOT);
	add(t, 2, 1);
	add(t, 3, 1);
	add(t, 4, 1);
	add(t, 5, 2);
	add(t, 6, 2);
	add(t, 7, 5);
	add(t, 10, TOPO_ROOT);

	/* Children go to the grandparent and stand where the removed node stood. */
	remove_node(t, 2, (struct topo_move[]){ { 5, 1, 0 }, { 6, 1, 0 } }, 2);
	expect_children(t, 1, (int32_t[]){ 5, 6, 3, 4 }, 4);
	expect_at(t, 1, TOPO_ROOT, 0, 6);
	expect_at(t, 5, 1, 0, 2);
	expect_children(t, 5, (int32_t[]){ 7 }, 1);

	remove_node(t, 1, (struct topo_move[]){ { 5, TOPO_ROOT, 0 }, { 6, TOPO_ROOT, 0 },
						{ 3, TOPO_ROOT, 0 }, { 4, TOPO_ROOT, 0 } }, 4);
	expect_children(t, TOPO_ROOT, (int32_t[]){ 5, 6, 3, 4, 10 }, 5);

	remove_node(t, 7, NULL, 0);
	assert_int_equal(topo_plan_remove(t, 7, NULL, 0), -1);
	assert_int_equal(topo_plan_remove(t, 6, NULL, 0), 0);
	topo_destroy(&t);
}

/* ---- list ---- */

static void test_list_place(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_LIST);
	expect_place(t, 1, TOPO_ROOT, TOPO_ROOT, 0, TOPO_NONE);
	expect_place(t, 2, 1, 1, 0, TOPO_NONE);
	expect_place(t, 3, 2, 2, 0, TOPO_NONE);
	/* In the middle of the chain: 1 -> 10 -> 2 -> 3. */
	expect_place(t, 10, 1, 1, 0, 2);
	expect_children(t, 1, (int32_t[]){ 10 }, 1);
	expect_children(t, 10, (int32_t[]){ 2 }, 1);
	expect_children(t, 2, (int32_t[]){ 3 }, 1);
	expect_at(t, 1, TOPO_ROOT, 0, 4);
	expect_at(t, 10, 1, 0, 3);
	expect_at(t, 2, 10, 0, 2);
	int32_t path[8];
	assert_int_equal(topo_path(t, 3, path), 4);
	assert_memory_equal(path, ((int32_t[]){ 1, 10, 2, 3 }), 4 * sizeof(int32_t));

	/* A new chain, and the tail. */
	expect_place(t, 20, TOPO_ROOT, TOPO_ROOT, 0, TOPO_NONE);
	expect_children(t, TOPO_ROOT, (int32_t[]){ 1, 20 }, 2);
	expect_place(t, 30, 3, 3, 0, TOPO_NONE);
	expect_place(t, 21, 20, 20, 0, TOPO_NONE);

	expect_error(t, 10, 20, "Already exists");
	expect_error(t, 99, 77, "Parent not found");
	set_state(t, 10, NODE_LOST);
	expect_error(t, 40, 3, "Parent is unavailable");
	expect_error(t, 40, 10, "Parent is unavailable");
	/* A LOST successor is adopted all the same: it stays LOST below the new node. */
	expect_place(t, 40, 1, 1, 0, 10);
	expect_at(t, 1, TOPO_ROOT, 0, 6);
	expect_at(t, 40, 1, 0, 5);
	check_model(t);

	/* topo_add: the adopted node must be the parent's child. */
	struct topo_place p = { .parent = 1, .side = 0, .adopt = 3 };
	assert_null(topo_add(t, 50, &p));
	p.adopt = TOPO_NONE;
	assert_null(topo_add(t, 50, &p)); /* 1's only slot is taken */
	topo_destroy(&t);
}

static void test_list_remove(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_LIST);
	add(t, 1, TOPO_ROOT);
	add(t, 2, 1);
	add(t, 3, 2);
	add(t, 4, 3);
	add(t, 20, TOPO_ROOT);

	remove_node(t, 2, (struct topo_move[]){ { 3, 1, 0 } }, 1);
	expect_children(t, 1, (int32_t[]){ 3 }, 1);
	expect_at(t, 3, 1, 0, 2);
	/* The head: its successor heads the chain, in the same place among the chains. */
	remove_node(t, 1, (struct topo_move[]){ { 3, TOPO_ROOT, 0 } }, 1);
	expect_children(t, TOPO_ROOT, (int32_t[]){ 3, 20 }, 2);
	remove_node(t, 4, NULL, 0); /* the tail */
	assert_int_equal(topo_plan_remove(t, 3, NULL, 0), 0);
	remove_node(t, 3, NULL, 0);
	expect_children(t, TOPO_ROOT, (int32_t[]){ 20 }, 1);
	topo_destroy(&t);
}

/* ---- bst ---- */

static void test_bst_place(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_BST);
	/* PARENT is ignored, whatever it is. */
	expect_place(t, 50, 12345, TOPO_ROOT, 0, TOPO_NONE);
	expect_place(t, 30, TOPO_ROOT, 50, 0, TOPO_NONE);
	expect_place(t, 70, 30, 50, 1, TOPO_NONE);
	expect_place(t, 20, TOPO_ROOT, 30, 0, TOPO_NONE);
	expect_place(t, 40, TOPO_ROOT, 30, 1, TOPO_NONE);
	expect_place(t, 60, TOPO_ROOT, 70, 0, TOPO_NONE);
	expect_place(t, 80, TOPO_ROOT, 70, 1, TOPO_NONE);
	expect_place(t, 35, TOPO_ROOT, 40, 0, TOPO_NONE);
	expect_children(t, 50, (int32_t[]){ 30, 70 }, 2);
	expect_at(t, 50, TOPO_ROOT, 0, 8);
	expect_at(t, 30, 50, 0, 4);
	expect_inorder(t, (int32_t[]){ 20, 30, 35, 40, 50, 60, 70, 80 }, 8);
	expect_error(t, 35, TOPO_ROOT, "Already exists");

	/* The right child goes after the left even when inserted first. */
	expect_place(t, 90, TOPO_ROOT, 80, 1, TOPO_NONE);
	expect_place(t, 75, TOPO_ROOT, 80, 0, TOPO_NONE);
	expect_children(t, 80, (int32_t[]){ 75, 90 }, 2);

	set_state(t, 40, NODE_LOST);
	expect_error(t, 45, TOPO_ROOT, "Parent is unavailable"); /* the parent itself */
	expect_error(t, 38, TOPO_ROOT, "Parent is unavailable"); /* below it */
	expect_place(t, 25, TOPO_ROOT, 20, 1, TOPO_NONE);
	set_state(t, 30, NODE_LOST);
	expect_error(t, 22, TOPO_ROOT, "Parent is unavailable");
	expect_place(t, 65, TOPO_ROOT, 60, 1, TOPO_NONE);
	set_state(t, 50, NODE_LOST);
	expect_error(t, 100, TOPO_ROOT, "Parent is unavailable");
	check_model(t);
	topo_destroy(&t);
}

static void test_bst_remove(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_BST);
	const int32_t keys[] = { 50, 30, 70, 20, 40, 60, 80, 65, 62, 68, 45 };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		add(t, keys[i], TOPO_ROOT);
	expect_inorder(t, (int32_t[]){ 20, 30, 40, 45, 50, 60, 62, 65, 68, 70, 80 }, 11);

	/* Two children, the successor (60) is not the right child (70) and has a right child. */
	struct topo_move m[16];
	assert_int_equal(topo_plan_remove(t, 50, m, 1), 4); /* counts what did not fit */
	assert_int_equal(m[0].id, 65);
	remove_node(t, 50, (struct topo_move[]){ { 65, 70, 0 }, { 60, TOPO_ROOT, 0 },
						 { 30, 60, 0 }, { 70, 60, 1 } }, 4);
	expect_inorder(t, (int32_t[]){ 20, 30, 40, 45, 60, 62, 65, 68, 70, 80 }, 10);
	expect_at(t, 60, TOPO_ROOT, 0, 10);
	expect_at(t, 65, 70, 0, 3);
	expect_at(t, 70, 60, 1, 5);

	/* Two children, the successor (40) is the right child. */
	remove_node(t, 30, (struct topo_move[]){ { 40, 60, 0 }, { 20, 40, 0 } }, 2);
	expect_inorder(t, (int32_t[]){ 20, 40, 45, 60, 62, 65, 68, 70, 80 }, 9);
	expect_at(t, 40, 60, 0, 3);
	expect_children(t, 40, (int32_t[]){ 20, 45 }, 2);

	/* A leaf, then one child each side. */
	remove_node(t, 45, NULL, 0);
	remove_node(t, 40, (struct topo_move[]){ { 20, 60, 0 } }, 1);
	remove_node(t, 80, NULL, 0);
	remove_node(t, 70, (struct topo_move[]){ { 65, 60, 1 } }, 1);
	expect_inorder(t, (int32_t[]){ 20, 60, 62, 65, 68 }, 5);
	add(t, 80, TOPO_ROOT);
	add(t, 64, TOPO_ROOT);
	expect_at(t, 64, 62, 1, 1);

	/* The successor (62) is not the right child and has no right child... but it has 64. */
	remove_node(t, 60, (struct topo_move[]){ { 64, 65, 0 }, { 62, TOPO_ROOT, 0 },
						 { 20, 62, 0 }, { 65, 62, 1 } }, 4);
	expect_inorder(t, (int32_t[]){ 20, 62, 64, 65, 68, 80 }, 6);
	/* ...and now one without: 64 is the leftmost below 65. */
	remove_node(t, 62, (struct topo_move[]){ { 64, TOPO_ROOT, 0 }, { 20, 64, 0 },
						 { 65, 64, 1 } }, 3);
	expect_inorder(t, (int32_t[]){ 20, 64, 65, 68, 80 }, 5);
	/* The root with one child. */
	remove_node(t, 20, NULL, 0);
	remove_node(t, 64, (struct topo_move[]){ { 65, TOPO_ROOT, 0 } }, 1);
	expect_inorder(t, (int32_t[]){ 65, 68, 80 }, 3);
	topo_destroy(&t);
}

/* Random deletions keep a valid BST. */
static void test_bst_remove_random(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_BST);
	int32_t ids[40];
	uint32_t r = 12345;
	size_t n = 0;
	while (n < 40) {
		r = r * 1103515245u + 12345u;
		int32_t id = (int32_t)((r >> 8) % 1000);
		if (topo_get(t, id))
			continue;
		add(t, id, TOPO_ROOT);
		ids[n++] = id;
	}
	while (n) {
		r = r * 1103515245u + 12345u;
		size_t k = (r >> 8) % n;
		remove_node(t, ids[k], NULL, 0);
		ids[k] = ids[--n];
		int32_t got[64] = { 0 };
		size_t m = 0, nroots;
		const int32_t *roots = topo_roots(t, &nroots);
		if (nroots)
			inorder(t, roots[0], got, &m);
		assert_int_equal(m, n);
		for (size_t i = 1; i < m; i++)
			assert_true(got[i - 1] < got[i]);
	}
	topo_destroy(&t);
}

/* ---- balanced ---- */

static void test_balanced_place(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_BALANCED);
	/* parent, side for ids 1..15: free slot first, then the smaller subtree, left on a tie. */
	const int32_t want[15][2] = {
		{ TOPO_ROOT, 0 }, { 1, 0 }, { 1, 1 }, { 2, 0 }, { 3, 0 }, { 2, 1 }, { 3, 1 },
		{ 4, 0 }, { 5, 0 }, { 6, 0 }, { 7, 0 }, { 4, 1 }, { 5, 1 }, { 6, 1 }, { 7, 1 },
	};
	for (int32_t id = 1; id <= 15; id++)
		expect_place(t, id, 99, want[id - 1][0], want[id - 1][1], TOPO_NONE);
	expect_at(t, 1, TOPO_ROOT, 0, 15);
	expect_at(t, 2, 1, 0, 7);
	expect_at(t, 3, 1, 1, 7);
	expect_at(t, 5, 3, 0, 3);
	expect_error(t, 7, TOPO_ROOT, "Already exists");
	check_model(t);
	topo_destroy(&t);
}

static void test_balanced_lost(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_BALANCED);
	for (int32_t id = 1; id <= 7; id++)
		add(t, id, TOPO_ROOT);
	/* A LOST child is skipped even though its subtree is the smaller one. */
	set_state(t, 2, NODE_LOST);
	expect_place(t, 8, TOPO_ROOT, 5, 0, TOPO_NONE);
	expect_place(t, 9, TOPO_ROOT, 7, 0, TOPO_NONE);
	expect_place(t, 10, TOPO_ROOT, 5, 1, TOPO_NONE);
	expect_place(t, 11, TOPO_ROOT, 7, 1, TOPO_NONE);
	set_state(t, 3, NODE_LOST);
	expect_error(t, 12, TOPO_ROOT, "Parent is unavailable");
	set_state(t, 3, NODE_UP);
	set_state(t, 1, NODE_LOST);
	expect_error(t, 12, TOPO_ROOT, "Parent is unavailable");
	/* A LOST node's free slot is no use either. */
	set_state(t, 1, NODE_UP);
	set_state(t, 3, NODE_LOST);
	set_state(t, 2, NODE_UP);
	expect_place(t, 12, TOPO_ROOT, 4, 0, TOPO_NONE);
	topo_destroy(&t);

	/* The preferred subtree (2, on a tie) has only LOST children below a live node: the
	 * search backs up and takes the other subtree instead of failing. */
	t = topo_new(TOPO_BALANCED);
	for (int32_t id = 1; id <= 7; id++)
		add(t, id, TOPO_ROOT);
	set_state(t, 4, NODE_LOST);
	set_state(t, 6, NODE_LOST);
	expect_place(t, 8, TOPO_ROOT, 5, 0, TOPO_NONE);
	expect_place(t, 9, TOPO_ROOT, 7, 0, TOPO_NONE);
	set_state(t, 5, NODE_LOST);
	set_state(t, 7, NODE_LOST);
	expect_error(t, 10, TOPO_ROOT, "Parent is unavailable");
	topo_destroy(&t);
}

static void test_balanced_remove(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_BALANCED);
	for (int32_t id = 1; id <= 15; id++)
		add(t, id, TOPO_ROOT);
	/* Inner node: 2's subtrees 4 and 6 tie, so the right one; then 14. */
	remove_node(t, 2, (struct topo_move[]){ { 14, 1, 0 }, { 4, 14, 0 }, { 6, 14, 1 } }, 3);
	expect_at(t, 14, 1, 0, 6);
	expect_at(t, 6, 14, 1, 2);
	/* The root: 3 (7 nodes) beats 14 (6), then 7 beats 5 on the tie, then 15 beats 11. */
	remove_node(t, 1, (struct topo_move[]){ { 15, TOPO_ROOT, 0 }, { 14, 15, 0 },
						{ 3, 15, 1 } }, 3);
	expect_at(t, 15, TOPO_ROOT, 0, 13);
	expect_at(t, 3, 15, 1, 6);
	/* A leaf; a node with two leaves; a node whose only child is a leaf. */
	remove_node(t, 11, NULL, 0);
	remove_node(t, 5, (struct topo_move[]){ { 13, 3, 0 }, { 9, 13, 0 } }, 2);
	remove_node(t, 13, (struct topo_move[]){ { 9, 3, 0 } }, 1);
	expect_at(t, 3, 15, 1, 3);
	topo_destroy(&t);
}

static void test_balanced_remove_choice(void **state)
{
	(void)state;
	/* 6 nodes: 1 has 2 (4, 6) and 3 (5). The leaf comes from the bigger side, 2, and on its
	 * tie from the right: 6, not 5, which would leave 2 with 3 nodes against 1. */
	struct topo *t = topo_new(TOPO_BALANCED);
	for (int32_t id = 1; id <= 6; id++)
		add(t, id, TOPO_ROOT);
	remove_node(t, 1, (struct topo_move[]){ { 6, TOPO_ROOT, 0 }, { 2, 6, 0 }, { 3, 6, 1 } },
		    3);
	expect_at(t, 2, 6, 0, 2);
	expect_at(t, 3, 6, 1, 2);
	expect_place(t, 7, TOPO_ROOT, 2, 1, TOPO_NONE);
	/* A node with one child, which is a leaf. */
	remove_node(t, 3, (struct topo_move[]){ { 5, 6, 1 } }, 1);
	topo_destroy(&t);

	/* A LOST subtree is avoided when a live leaf exists. */
	t = topo_new(TOPO_BALANCED);
	for (int32_t id = 1; id <= 7; id++)
		add(t, id, TOPO_ROOT);
	set_state(t, 3, NODE_LOST);
	set_state(t, 5, NODE_LOST);
	set_state(t, 7, NODE_LOST);
	remove_node(t, 1, (struct topo_move[]){ { 6, TOPO_ROOT, 0 }, { 2, 6, 0 }, { 3, 6, 1 } },
		    3);
	/* All LOST: a leaf is still named; the caller finds it unavailable. */
	struct topo_move m[4];
	assert_int_equal(topo_plan_remove(t, 3, m, 4), 2);
	assert_int_equal(m[0].id, 7);
	topo_destroy(&t);
}

/* ---- moves ---- */

static void test_move_rules(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_BST);
	const int32_t keys[] = { 50, 30, 70, 20, 40 };
	for (size_t i = 0; i < 5; i++)
		add(t, keys[i], TOPO_ROOT);
	assert_int_equal(topo_move(t, 30, 20, 0), -1);	      /* under its own child */
	assert_int_equal(topo_move(t, 30, 30, 0), -1);	      /* under itself */
	assert_int_equal(topo_move(t, 50, 40, 1), -1);	      /* the root below itself */
	assert_int_equal(topo_move(t, 20, 50, 1), -1);	      /* 70 holds it */
	assert_int_equal(topo_move(t, 20, 70, 2), -1);	      /* no such side */
	assert_int_equal(topo_move(t, 20, 999, 0), -1);
	assert_int_equal(topo_move(t, 999, 70, 0), -1);
	/* A node may take the slot of one of its ancestors, as it does when that one is being
	 * removed: it goes right before it, and no other node may take the slot then. */
	assert_int_equal(topo_move(t, 20, TOPO_ROOT, 0), 0);
	expect_children(t, TOPO_ROOT, (int32_t[]){ 20, 50 }, 2);
	expect_at(t, 50, TOPO_ROOT, 0, 4);
	assert_int_equal(topo_move(t, 40, TOPO_ROOT, 0), -1);
	assert_int_equal(topo_move(t, 20, 30, 0), 0);
	assert_int_equal(topo_move(t, 20, 70, 0), 0);
	expect_at(t, 20, 70, 0, 1);
	expect_at(t, 30, 50, 0, 2);
	expect_at(t, 70, 50, 1, 2);
	expect_at(t, 50, TOPO_ROOT, 0, 5);
	assert_int_equal(topo_move(t, 20, 70, 0), 0); /* where it is already */
	check_model(t);
	topo_destroy(&t);

	t = topo_new(TOPO_TREE);
	add(t, 1, TOPO_ROOT);
	add(t, 2, 1);
	add(t, 3, 2);
	add(t, 4, 1);
	assert_int_equal(topo_move(t, 3, 4, 1), -1); /* tree children are side 0 */
	assert_int_equal(topo_move(t, 2, 4, 0), 0);
	expect_at(t, 4, 1, 0, 3);
	assert_int_equal(topo_depth(t, 3), 4);
	assert_int_equal(topo_move(t, 4, 3, 0), -1);
	assert_int_equal(topo_move(t, 4, TOPO_ROOT, 0), 0);
	expect_children(t, TOPO_ROOT, (int32_t[]){ 4, 1 }, 2);
	expect_at(t, 1, TOPO_ROOT, 0, 1);
	check_model(t);
	topo_destroy(&t);
}

/* ---- reading ---- */

static void test_path_depth(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_TREE);
	add(t, 1, TOPO_ROOT);
	add(t, 2, 1);
	add(t, 3, 2);
	add(t, 4, TOPO_ROOT);
	int32_t path[4] = { 0 };
	assert_int_equal(topo_depth(t, 3), 3);
	assert_int_equal(topo_path(t, 3, path), 3);
	assert_memory_equal(path, ((int32_t[]){ 1, 2, 3 }), 3 * sizeof(int32_t));
	assert_int_equal(topo_path(t, 4, path), 1);
	assert_int_equal(path[0], 4);
	assert_int_equal(topo_depth(t, 1), 1);
	assert_int_equal(topo_depth(t, 99), 0);
	assert_int_equal(topo_path(t, 99, path), 0);
	assert_int_equal(topo_depth(t, TOPO_ROOT), 0);
	assert_null(topo_get(t, TOPO_ROOT));
	topo_destroy(&t);
}

struct record {
	const struct topo *t;
	int32_t ids[32];
	size_t n;
};

static void record(struct topo_node *n, void *arg)
{
	struct record *r = arg;
	r->ids[r->n++] = n->id;
}

/* Children are already gone; the parent is still there. */
static void record_deleted(struct topo_node *n, void *arg)
{
	struct record *r = arg;
	assert_int_equal(n->nchildren, 0);
	assert_ptr_equal(topo_get(r->t, n->id), n);
	assert_true(n->parent == TOPO_ROOT || topo_get(r->t, n->parent));
	record(n, arg);
}

static size_t index_of(const struct record *r, int32_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->ids[i] == id)
			return i;
	fail_msg("%d not visited", id);
	return 0;
}

static void test_walk_delete(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_TREE);
	add(t, 1, TOPO_ROOT);
	add(t, 2, 1);
	add(t, 3, 2);
	add(t, 4, 2);
	add(t, 5, 1);
	add(t, 6, TOPO_ROOT);
	add(t, 7, 6);

	struct record r = { .t = t };
	topo_walk(t, 1, record, &r);
	assert_int_equal(r.n, 5);
	assert_memory_equal(r.ids, ((int32_t[]){ 1, 2, 3, 4, 5 }), 5 * sizeof(int32_t));
	r.n = 0;
	topo_walk(t, TOPO_ROOT, record, &r);
	assert_int_equal(r.n, 7);
	assert_memory_equal(r.ids, ((int32_t[]){ 1, 2, 3, 4, 5, 6, 7 }), 7 * sizeof(int32_t));
	r.n = 0;
	topo_walk(t, 99, record, &r);
	assert_int_equal(r.n, 0);

	r.n = 0;
	topo_delete(t, 1, record_deleted, &r);
	assert_int_equal(r.n, 5);
	assert_true(index_of(&r, 3) < index_of(&r, 2));
	assert_true(index_of(&r, 4) < index_of(&r, 2));
	assert_true(index_of(&r, 2) < index_of(&r, 1));
	assert_true(index_of(&r, 5) < index_of(&r, 1));
	for (int32_t id = 1; id <= 5; id++)
		assert_null(topo_get(t, id));
	assert_int_equal(topo_count(t), 2);
	expect_children(t, TOPO_ROOT, (int32_t[]){ 6 }, 1);
	expect_at(t, 6, TOPO_ROOT, 0, 2);

	topo_delete(t, 7, NULL, NULL);
	expect_at(t, 6, TOPO_ROOT, 0, 1);
	topo_delete(t, 42, NULL, NULL);
	check_model(t);
	topo_destroy(&t);
}

static void each_check(struct topo_node *n, void *arg)
{
	struct record *r = arg;
	if (r->n)
		assert_true(r->ids[r->n - 1] < n->id);
	record(n, arg);
}

static void test_each_sorted(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_TREE);
	const int32_t ids[] = { 17, 3, 2147483647, 0, 99, 5, 1000000, 42 };
	for (size_t i = 0; i < 8; i++)
		add(t, ids[i], i ? ids[i - 1] : TOPO_ROOT);
	struct record r = { .t = t };
	topo_each_sorted(t, each_check, &r);
	assert_int_equal(r.n, 8);
	assert_int_equal(r.ids[0], 0);
	assert_int_equal(r.ids[7], 2147483647);
	topo_destroy(&t);

	t = topo_new(TOPO_LIST);
	r.n = 0;
	topo_each_sorted(t, each_check, &r);
	assert_int_equal(r.n, 0);
	topo_destroy(&t);
}

/* ---- scale ---- */

#define BIG 100000

static void count_node(struct topo_node *n, void *arg)
{
	(void)n;
	(*(size_t *)arg)++;
}

/* Lookups stay right across growth and deletions (the table closes its holes). */
static void test_table(void **state)
{
	(void)state;
	struct topo *t = topo_new(TOPO_TREE);
	for (int32_t i = 0; i < 20000; i++)
		add(t, i * 7919 % 1000003, TOPO_ROOT);
	for (int32_t i = 0; i < 20000; i += 3)
		topo_delete(t, i * 7919 % 1000003, NULL, NULL);
	for (int32_t i = 0; i < 20000; i++) {
		struct topo_node *n = topo_get(t, i * 7919 % 1000003);
		if (i % 3)
			assert_true(n && n->id == i * 7919 % 1000003);
		else
			assert_null(n);
	}
	assert_int_equal(topo_count(t), 20000 - 6667);
	check_model(t);
	topo_destroy(&t);
}

static void test_scale(void **state)
{
	(void)state;
	double t0 = now_s();

	/* balanced, then removing the root of 100000. */
	struct topo *t = topo_new(TOPO_BALANCED);
	for (int32_t id = 0; id < BIG; id++)
		add(t, id, TOPO_ROOT);
	assert_int_equal(topo_count(t), BIG);
	assert_int_equal(topo_depth(t, BIG - 1), 17); /* floor(log2(100000)) + 1 */
	check_model(t);
	remove_node(t, 0, NULL, 0);
	topo_destroy(&t);

	/* bst in a scrambled order (odd multiplier: a bijection modulo 2^31). */
	t = topo_new(TOPO_BST);
	for (uint32_t i = 0; i < BIG; i++)
		add(t, (int32_t)((i * 2654435761u) & 0x7fffffffu), TOPO_ROOT);
	assert_true(topo_depth(t, (int32_t)((12345u * 2654435761u) & 0x7fffffffu)) < 100);
	check_model(t);
	topo_destroy(&t);

	/* tree: random parents, and 100000 children of the control node. */
	t = topo_new(TOPO_TREE);
	uint32_t r = 1;
	add(t, 0, TOPO_ROOT);
	for (int32_t id = 1; id < BIG; id++) {
		r = r * 1103515245u + 12345u;
		add(t, id, (int64_t)((r >> 8) % (uint32_t)id));
	}
	check_model(t);
	topo_destroy(&t);
	t = topo_new(TOPO_TREE);
	for (int32_t id = 0; id < BIG; id++)
		add(t, id, TOPO_ROOT);
	remove_node(t, 0, NULL, 0);
	topo_delete(t, 50000, NULL, NULL);
	topo_destroy(&t);

	/* list: each node inserted right after the head makes a chain 100000 deep; every walk
	 * over it must do without recursion. */
	t = topo_new(TOPO_LIST);
	add(t, 0, TOPO_ROOT);
	for (int32_t id = 1; id < BIG; id++)
		add(t, id, 0);
	assert_int_equal(topo_depth(t, 1), BIG);
	int32_t *path = malloc(BIG * sizeof *path);
	assert_non_null(path);
	assert_int_equal(topo_path(t, 1, path), BIG);
	assert_int_equal(path[0], 0);
	assert_int_equal(path[1], BIG - 1);
	assert_int_equal(path[BIG - 1], 1);
	free(path);
	check_model(t);
	remove_node(t, BIG / 2, (struct topo_move[]){ { BIG / 2 - 1, BIG / 2 + 1, 0 } }, 1);
	size_t seen = 0;
	topo_each_sorted(t, count_node, &seen);
	assert_int_equal(seen, BIG - 1);
	seen = 0;
	topo_delete(t, 0, count_node, &seen);
	assert_int_equal(seen, BIG - 1);
	assert_int_equal(topo_count(t), 0);
	topo_destroy(&t);

	/* Generous: an O(n^2) model takes minutes, this takes well under a second. */
	double took = now_s() - t0;
	print_message("scale: %.2f s\n", took);
	assert_true(took < 60.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_tree_place),
		cmocka_unit_test(test_tree_remove),
		cmocka_unit_test(test_list_place),
		cmocka_unit_test(test_list_remove),
		cmocka_unit_test(test_bst_place),
		cmocka_unit_test(test_bst_remove),
		cmocka_unit_test(test_bst_remove_random),
		cmocka_unit_test(test_balanced_place),
		cmocka_unit_test(test_balanced_lost),
		cmocka_unit_test(test_balanced_remove),
		cmocka_unit_test(test_balanced_remove_choice),
		cmocka_unit_test(test_move_rules),
		cmocka_unit_test(test_path_depth),
		cmocka_unit_test(test_walk_delete),
		cmocka_unit_test(test_each_sorted),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
