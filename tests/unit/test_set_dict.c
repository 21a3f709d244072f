/* test_set_dict.c - the dict command set: store, load, overwrite, growth, every error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cmdset.h"
#include "setrun.h"

static int setup(void **state)
{
	*state = cmdset_dict.state_new(clock_ms);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	cmdset_dict.state_destroy(*state);
	return 0;
}

static void test_store_load(void **state)
{
	SETRUN_OK(cmdset_dict, *state, "MyVar", "'MyVar' not found");
	SETRUN_OK(cmdset_dict, *state, "MyVar 5", "");
	SETRUN_OK(cmdset_dict, *state, "MyVar", "5");
	/* Names are case-sensitive and compared whole. */
	SETRUN_OK(cmdset_dict, *state, "myvar", "'myvar' not found");
	SETRUN_OK(cmdset_dict, *state, "MyVa", "'MyVa' not found");
	SETRUN_OK(cmdset_dict, *state, "MyVarX", "'MyVarX' not found");
	SETRUN_OK(cmdset_dict, *state, " \tMyVar\r\n", "5");
	SETRUN_OK(cmdset_dict, *state, "0 -7", "");
	SETRUN_OK(cmdset_dict, *state, "0", "-7");
}

static void test_overwrite(void **state)
{
	SETRUN_OK(cmdset_dict, *state, "a 1", "");
	SETRUN_OK(cmdset_dict, *state, "a", "1");
	SETRUN_OK(cmdset_dict, *state, "a +2", "");
	SETRUN_OK(cmdset_dict, *state, "a", "2");
	SETRUN_OK(cmdset_dict, *state, "a -9223372036854775808", "");
	SETRUN_OK(cmdset_dict, *state, "a", "-9223372036854775808");
	SETRUN_OK(cmdset_dict, *state, "a 9223372036854775807", "");
	SETRUN_OK(cmdset_dict, *state, "a", "9223372036854775807");
	SETRUN_OK(cmdset_dict, *state, "a 000000000000000000000000000000000000000012", "");
	SETRUN_OK(cmdset_dict, *state, "a", "12");
}

/* Enough names to grow the table several times; each keeps its own value. */
static void test_many(void **state)
{
	char line[64], want[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(line, sizeof(line), "k%d %d", i, i * 7 - 3);
		SETRUN_OK(cmdset_dict, *state, line, "");
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(line, sizeof(line), "k%d", i);
		snprintf(want, sizeof(want), "%d", i * 7 - 3);
		SETRUN_OK(cmdset_dict, *state, line, want);
	}
	SETRUN_OK(cmdset_dict, *state, "k5000", "'k5000' not found");
}

static void test_long_names(void **state)
{
	char name[300], line[320], want[320];
	memset(name, 'N', 256);
	name[256] = '\0';
	snprintf(line, sizeof(line), "%s 1", name);
	SETRUN_OK(cmdset_dict, *state, line, "");
	SETRUN_OK(cmdset_dict, *state, name, "1");
	name[255] = '\0';
	snprintf(want, sizeof(want), "'%s' not found", name);
	SETRUN_OK(cmdset_dict, *state, name, want);
	memset(name, 'N', 257);
	name[257] = '\0';
	SETRUN_ERR(cmdset_dict, *state, name, "Name too long");
	snprintf(line, sizeof(line), "%s 1", name);
	SETRUN_ERR(cmdset_dict, *state, line, "Name too long");
}

static void test_errors(void **state)
{
	SETRUN_ERR(cmdset_dict, *state, "", "Expected NAME [VALUE]");
	SETRUN_ERR(cmdset_dict, *state, " \n\t", "Expected NAME [VALUE]");
	SETRUN_ERR(cmdset_dict, *state, "a 1 2", "Expected NAME [VALUE]");
	SETRUN_ERR(cmdset_dict, *state, "a! 1 2", "Expected NAME [VALUE]");
	SETRUN_ERR(cmdset_dict, *state, "a_b 1", "Invalid name 'a_b'");
	SETRUN_ERR(cmdset_dict, *state, "a-b", "Invalid name 'a-b'");
	/* quoted as printable ASCII only, like every token in an answer */
	SETRUN_ERR(cmdset_dict, *state, "caf\303\251", "Invalid name 'caf?\?'");
	SETRUN_ERR(cmdset_dict, *state, "a\001b", "Invalid name 'a?b'");
	SETRUN_ERR(cmdset_dict, *state, "x1234567890123456789012345678901234567890!",
		   "Invalid name 'x1234567890123456789012345678901...'");
	SETRUN_ERR(cmdset_dict, *state, "a x", "Invalid value 'x'");
	SETRUN_ERR(cmdset_dict, *state, "a 1.5", "Invalid value '1.5'");
	SETRUN_ERR(cmdset_dict, *state, "a -", "Invalid value '-'");
	SETRUN_ERR(cmdset_dict, *state, "a 9223372036854775808",
		   "Value out of range '9223372036854775808'");
	SETRUN_ERR(cmdset_dict, *state, "a -9223372036854775809",
		   "Value out of range '-9223372036854775809'");
	SETRUN_ERR(cmdset_dict, *state, "a! x", "Invalid name 'a!'");
	/* A failed store changes nothing. */
	SETRUN_OK(cmdset_dict, *state, "a", "'a' not found");
}

