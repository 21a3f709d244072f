/* --heal in the control's request engine and moves, against a fake downlink and clock
 * (engine_fake.h): a dead node's children come to their grandparent or to the control's link
 * as orphans and move where `remove` would put them; what was in flight through the dead node
 * fails at once, what comes after waits and goes by the new path. */
#include "engine_fake.h"

static void heal_start(enum topo_kind kind)
{
	fx_start(kind);
	requests_set_heal(fx.rq, true);
}

/* Orphan id has come to node `at` (MSG_ORPHAN from there), or to the control's own link
 * (TOPO_ROOT: its HELLO there). */
static void orphan_at(int32_t id, int32_t at)
{
	moves_orphan(fx.mv, id, at);
	settle();
}

static void orphan(int32_t id)
{
	orphan_at(id, TOPO_ROOT);
}

/* The move of orphan id under parent, by the orphan's own link: OP_EXPECT to the new parent
 * along path (n ids), then OP_MOVE down the orphan's link, then its HELLO from there. */
static void moved(int32_t id, int32_t link, size_t n, ...)
{
	const struct sent *x = last_sent(OP_EXPECT);
	va_list ap;
	assert_non_null(x);
	assert_int_equal(x->npath, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(x->path[i], va_arg(ap, int));
	va_end(ap);
	answer(x, REP_OK, NULL);
	const struct sent *mo = last_sent(OP_MOVE);
	assert_non_null(mo);
	assert_int_equal(mo->path[mo->npath - 1], id);
	answer(mo, REP_OK, NULL);
	hello(link, id);
}

static bool waits_at(int32_t id)
{
	return requests_waits(fx.rq, RQ_PING, id, 0);
}

static void test_children_move_to_the_grandparent(void **state)
{
	(void)state;
	heal_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	up(4, 2);
	up(5, 3);
	exec_on(5, " 1 7");	/* in flight through 2 when it dies */
	lost(2);
	assert_string_equal(printed(), "Error:5: Node is unavailable\n");
	ping(2);
	assert_string_equal(printed(), "Ok: 0\n");
	size_t execs = count_sent(OP_EXEC);
	exec_on(4, " 1 2");	/* given after: waits for the new path */
	exec_on(5, " 1 3");
	assert_int_equal(count_sent(OP_EXEC), execs);
	assert_true(waits_at(5));
	assert_int_equal(count_sent(OP_EXPECT), 0);	/* nobody has come to us yet */
	orphan(3);
	moved(3, 1, 1, 1);
	assert_int_equal(count_sent(OP_EXEC), execs);	/* held until the heal is over */
	orphan(4);
	moved(4, 1, 1, 1);
	assert_int_equal(topo_get(fx.topo, 4)->parent, 1);
	assert_int_equal(topo_get(fx.topo, 5)->parent, 3);
	assert_int_equal(topo_get(fx.topo, 2)->parent, TOPO_DEAD);
	assert_int_equal(topo_get(fx.topo, 2)->state, NODE_LOST);
	assert_false(waits_at(5));
	assert_int_equal(count_sent(OP_EXEC), execs + 2);
	const struct sent *e = &down.sent[down.nsent - 1];
	if (e->path[e->npath - 1] != 5)
		e--;
	assert_path(e, 3, 1, 3, 5);
	answer(e, REP_OK, "3");
	assert_string_equal(printed(), "Ok:5: 3\n");
	ping(2);
	assert_string_equal(printed(), "Ok: 0\n");
	assert_string_equal(down.kills.data ? down.kills.data : "", "");
	fx_stop();
}

/* The dead node, put aside, goes with `remove` (nothing to move) as with `kill`. */
static void test_dead_node_goes_with_remove(void **state)
{
	(void)state;
	heal_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	lost(1);
	orphan(2);	/* to the control node itself: it stays on our link */
	assert_int_equal(count_sent(OP_EXPECT) + count_sent(OP_MOVE), 0);
	assert_int_equal(topo_get(fx.topo, 2)->parent, TOPO_ROOT);
	requests_remove(fx.rq, 1);
	settle();
	assert_string_equal(printed(), "Ok\n");
	assert_null(topo_get(fx.topo, 1));
	ping(1);
	assert_string_equal(printed(), "Error: Not found\n");
	fx_stop();
}

/* With heal off (the course's rule) the subtree is lost, and an orphan that asks is not
 * moved. */
static void test_off_the_subtree_is_lost(void **state)
{
	(void)state;
	heal_start(TOPO_TREE);
	requests_set_heal(fx.rq, false);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	lost(2);
	ping(3);
	assert_string_equal(printed(), "Ok: 0\n");
	assert_int_equal(topo_get(fx.topo, 3)->state, NODE_LOST);
	fx_stop();
}

/* bst: the in-order successor, deep in the right subtree, takes the dead node's place; it is
 * reached through the orphan it is below, which must have come to us first. */
static void test_bst_successor_by_the_orphans_link(void **state)
{
	(void)state;
	heal_start(TOPO_BST);
	up(5, TOPO_ROOT);
	up(3, 5);	/* placed by the bst (PARENT is ignored): 3 under 5, 1 and 4 under 3 */
	up(1, 3);
	up(4, 3);
	assert_int_equal(topo_get(fx.topo, 4)->parent, 3);
	lost(3);
	orphan(4);
	moved(4, 5, 1, 5);
	assert_int_equal(count_sent(OP_EXPECT), 1);	/* 1 goes under 4: it waits for 1 */
	orphan(1);
	moved(1, 5, 2, 5, 4);
	assert_int_equal(topo_get(fx.topo, 4)->parent, 5);
	assert_int_equal(topo_get(fx.topo, 1)->parent, 4);
	assert_int_equal(topo_get(fx.topo, 1)->side, 0);
	fx_stop();
}

/* The new parent dies during the heal: the heal is planned again after the heal of that
 * parent, and ends with everyone under the living ancestor, in the order the deaths came. */
static void test_new_parent_dies_during_the_heal(void **state)
{
	(void)state;
	heal_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	up(4, 3);
	lost(3);
	orphan(4);
	const struct sent *x = last_sent(OP_EXPECT);
	assert_path(x, 2, 1, 2);
	lost(2);	/* before it answered */
	orphan(4);	/* 4 is still ours: it was never told to move */
	/* 2's heal moves dead 3 under 1 in the model; then 3's heal moves 4 under 1. */
	moved(4, 1, 1, 1);
	assert_int_equal(topo_get(fx.topo, 4)->parent, 1);
	assert_int_equal(topo_get(fx.topo, 2)->parent, TOPO_DEAD);
	assert_int_equal(topo_get(fx.topo, 3)->parent, TOPO_DEAD);
	assert_false(waits_at(4));
	fx_stop();
}

/* An orphan that never comes is ended by pid after the wait, and the heal does not hang. */
static void test_orphan_that_never_comes(void **state)
{
	(void)state;
	heal_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	lost(2);
	assert_true(waits_at(3));
	down.now += HELLO_MIN_MS + 1;
	moves_tick(fx.mv, down.now);
	settle();
	assert_non_null(strstr(down.kills.data, "kill 3\n"));
	lost(3);	/* its death, as its reaping reports it */
	assert_false(waits_at(3));
	fx_stop();
}

/* Orphans that are all on our link when the heal starts move at once: every OP_EXPECT is
 * sent before any is answered, and the heal is over when the last HELLO has come. */
static void test_orphans_move_at_once(void **state)
{
	(void)state;
	heal_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	up(4, 2);
	up(5, 2);
	orphan(3);	/* they may come before their parent's death is known */
	orphan(4);
	orphan(5);
	assert_int_equal(count_sent(OP_EXPECT), 0);
	lost(2);
	assert_int_equal(count_sent(OP_EXPECT), 3);
	const struct sent *x[3];
	size_t k = 0;
	for (size_t i = 0; i < down.nsent; i++)
		if (down.sent[i].op == OP_EXPECT)
			x[k++] = &down.sent[i];
	for (k = 0; k < 3; k++) {
		assert_path(x[k], 1, 1);
		answer(x[k], REP_OK, NULL);
	}
	assert_int_equal(count_sent(OP_MOVE), 3);
	for (size_t i = 0; i < down.nsent; i++)
		if (down.sent[i].op == OP_MOVE) {
			assert_int_equal(down.sent[i].npath, 1);	/* down the orphan's own link */
			answer(&down.sent[i], REP_OK, NULL);
		}
	hello(1, 4);
	hello(1, 5);
	assert_true(waits_at(5));
	/* come, not yet in the model: what they send comes by their new parent's link */
	assert_int_equal(topo_get(fx.topo, 4)->parent, 2);
	assert_int_equal(moves_destination(fx.mv, 4), 1);
	hello(1, 3);
	assert_int_equal(moves_destination(fx.mv, 4), TOPO_NONE);
	assert_false(waits_at(5));
	/* in the order remove gives them, whatever order they came in */
	const struct topo_node *p = topo_get(fx.topo, 1);
	assert_int_equal(p->nchildren, 3);
	assert_int_equal(p->children[0], 3);
	assert_int_equal(p->children[1], 4);
	assert_int_equal(p->children[2], 5);
	assert_int_equal(topo_get(fx.topo, 2)->parent, TOPO_DEAD);
	assert_string_equal(down.kills.data ? down.kills.data : "", "");
	fx_stop();
}

/* Orphans that came to their grandparent, where they are to go, are adopted there: an
 * OP_EXPECT each, answered REP_ADOPTED, and no move. */
static void test_orphans_adopted_where_they_wait(void **state)
{
	(void)state;
	heal_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(7, 1);
	up(2, 7);
	up(3, 2);
	up(4, 2);
	orphan_at(4, 7);	/* before the death is known */
	lost(2);
	exec_on(3, " 1 5");	/* waits for the heal */
	assert_int_equal(count_sent(OP_EXPECT), 1);
	orphan_at(3, 7);
	assert_int_equal(count_sent(OP_EXPECT), 2);
	for (size_t i = 0; i < down.nsent; i++)
		if (down.sent[i].op == OP_EXPECT) {
			assert_path(&down.sent[i], 2, 1, 7);
			answer(&down.sent[i], REP_ADOPTED, NULL);
		}
	assert_int_equal(count_sent(OP_MOVE), 0);
	assert_int_equal(topo_get(fx.topo, 3)->parent, 7);
	assert_int_equal(topo_get(fx.topo, 4)->parent, 7);
	assert_int_equal(topo_get(fx.topo, 2)->parent, TOPO_DEAD);
	assert_false(waits_at(3));
	assert_path(last_sent(OP_EXEC), 3, 1, 7, 3);
	fx_stop();
}

/* bst: the successor, waiting at the grandparent, is adopted there; the other orphan, waiting
 * there too, is moved under the successor down the grandparent's link to it. */
static void test_bst_orphan_moved_from_where_it_waits(void **state)
{
	(void)state;
	heal_start(TOPO_BST);
	up(5, TOPO_ROOT);
	up(3, 5);
	up(1, 3);
	up(4, 3);
	lost(3);
	orphan_at(1, 5);
	orphan_at(4, 5);
	const struct sent *x = last_sent(OP_EXPECT);
	assert_path(x, 1, 5);
	answer(x, REP_ADOPTED, NULL);
	x = last_sent(OP_EXPECT);
	assert_path(x, 2, 5, 4);
	answer(x, REP_OK, NULL);
	const struct sent *mo = last_sent(OP_MOVE);
	assert_non_null(mo);
	assert_path(mo, 2, 5, 1);
	answer(mo, REP_OK, NULL);
	hello(5, 1);
	assert_int_equal(topo_get(fx.topo, 4)->parent, 5);
	assert_int_equal(topo_get(fx.topo, 1)->parent, 4);
	assert_int_equal(topo_get(fx.topo, 3)->parent, TOPO_DEAD);
	fx_stop();
}

/* An orphan that waited at its grandparent, which a remove then takes out, is not reached
 * through it: the heal waits until the orphan comes to our link. */
static void test_orphan_whose_grandparent_goes(void **state)
{
	(void)state;
	heal_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	up(5, 3);
	requests_remove(fx.rq, 2);	/* 3 moves under 1 */
	settle();
	const struct sent *x = last_sent(OP_EXPECT);
	assert_path(x, 1, 1);
	lost(3);	/* before it moved: in the model it goes under 1 all the same */
	orphan_at(5, 2);
	answer(x, REP_OK, NULL);
	assert_string_equal(printed(), "Ok\n");	/* 2 is out */
	assert_null(topo_get(fx.topo, 2));
	assert_int_equal(count_sent(OP_EXPECT), 1);	/* nothing for 5 by way of 2 */
	assert_int_equal(count_sent(OP_MOVE), 0);
	assert_string_equal(down.kills.data, "kill 2\n");	/* removed; 5 lives */
	orphan(5);	/* 2 ended: 5 comes to us */
	moved(5, 1, 1, 1);
	assert_int_equal(topo_get(fx.topo, 5)->parent, 1);
	assert_int_equal(topo_get(fx.topo, 3)->parent, TOPO_DEAD);
	fx_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_children_move_to_the_grandparent),
		cmocka_unit_test(test_dead_node_goes_with_remove),
		cmocka_unit_test(test_off_the_subtree_is_lost),
		cmocka_unit_test(test_bst_successor_by_the_orphans_link),
		cmocka_unit_test(test_new_parent_dies_during_the_heal),
		cmocka_unit_test(test_orphan_that_never_comes),
		cmocka_unit_test(test_orphans_move_at_once),
		cmocka_unit_test(test_orphans_adopted_where_they_wait),
		cmocka_unit_test(test_bst_orphan_moved_from_where_it_waits),
		cmocka_unit_test(test_orphan_whose_grandparent_goes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
