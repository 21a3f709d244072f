/* test_set_sum.c - the sum command set: exact totals, every error, any split of the stream. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmdset.h"
#include "setrun.h"

#define MAX "9223372036854775807"
#define MIN "-9223372036854775808"

__extension__ typedef __int128 i128;

static int setup(void **state)
{
	*state = cmdset_sum.state_new(clock_ms);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	cmdset_sum.state_destroy(*state);
	return 0;
}

/* The expected total, printed independently of the set's own int128 printer. */
static void i128_str(i128 v, char *dst)
{
	const uint64_t e19 = 10000000000000000000u;
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	const char *sign = v < 0 ? "-" : "";
	if (u / e19)
		sprintf(dst, "%s%llu%019llu", sign, (unsigned long long)(u / e19),
			(unsigned long long)(u % e19));
	else
		sprintf(dst, "%s%llu", sign, (unsigned long long)u);
}

static void test_simple(void **state)
{
	SETRUN_OK(cmdset_sum, *state, "3 1 2 3", "6");
	SETRUN_OK(cmdset_sum, *state, "1 0", "0");
	SETRUN_OK(cmdset_sum, *state, "1 -5", "-5");
	SETRUN_OK(cmdset_sum, *state, "3 +2 +1 -1", "2");
	SETRUN_OK(cmdset_sum, *state, "2 -0 +0", "0");
	SETRUN_OK(cmdset_sum, *state, " \t 3\t10  -20\r\n30 \n", "20");
	SETRUN_OK(cmdset_sum, *state, "4 1234567 -7654321 12345678 123456789012", "123462714936");
}

static void test_int64_edges(void **state)
{
	SETRUN_OK(cmdset_sum, *state, "1 " MAX, MAX);
	SETRUN_OK(cmdset_sum, *state, "1 " MIN, MIN);
	SETRUN_OK(cmdset_sum, *state, "2 " MAX " " MAX, "18446744073709551614");
	SETRUN_OK(cmdset_sum, *state, "2 " MIN " " MIN, "-18446744073709551616");
	SETRUN_OK(cmdset_sum, *state, "3 " MAX " " MAX " " MAX, "27670116110564327421");
	SETRUN_OK(cmdset_sum, *state, "2 " MIN " " MAX, "-1");
	SETRUN_OK(cmdset_sum, *state, "1 +" MAX, MAX);
	/* 18 digits still take the fast path; 19 need the checked one. */
	SETRUN_OK(cmdset_sum, *state, "1 999999999999999999", "999999999999999999");
	SETRUN_OK(cmdset_sum, *state, "1 1000000000000000000", "1000000000000000000");
	/* Leading zeros do not make a number long. */
	SETRUN_OK(cmdset_sum, *state, "1 000000000000000000000000000000000000000000042", "42");
	SETRUN_OK(cmdset_sum, *state, "1 -00000000000000000000009223372036854775808", MIN);
}

