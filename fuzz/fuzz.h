/* fuzz.h - what every fuzz target shares: libFuzzer's entry points and a check that stays in
 * release builds (assert does not: RelWithDebInfo defines NDEBUG). */
#ifndef MQTREE_FUZZ_H
#define MQTREE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                        \
	do {                                                                            \
		if (!(c)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                        \
		}                                                                       \
	} while (0)

#endif
