/* heartbit bookkeeping with a made-up clock: the exact 4*MS edge, once per outage, recovery,
 * period change, heartbit 0. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "heartbit.h"

static int32_t reported[64];
static size_t nreported;

static void report(int32_t id, void *arg)
{
	(void)arg;
	reported[nreported++] = id;
}

static void check(struct heartbit *hb, int64_t now)
{
	nreported = 0;
	heartbit_check(hb, now, report, NULL);
}

static void test_edge_and_once(void **state)
{
	(void)state;
	struct heartbit *hb = heartbit_new();
	heartbit_track(hb, 5, 0);
	heartbit_track(hb, 3, 0);
	heartbit_set_period(hb, 100, 1000);
	assert_int_equal(heartbit_next(hb), 1400);
	check(hb, 1399);
	assert_int_equal(nreported, 0);
	heartbit_seen(hb, 5, 1100);
	check(hb, 1400);	/* exactly 4*MS of silence from 3 */
	assert_int_equal(nreported, 1);
	assert_int_equal(reported[0], 3);
	check(hb, 1450);
	assert_int_equal(nreported, 0);	/* once per outage */
	assert_int_equal(heartbit_next(hb), 1500);
	check(hb, 1500);
	assert_int_equal(nreported, 1);
	assert_int_equal(reported[0], 5);
	check(hb, 5000);
	assert_int_equal(nreported, 0);
	assert_int_equal(heartbit_next(hb), INT64_MAX);
	heartbit_destroy(&hb);
	assert_null(hb);
}

static void test_recovery(void **state)
{
	(void)state;
	struct heartbit *hb = heartbit_new();
	heartbit_set_period(hb, 50, 0);
	heartbit_track(hb, 1, 0);
	check(hb, 200);
	assert_int_equal(nreported, 1);
	heartbit_seen(hb, 1, 300);	/* continued: alive again */
	assert_int_equal(heartbit_next(hb), 500);
	check(hb, 499);
	assert_int_equal(nreported, 0);
	check(hb, 500);	/* its next outage is reported again */
	assert_int_equal(nreported, 1);
	heartbit_destroy(&hb);
}

static void test_period_change_and_off(void **state)
{
	(void)state;
	struct heartbit *hb = heartbit_new();
	heartbit_track(hb, 1, 0);
	check(hb, 100000);	/* off: nothing, ever */
	assert_int_equal(nreported, 0);
	assert_int_equal(heartbit_next(hb), INT64_MAX);
	heartbit_set_period(hb, 100, 0);
	heartbit_set_period(hb, 1000, 350);	/* a longer period: silence counts anew */
	check(hb, 400);
	assert_int_equal(nreported, 0);
	check(hb, 4349);
	assert_int_equal(nreported, 0);
	check(hb, 4350);
	assert_int_equal(nreported, 1);
	heartbit_set_period(hb, 0, 5000);
	heartbit_seen(hb, 1, 5000);
	check(hb, 100000);
	assert_int_equal(nreported, 0);
	heartbit_destroy(&hb);
}

static void test_many_sorted_and_forget(void **state)
{
	(void)state;
	struct heartbit *hb = heartbit_new();
	heartbit_set_period(hb, 10, 0);
	for (int32_t id = 40; id > 0; id--)
		heartbit_track(hb, id * 7, 0);
	heartbit_forget(hb, 70);
	heartbit_forget(hb, 12345);	/* unknown: nothing */
	for (int32_t id = 1; id <= 40; id += 2)
		heartbit_seen(hb, id * 7, 5);
	check(hb, 40);
	assert_int_equal(nreported, 19);	/* the even multiples but 70 */
	for (size_t k = 1; k < nreported; k++)
		assert_true(reported[k - 1] < reported[k]);
	for (size_t k = 0; k < nreported; k++)
		assert_int_not_equal(reported[k], 70);
	check(hb, 45);
	assert_int_equal(nreported, 20);
	heartbit_destroy(&hb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_and_once),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_period_change_and_off),
		cmocka_unit_test(test_many_sorted_and_forget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
