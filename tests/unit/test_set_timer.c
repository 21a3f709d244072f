/* test_set_timer.c - the timer command set, on a fake clock the test moves by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "cmdset.h"
#include "setrun.h"

static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

static int setup(void **state)
{
	fake_now = 1000000;	/* a monotonic clock does not start at 0 */
	*state = cmdset_timer.state_new(fake_clock);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	cmdset_timer.state_destroy(*state);
	return 0;
}

static void test_time_before_start(void **state)
{
	SETRUN_OK(cmdset_timer, *state, "time", "0");
	fake_now += 5000;
	SETRUN_OK(cmdset_timer, *state, "time", "0");
	SETRUN_OK(cmdset_timer, *state, "stop", "");
	SETRUN_OK(cmdset_timer, *state, "time", "0");
}

static void test_running(void **state)
{
	SETRUN_OK(cmdset_timer, *state, "start", "");
	SETRUN_OK(cmdset_timer, *state, "time", "0");
	fake_now += 10000;
	SETRUN_OK(cmdset_timer, *state, "time", "10000");
	fake_now += 1;
	SETRUN_OK(cmdset_timer, *state, " time\r\n", "10001");
}

static void test_start_twice_stop_resume(void **state)
{
	SETRUN_OK(cmdset_timer, *state, "start", "");
	fake_now += 100;
	/* A second start while running changes nothing. */
	SETRUN_OK(cmdset_timer, *state, "start", "");
	fake_now += 50;
	SETRUN_OK(cmdset_timer, *state, "time", "150");
	SETRUN_OK(cmdset_timer, *state, "stop", "");
	fake_now += 1000;
	/* Stopped: frozen; a second stop changes nothing. */
	SETRUN_OK(cmdset_timer, *state, "time", "150");
	SETRUN_OK(cmdset_timer, *state, "stop", "");
	SETRUN_OK(cmdset_timer, *state, "time", "150");
	/* Resumed: adds to the total. */
	SETRUN_OK(cmdset_timer, *state, "start", "");
	fake_now += 25;
	SETRUN_OK(cmdset_timer, *state, "time", "175");
	SETRUN_OK(cmdset_timer, *state, "stop", "");
	fake_now += 25;
	SETRUN_OK(cmdset_timer, *state, "time", "175");
}

static void test_errors(void **state)
{
	SETRUN_ERR(cmdset_timer, *state, "", "Expected start, stop or time");
	SETRUN_ERR(cmdset_timer, *state, " \n ", "Expected start, stop or time");
	SETRUN_ERR(cmdset_timer, *state, "start now", "Expected start, stop or time");
	SETRUN_ERR(cmdset_timer, *state, "go now", "Expected start, stop or time");
	SETRUN_ERR(cmdset_timer, *state, "go", "Unknown timer command 'go'");
	SETRUN_ERR(cmdset_timer, *state, "Start", "Unknown timer command 'Start'");
	SETRUN_ERR(cmdset_timer, *state, "starts", "Unknown timer command 'starts'");
	SETRUN_ERR(cmdset_timer, *state, "sta", "Unknown timer command 'sta'");
	SETRUN_ERR(cmdset_timer, *state, "timetimetimetimetimetimetimetimetime",
		   "Unknown timer command 'timetimetimetimetimetimetimetime...'");
	/* A bad request does not start the timer. */
	fake_now += 100;
	SETRUN_OK(cmdset_timer, *state, "time", "0");
}

static void test_begin_abandons(void **state)
{
	struct buf out = { 0 };
	void *st = *state;
	cmdset_timer.begin(st);
	cmdset_timer.feed(st, "start", 5);
	cmdset_timer.begin(st);
	cmdset_timer.feed(st, "ti", 2);
	cmdset_timer.feed(st, "me", 2);
	fake_now += 100;
	assert_int_equal(cmdset_timer.end(st, &out), CMDSET_OK);
	assert_string_equal(setrun_text(&out), "0");
	buf_free(&out);
}

/* --restart: a running timer goes on from the time it had when it was saved; a stopped one
 * keeps its total; bytes that are not a timer are refused. */
static void test_save_load(void **state)
{
	SETRUN_OK(cmdset_timer, *state, "start", "");
	fake_now += 100;
	void *copy = setrun_copy(&cmdset_timer, *state, fake_clock);
	SETRUN_OK(cmdset_timer, copy, "time", "100");
	fake_now += 30;
	SETRUN_OK(cmdset_timer, copy, "time", "130");
	SETRUN_OK(cmdset_timer, copy, "stop", "");
	fake_now += 1000;
	void *stopped = setrun_copy(&cmdset_timer, copy, fake_clock);
	fake_now += 1000;
	SETRUN_OK(cmdset_timer, stopped, "time", "130");
	SETRUN_OK(cmdset_timer, stopped, "start", "");
	fake_now += 5;
	SETRUN_OK(cmdset_timer, stopped, "time", "135");
	cmdset_timer.state_destroy(stopped);
	cmdset_timer.state_destroy(copy);
	static const char good[] = "\x01" "\x64\x00\x00\x00\x00\x00\x00\x00";
	setrun_loads(&cmdset_timer, good, sizeof good - 1, fake_clock, "time", "100", 0);
	setrun_load_fails(&cmdset_timer, "\x02" "\x64\x00\x00\x00\x00\x00\x00\x00", 9, fake_clock);
	setrun_load_fails(&cmdset_timer, "\x00" "\x00\x00\x00\x00\x00\x00\x00\x80", 9, fake_clock);
	setrun_load_fails(&cmdset_timer, "\x00" "\x00\x00\x00\x00\x00\x00\x00\x00" "x", 10,
			  fake_clock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_time_before_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_twice_stop_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_abandons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
