/* What a node takes from below: answers to what it sent down that child, HELLOs it awaits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "inflight.h"

static void test_answers(void **state)
{
	(void)state;
	struct inflight *f = inflight_new();
	assert_int_equal(inflight_sent(f, 7, 2, 5), 0);	/* request 7 for node 5, via child 2 */
	assert_false(inflight_answer(f, 7, 3, 5, true));	/* another child */
	assert_false(inflight_answer(f, 7, 2, 6, true));	/* another node */
	assert_false(inflight_answer(f, 8, 2, 5, true));	/* never sent */
	assert_false(inflight_answer(f, 0, 2, 5, true));
	assert_true(inflight_answer(f, 7, 2, 5, false));	/* a credit: it stays */
	assert_true(inflight_answer(f, 7, 2, 5, true));
	assert_false(inflight_answer(f, 7, 2, 5, true));	/* answered once */
	assert_int_equal(inflight_count(f), 0);
	inflight_destroy(&f);
	assert_null(f);
}

/* Many at once (a pipelined script), deleted in another order than sent, and a child lost. */
static void test_many(void **state)
{
	(void)state;
	struct inflight *f = inflight_new();
	for (uint32_t r = 1; r <= 20000; r++)
		assert_int_equal(inflight_sent(f, r, (int32_t)(r % 3), (int32_t)r), 0);
	for (uint32_t r = 20000; r >= 1; r -= 2)
		assert_true(inflight_answer(f, r, (int32_t)(r % 3), (int32_t)r, true));
	assert_int_equal(inflight_count(f), 10000);
	inflight_drop_child(f, 1);
	for (uint32_t r = 1; r <= 20000; r += 2)
		assert_int_equal(inflight_answer(f, r, (int32_t)(r % 3), (int32_t)r, true),
				 r % 3 != 1);
	assert_int_equal(inflight_count(f), 0);
	inflight_destroy(&f);
}

static void test_hellos(void **state)
{
	(void)state;
	struct inflight *f = inflight_new();
	inflight_sent(f, 9, 2, 4);		/* create of 12 at node 4, below child 2 */
	inflight_expect(f, 2, 12, 9);
	assert_false(inflight_hello(f, 3, 12));	/* not from there */
	assert_false(inflight_hello(f, 2, 13));
	assert_true(inflight_answer(f, 9, 2, 4, false));	/* spawned: still awaited */
	assert_true(inflight_hello(f, 2, 12));
	assert_false(inflight_hello(f, 2, 12));	/* once */
	assert_false(inflight_answer(f, 9, 2, 4, true));	/* the HELLO answered the create */

	inflight_sent(f, 10, 2, 4);		/* a create that fails: its HELLO is not awaited */
	inflight_expect(f, 2, 14, 10);
	assert_true(inflight_answer(f, 10, 2, 4, true));
	assert_false(inflight_hello(f, 2, 14));

	inflight_expect(f, 2, 15, 0);		/* a move below 2, then called off */
	inflight_forget(f, 15);
	assert_false(inflight_hello(f, 2, 15));
	inflight_expect(f, 3, 16, 0);
	inflight_drop_child(f, 3);
	assert_false(inflight_hello(f, 3, 16));
	inflight_destroy(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_hellos),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
