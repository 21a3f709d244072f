/* Command line tokens and numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "parse.h"

static struct word tok(const char *s)
{
	struct word t = { s, strlen(s) };
	return t;
}

static void test_tokens(void **state)
{
	(void)state;
	struct tokens t;
	const char *line = " \tcreate  12\t-1 \r";
	parse_tokens(line, strlen(line), &t);
	assert_int_equal(t.n, 3);
	assert_true(parse_is(&t.tok[0], "create"));
	assert_true(parse_is(&t.tok[1], "12"));
	assert_true(parse_is(&t.tok[2], "-1"));
	assert_false(t.more);

	line = "exec 5 3 1 2 3 4 5";
	parse_tokens(line, strlen(line), &t);
	assert_int_equal(t.n, PARSE_MAX_TOKENS);
	assert_true(t.more);
	assert_int_equal(t.rest_len, strlen(" 3 1 2 3 4 5"));
	assert_memory_equal(t.rest, " 3 1 2 3 4 5", t.rest_len);

	parse_tokens("   ", 3, &t);
	assert_int_equal(t.n, 0);
	parse_tokens("exec 5", 6, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.rest_len, 0);
	/* NUL bytes are not separators: binary garbage stays one token */
	parse_tokens("a\0b c", 5, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.tok[0].len, 3);
}

static void test_ids(void **state)
{
	(void)state;
	int32_t id;
	int64_t parent;
	struct word t;
	t = tok("0");
	assert_int_equal(parse_id(&t, &id), 0);
	assert_int_equal(id, 0);
	t = tok("2147483647");
	assert_int_equal(parse_id(&t, &id), 0);
	assert_int_equal(id, 2147483647);
	/* Leading zeros: one rule whatever their number. */
	const char *seven[] = { "7", "007", "00000000000000000007", "0000000000000000000000000007" };
	for (size_t i = 0; i < sizeof seven / sizeof seven[0]; i++) {
		t = tok(seven[i]);
		assert_int_equal(parse_id(&t, &id), 0);
		assert_int_equal(id, 7);
	}
	const char *bad[] = { "2147483648", "-1", "+1", "1x", "x", "", "99999999999999999999",
			      " 1", "0x10", "00000000002147483648" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = tok(bad[i]);
		assert_int_equal(parse_id(&t, &id), -1);
	}
	t = tok("-1");
	assert_int_equal(parse_parent(&t, &parent), 0);
	assert_int_equal(parse_parent(&t, &parent), 0);
	assert_int_equal(parent, -1);
	t = tok("-2");
	assert_int_equal(parse_parent(&t, &parent), -1);
	t = tok("17");
	assert_int_equal(parse_parent(&t, &parent), 0);
	assert_int_equal(parent, 17);
}

static void test_quote(void **state)
{
	(void)state;
	struct buf b = { 0 };
	buf_quote(&b, "x", 1);
	assert_string_equal(b.data, "'x'");
	buf_reset(&b);
	buf_quote(&b, "a\0\xff\n", 4);
	assert_string_equal(b.data, "'a?\?\?'");
	buf_reset(&b);
	char longtok[100];
	memset(longtok, 'z', sizeof longtok);
	buf_quote(&b, longtok, sizeof longtok);
	assert_int_equal(b.len, 1 + 32 + 3 + 1);
	assert_memory_equal(b.data + 33, "...'", 4);
	buf_free(&b);
}

/* An answer from a node stays one line whatever its bytes. */
static void test_escape(void **state)
{
	(void)state;
	struct buf b = { 0 };
	buf_escape(&b, "Ok:1: x\nOk:1: y", 15);
	assert_string_equal(b.data, "Ok:1: x\\nOk:1: y");
	buf_reset(&b);
	buf_escape(&b, "a\0b\r\t\x7f\x1b[2J\xc3\xa9", 12);
	assert_string_equal(b.data, "a\\x00b\\r\\t\\x7f\\x1b[2J\xc3\xa9");
	assert_null(memchr(b.data, '\n', b.len));
	buf_reset(&b);
	buf_escape(&b, "", 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