/* A value longer than anything buffered is still told apart: in range, too big, or bad. */
static void test_huge_tokens(void **state)
{
	enum { LEN = 100000 };
	static char line[LEN + 16];
	memcpy(line, "v ", 2);
	memset(line + 2, '0', LEN);
	strcpy(line + 2 + LEN, "7");
	SETRUN_OK(cmdset_dict, *state, line, "");
	SETRUN_OK(cmdset_dict, *state, "v", "7");
	memset(line + 2, '9', LEN);
	SETRUN_ERR(cmdset_dict, *state, line,
		   "Value out of range '99999999999999999999999999999999...'");
	strcpy(line + 2 + LEN, "z");
	SETRUN_ERR(cmdset_dict, *state, line,
		   "Invalid value '99999999999999999999999999999999...'");
	memset(line, 'n', LEN);
	line[LEN] = '\0';
	SETRUN_ERR(cmdset_dict, *state, line, "Name too long");
}

static void test_begin_abandons(void **state)
{
	struct buf out = { 0 };
	void *st = *state;
	cmdset_dict.begin(st);
	cmdset_dict.feed(st, "gone 5", 6);
	cmdset_dict.begin(st);
	cmdset_dict.feed(st, "gone", 4);
	assert_int_equal(cmdset_dict.end(st, &out), CMDSET_OK);
	assert_string_equal(setrun_text(&out), "'gone' not found");
	buf_free(&out);
}

/* --restart: every name and value comes back in a new state, whatever the table's size; bytes
 * that are not a dictionary are refused. */
static void test_save_load(void **state)
{
	char line[300], want[32];
	memset(line, 'n', 256);
	snprintf(line + 256, sizeof line - 256, " -42");
	SETRUN_OK(cmdset_dict, *state, line, "");
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof line, "k%d %d", i, i * 7 - 3);
		SETRUN_OK(cmdset_dict, *state, line, "");
	}
	SETRUN_OK(cmdset_dict, *state, "k5 9223372036854775807", "");
	void *copy = setrun_copy(&cmdset_dict, *state, NULL);
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof line, "k%d", i);
		snprintf(want, sizeof want, "%d", i == 5 ? 0 : i * 7 - 3);
		if (i != 5)
			SETRUN_OK(cmdset_dict, copy, line, want);
	}
	SETRUN_OK(cmdset_dict, copy, "k5", "9223372036854775807");
	memset(line, 'n', 256);
	line[256] = '\0';
	SETRUN_OK(cmdset_dict, copy, line, "-42");
	SETRUN_OK(cmdset_dict, copy, "k100", "'k100' not found");
	cmdset_dict.state_destroy(copy);
	void *empty = cmdset_dict.state_new(NULL);
	copy = setrun_copy(&cmdset_dict, empty, NULL);
	SETRUN_OK(cmdset_dict, copy, "k1", "'k1' not found");
	cmdset_dict.state_destroy(copy);
	cmdset_dict.state_destroy(empty);
	/* a name of 1 byte 'a', value 1: whole, then cut short, bad name, no name, too long */
	static const char good[] = "\x01\x00" "a" "\x01\x00\x00\x00\x00\x00\x00\x00";
	setrun_loads(&cmdset_dict, good, sizeof good - 1, NULL, "a", "1", 1);	/* 0: empty */
	setrun_load_fails(&cmdset_dict, "\x01\x00" "-" "\x01\x00\x00\x00\x00\x00\x00\x00", 11, NULL);
	setrun_load_fails(&cmdset_dict, "\x00\x00" "\x01\x00\x00\x00\x00\x00\x00\x00", 10, NULL);
	setrun_load_fails(&cmdset_dict, "\x01\x01" "a", 3, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overwrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_abandons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
