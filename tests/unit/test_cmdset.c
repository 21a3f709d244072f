/* test_cmdset.c - the table of command sets, and what every set promises the node. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "cmdset.h"

static const struct cmdset *const all[] = { &cmdset_sum, &cmdset_dict, &cmdset_timer,
					    &cmdset_search };

static void test_find(void **state)
{
	(void)state;
	assert_ptr_equal(cmdset_find("sum"), &cmdset_sum);
	assert_ptr_equal(cmdset_find("dict"), &cmdset_dict);
	assert_ptr_equal(cmdset_find("timer"), &cmdset_timer);
	assert_ptr_equal(cmdset_find("search"), &cmdset_search);
	assert_null(cmdset_find(""));
	assert_null(cmdset_find("Sum"));
	assert_null(cmdset_find("sum "));
	assert_null(cmdset_find("su"));
	assert_null(cmdset_find("searches"));
}

/* cmdset_names is spelled out in cmdset.c: it must list every set, in table order. */
static void test_names(void **state)
{
	(void)state;
	char names[64] = "";
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (i)
			strcat(names, "|");
		strcat(names, all[i]->name);
		assert_ptr_equal(cmdset_find(all[i]->name), all[i]);
	}
	assert_string_equal(cmdset_names(), names);
}

static void test_entries(void **state)
{
	(void)state;
	assert_string_equal(cmdset_sum.usage, "exec ID N K1 ... KN");
	assert_string_equal(cmdset_dict.usage, "exec ID NAME [VALUE]");
	assert_string_equal(cmdset_timer.usage, "exec ID start|stop|time");
	assert_string_equal(cmdset_search.usage,
			    "exec ID TEXT PATTERN (or exec ID, then TEXT and PATTERN on the next "
			    "two lines)");
	assert_int_equal(cmdset_sum.bare_lines, 0);
	assert_int_equal(cmdset_dict.bare_lines, 0);
	assert_int_equal(cmdset_timer.bare_lines, 0);
	assert_int_equal(cmdset_search.bare_lines, 2);
}

/* Every set: a fresh state answers an empty request with an error, out is replaced (not
 * appended to), and a state can be destroyed with a request open. */
static void test_lifecycle(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const struct cmdset *cs = all[i];
		assert_true(cs->state_new && cs->state_destroy && cs->begin && cs->feed &&
			    cs->end);
		void *st = cs->state_new(clock_ms);
		assert_non_null(st);
		struct buf out = { 0 };
		assert_int_equal(buf_puts(&out, "stale"), 0);
		cs->begin(st);
		assert_int_equal(cs->end(st, &out), CMDSET_ERR);
		assert_true(out.len > 0);
		assert_null(strstr(out.data, "stale"));
		assert_int_equal(strlen(out.data), out.len);
		cs->begin(st);
		cs->feed(st, "1 ", 2);
		cs->state_destroy(st);
		cs->state_destroy(NULL);
		buf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_lifecycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
