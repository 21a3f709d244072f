/* The id table, against a plain array as the model: random puts, gets and deletes, with
 * keys that collide (consecutive ids, multiples of a power of two) and a sweep that deletes
 * as it goes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "idmap.h"

#define KEYS 4096

static uint32_t key_of(unsigned i)
{
	return i % 3 == 0 ? i : i % 3 == 1 ? i << 12 : UINT32_MAX - i;
}

static void test_against_model(void **state)
{
	(void)state;
	static int vals[KEYS];
	static void *model[KEYS];
	struct idmap m;
	assert_int_equal(idmap_init(&m), 0);
	srand(7);
	for (int step = 0; step < 200000; step++) {
		unsigned i = (unsigned)rand() % KEYS;
		uint32_t k = key_of(i);
		switch (rand() % 3) {
		case 0:
			assert_int_equal(idmap_put(&m, k, &vals[i]), 0);
			model[i] = &vals[i];
			break;
		case 1:
			assert_ptr_equal(idmap_del(&m, k), model[i]);
			model[i] = NULL;
			break;
		default:
			assert_ptr_equal(idmap_get(&m, k), model[i]);
			break;
		}
	}
	size_t n = 0;
	for (unsigned i = 0; i < KEYS; i++) {
		assert_ptr_equal(idmap_get(&m, key_of(i)), model[i]);
		n += model[i] != NULL;
	}
	assert_int_equal(m.count, n);
	assert_true(idmap_slots(&m) >= 2 * n);
	/* A sweep that deletes every value it meets, looking at a slot again after a delete. */
	for (size_t s = 0; s < idmap_slots(&m);) {
		if (idmap_at(&m, s))
			idmap_del(&m, m.slots[s].key);
		else
			s++;
	}
	assert_int_equal(m.count, 0);
	for (unsigned i = 0; i < KEYS; i++)
		assert_null(idmap_get(&m, key_of(i)));
	idmap_free(&m);
}

static void test_sorts_ids(void **state)
{
	(void)state;
	int32_t ids[] = { 5, -1, 2147483647, 0, -2147483647 - 1, 3 };
	qsort(ids, 6, sizeof ids[0], idmap_cmp_i32);
	for (size_t i = 1; i < 6; i++)
		assert_true(ids[i - 1] < ids[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_model),
		cmocka_unit_test(test_sorts_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