static void test_many_big(void **state)
{
	struct buf in = { 0 };
	assert_int_equal(buf_puts(&in, "100"), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_puts(&in, " " MAX), 0);
	SETRUN_OK(cmdset_sum, *state, in.data, "922337203685477580700");
	buf_reset(&in);
	assert_int_equal(buf_puts(&in, "100"), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_puts(&in, " " MIN), 0);
	SETRUN_OK(cmdset_sum, *state, in.data, "-922337203685477580800");
	/* 18 digits, the longest that skip the overflow check, many times over. */
	buf_reset(&in);
	assert_int_equal(buf_puts(&in, "20 1"), 0);
	for (int i = 1; i < 20; i++)
		assert_int_equal(buf_puts(&in, i % 2 ? " 999999999999999999"
						      : " +999999999999999999"), 0);
	SETRUN_OK(cmdset_sum, *state, in.data, "18999999999999999982");
	buf_reset(&in);
	assert_int_equal(buf_puts(&in, "30"), 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(buf_puts(&in, i % 2 ? " -12345678 -999999999999999999" : " 1"), 0);
	SETRUN_OK(cmdset_sum, *state, in.data, "-10000000000123456760");
	buf_free(&in);
}

static void test_out_of_range(void **state)
{
	SETRUN_ERR(cmdset_sum, *state, "1 9223372036854775808",
		   "Number out of range '9223372036854775808'");
	SETRUN_ERR(cmdset_sum, *state, "1 -9223372036854775809",
		   "Number out of range '-9223372036854775809'");
	SETRUN_ERR(cmdset_sum, *state, "1 18446744073709551616",
		   "Number out of range '18446744073709551616'");
	/* Not last on the line, where a token takes another path. */
	SETRUN_ERR(cmdset_sum, *state, "2 9223372036854775808 1",
		   "Number out of range '9223372036854775808'");
	SETRUN_ERR(cmdset_sum, *state, "3 1 -9223372036854775809 1",
		   "Number out of range '-9223372036854775809'");
	SETRUN_ERR(cmdset_sum, *state, "3 1 9999999999999999999 1",
		   "Number out of range '9999999999999999999'");
	/* 32 characters are quoted whole, more are cut. */
	SETRUN_ERR(cmdset_sum, *state, "1 99999999999999999999999999999999",
		   "Number out of range '99999999999999999999999999999999'");
	SETRUN_ERR(cmdset_sum, *state, "1 999999999999999999999999999999999",
		   "Number out of range '99999999999999999999999999999999...'");
	SETRUN_ERR(cmdset_sum, *state, "2 1 -12345678901234567890123456789012345678901234567890",
		   "Number out of range '-1234567890123456789012345678901...'");
}

static void test_invalid(void **state)
{
	SETRUN_ERR(cmdset_sum, *state, "2 1 abc", "Invalid number 'abc'");
	SETRUN_ERR(cmdset_sum, *state, "1 -", "Invalid number '-'");
	SETRUN_ERR(cmdset_sum, *state, "2 - 1", "Invalid number '-'");
	SETRUN_ERR(cmdset_sum, *state, "2 + 1", "Invalid number '+'");
	SETRUN_ERR(cmdset_sum, *state, "2 1- 1", "Invalid number '1-'");
	SETRUN_ERR(cmdset_sum, *state, "2 -x 1", "Invalid number '-x'");
	SETRUN_ERR(cmdset_sum, *state, "1 +", "Invalid number '+'");
	SETRUN_ERR(cmdset_sum, *state, "1 --1", "Invalid number '--1'");
	SETRUN_ERR(cmdset_sum, *state, "1 +-1", "Invalid number '+-1'");
	SETRUN_ERR(cmdset_sum, *state, "1 1-2", "Invalid number '1-2'");
	SETRUN_ERR(cmdset_sum, *state, "1 12345678a", "Invalid number '12345678a'");
	SETRUN_ERR(cmdset_sum, *state, "1 0x10", "Invalid number '0x10'");
	SETRUN_ERR(cmdset_sum, *state, "1 1e5", "Invalid number '1e5'");
	SETRUN_ERR(cmdset_sum, *state, "1 1.0", "Invalid number '1.0'");
	SETRUN_ERR(cmdset_sum, *state, "1 99999999999999999999x",
		   "Invalid number '99999999999999999999x'");
	SETRUN_ERR(cmdset_sum, *state, "1 a\001b\177", "Invalid number 'a?b?'");
	SETRUN_ERR(cmdset_sum, *state,
		   "1 1234567890123456789012345678901234567890z",
		   "Invalid number '12345678901234567890123456789012...'");
	/* The first error wins, a wrong count included. */
	SETRUN_ERR(cmdset_sum, *state, "2 x 99999999999999999999", "Invalid number 'x'");
	SETRUN_ERR(cmdset_sum, *state, "2 99999999999999999999 x",
		   "Number out of range '99999999999999999999'");
	SETRUN_ERR(cmdset_sum, *state, "1 x 2 3", "Invalid number 'x'");
	SETRUN_ERR(cmdset_sum, *state, "5 1 2 x", "Invalid number 'x'");
}

static void test_count(void **state)
{
	SETRUN_ERR(cmdset_sum, *state, "", "Expected N K1 ... KN");
	SETRUN_ERR(cmdset_sum, *state, " \t\r\n ", "Expected N K1 ... KN");
	SETRUN_ERR(cmdset_sum, *state, "x 1", "Invalid count 'x'");
	SETRUN_ERR(cmdset_sum, *state, "1.5 1", "Invalid count '1.5'");
	SETRUN_ERR(cmdset_sum, *state, "- 1", "Invalid count '-'");
	SETRUN_ERR(cmdset_sum, *state, "0", "Count out of range '0'");
	SETRUN_ERR(cmdset_sum, *state, "0 1", "Count out of range '0'");
	SETRUN_ERR(cmdset_sum, *state, "-1 5", "Count out of range '-1'");
	SETRUN_ERR(cmdset_sum, *state, "100000001 1", "Count out of range '100000001'");
	SETRUN_ERR(cmdset_sum, *state, "99999999999999999999999999999999999 1",
		   "Count out of range '99999999999999999999999999999999...'");
	SETRUN_ERR(cmdset_sum, *state, "3 1 2", "Expected 3 numbers, got 2");
	SETRUN_ERR(cmdset_sum, *state, "3 1 2 3 4", "Expected 3 numbers, got 4");
	SETRUN_ERR(cmdset_sum, *state, "3", "Expected 3 numbers, got 0");
	SETRUN_ERR(cmdset_sum, *state, "100000000 1", "Expected 100000000 numbers, got 1");
	SETRUN_ERR(cmdset_sum, *state, "+0002 1", "Expected 2 numbers, got 1");
}

/* Random tokens of every shape, fed whole, byte by byte and in random pieces: every token
 * ends up split at every byte somewhere. */
static void test_random_splits(void **state)
{
	unsigned seed = 7;
	struct buf in = { 0 };
	char want[64], tok[64];
	for (int round = 0; round < 40; round++) {
		int n = 1 + rand_r(&seed) % 300;
		i128 total = 0;
		buf_reset(&in);
		assert_int_equal(buf_printf(&in, "%d", n), 0);
		for (int i = 0; i < n; i++) {
			/* Up to 19 digits, some with leading zeros or a sign, kept in range. */
			int digits = 1 + rand_r(&seed) % 19;
			int64_t v = 0;
			size_t k = 0;
			int sign = rand_r(&seed) % 4;
			if (sign == 1)
				tok[k++] = '-';
			else if (sign == 2)
				tok[k++] = '+';
			if (rand_r(&seed) % 8 == 0)
				for (int z = rand_r(&seed) % 25; z > 0; z--)
					tok[k++] = '0';
			for (int d = 0; d < digits; d++) {
				int dig = rand_r(&seed) % 10;
				if (d == 18 && v > (INT64_MAX - dig) / 10)
					break;
				v = v * 10 + dig;
				tok[k++] = (char)('0' + dig);
			}
			tok[k] = '\0';
			total += sign == 1 ? -(i128)v : v;
			static const char *const gaps[] = { " ", "  ", "\t", " \r\n ", "\n" };
			assert_int_equal(buf_puts(&in, gaps[rand_r(&seed) % 5]), 0);
			assert_int_equal(buf_puts(&in, tok), 0);
		}
		i128_str(total, want);
		SETRUN_OK(cmdset_sum, *state, in.data, want);
	}
	buf_free(&in);
}

/* Many numbers in 64 KiB feeds, as a node gets them. */
static void test_long_stream(void **state)
{
	enum { N = 300000 };
	struct buf in = { 0 }, out = { 0 };
	unsigned seed = 3;
	i128 total = 0;
	char want[64];
	assert_int_equal(buf_printf(&in, "%d", N), 0);
	for (int i = 0; i < N; i++) {
		int v = rand_r(&seed) % 1000000 - (i % 5 == 0 ? 500000 : 0);
		total += v;
		assert_int_equal(buf_printf(&in, " %d", v), 0);
	}
	i128_str(total, want);
	assert_int_equal(setrun_chunked(&cmdset_sum, *state, in.data, in.len, 65536, 0, &out),
			 CMDSET_OK);
	assert_string_equal(setrun_text(&out), want);
	buf_free(&in);
	buf_free(&out);
}

static void test_begin_abandons(void **state)
{
	struct buf out = { 0 };
	void *st = *state;
	cmdset_sum.begin(st);
	cmdset_sum.feed(st, "3 1 2 12", 8);
	cmdset_sum.begin(st);
	cmdset_sum.feed(st, "1 5", 3);
	assert_int_equal(cmdset_sum.end(st, &out), CMDSET_OK);
	assert_string_equal(setrun_text(&out), "5");
	/* An error does not leak into the next request. */
	cmdset_sum.begin(st);
	cmdset_sum.feed(st, "1 x", 3);
	assert_int_equal(cmdset_sum.end(st, &out), CMDSET_ERR);
	cmdset_sum.begin(st);
	cmdset_sum.feed(st, "1 7", 3);
	assert_int_equal(cmdset_sum.end(st, &out), CMDSET_OK);
	assert_string_equal(setrun_text(&out), "7");
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_simple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_int64_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_splits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_abandons, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
