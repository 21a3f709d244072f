/* test_set_search.c - the search command set: every match, overlaps included, any split. */
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

static int setup(void **state)
{
	*state = cmdset_search.state_new(clock_ms);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	cmdset_search.state_destroy(*state);
	return 0;
}

static void test_matches(void **state)
{
	SETRUN_OK(cmdset_search, *state, "abcabc abc", "0;3");
	SETRUN_OK(cmdset_search, *state, "aaaa aa", "0;1;2");
	SETRUN_OK(cmdset_search, *state, "ababab abab", "0;2");
	SETRUN_OK(cmdset_search, *state, "aabaabaaab aab", "0;3;7");
	SETRUN_OK(cmdset_search, *state, "xyz z", "2");
	SETRUN_OK(cmdset_search, *state, "Hello0World9 o", "4;7");
	SETRUN_OK(cmdset_search, *state, "abc abc", "0");
	SETRUN_OK(cmdset_search, *state, "a a", "0");
}

static void test_no_match(void **state)
{
	SETRUN_OK(cmdset_search, *state, "abcabc abd", "-1");
	SETRUN_OK(cmdset_search, *state, "abc A", "-1");
	SETRUN_OK(cmdset_search, *state, "abc abcd", "-1");
	SETRUN_OK(cmdset_search, *state, "a aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "-1");
	SETRUN_OK(cmdset_search, *state, "ab ba", "-1");
}

static void test_three_lines(void **state)
{
	/* The caller joins `exec ID`, TEXT and PATTERN lines with '\n'. */
	SETRUN_OK(cmdset_search, *state, "\nabracadabra\nabra", "0;7");
	SETRUN_OK(cmdset_search, *state, "abracadabra\r\nabra\r\n", "0;7");
	SETRUN_OK(cmdset_search, *state, " \t abracadabra \t\n\t cad \n", "4");
}

static void test_errors(void **state)
{
	SETRUN_ERR(cmdset_search, *state, "", "Expected TEXT PATTERN");
	SETRUN_ERR(cmdset_search, *state, "abc", "Expected TEXT PATTERN");
	SETRUN_ERR(cmdset_search, *state, "\nabc\n", "Expected TEXT PATTERN");
	SETRUN_ERR(cmdset_search, *state, "abc b c", "Expected TEXT PATTERN");
	SETRUN_ERR(cmdset_search, *state, "ab!c b c", "Expected TEXT PATTERN");
	SETRUN_ERR(cmdset_search, *state, "ab-c b", "Invalid character in text");
	SETRUN_ERR(cmdset_search, *state, "ab\001c b", "Invalid character in text");
	SETRUN_ERR(cmdset_search, *state, "ab-c b_", "Invalid character in text");
	SETRUN_ERR(cmdset_search, *state, "abc b_", "Invalid character in pattern");
	SETRUN_ERR(cmdset_search, *state, "abc \303\251", "Invalid character in pattern");
	/* Even when the pattern is too long to match, a bad one is an error. */
	SETRUN_ERR(cmdset_search, *state, "abc abcd!", "Invalid character in pattern");
	SETRUN_ERR(cmdset_search, *state, "abc abcdefgh!", "Invalid character in pattern");
}

/* Against a naive search, on a two-letter alphabet where matches overlap a lot. */
static void test_random_vs_naive(void **state)
{
	unsigned seed = 11;
	struct buf in = { 0 }, want = { 0 };
	char text[400], pat[12];
	for (int round = 0; round < 300; round++) {
		size_t n = 1 + (size_t)rand_r(&seed) % 300, m = 1 + (size_t)rand_r(&seed) % 8;
		const char *abc = round % 3 ? "ab" : "aB0";
		size_t k = strlen(abc);
		for (size_t i = 0; i < n; i++)
			text[i] = abc[(size_t)rand_r(&seed) % k];
		for (size_t i = 0; i < m; i++)
			pat[i] = abc[(size_t)rand_r(&seed) % k];
		text[n] = pat[m] = '\0';
		buf_reset(&want);
		for (size_t i = 0; i + m <= n; i++)
			if (memcmp(text + i, pat, m) == 0)
				assert_int_equal(
					buf_printf(&want, "%s%zu", want.len ? ";" : "", i), 0);
		if (!want.len)
			assert_int_equal(buf_puts(&want, "-1"), 0);
		buf_reset(&in);
		assert_int_equal(buf_printf(&in, "%s\n%s", text, pat), 0);
		SETRUN_OK(cmdset_search, *state, in.data, want.data);
	}
	buf_free(&in);
	buf_free(&want);
}

/* Every position matches: a long answer, built right and without a ';' too many. */
static void test_big_answer(void **state)
{
	enum { N = 1000000 };
	struct buf in = { 0 }, out = { 0 }, want = { 0 };
	assert_int_equal(buf_reserve(&in, N + 3), 0);
	memset(in.data, 'a', N);
	memcpy(in.data + N, " a", 3);
	in.len = N + 2;
	for (size_t i = 0; i < N; i++)
		assert_int_equal(buf_printf(&want, "%s%zu", i ? ";" : "", i), 0);
	assert_int_equal(setrun_chunked(&cmdset_search, *state, in.data, in.len, 65536, 0, &out),
			 CMDSET_OK);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);
	assert_int_equal(out.data[out.len], '\0');
	/* The state keeps no text once answered. */
	SETRUN_OK(cmdset_search, *state, "b a", "-1");
	buf_free(&in);
	buf_free(&out);
	buf_free(&want);
}

static void test_begin_abandons(void **state)
{
	struct buf out = { 0 };
	void *st = *state;
	cmdset_search.begin(st);
	cmdset_search.feed(st, "xxxx x", 6);
	cmdset_search.begin(st);
	cmdset_search.feed(st, "yxy ", 4);
	cmdset_search.feed(st, "y", 1);
	assert_int_equal(cmdset_search.end(st, &out), CMDSET_OK);
	assert_string_equal(setrun_text(&out), "0;2");
	/* Abandoned with a text held: the teardown frees it (ASan checks). */
	cmdset_search.begin(st);
	cmdset_search.feed(st, "abandoned", 9);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_matches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_three_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_vs_naive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_abandons, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
