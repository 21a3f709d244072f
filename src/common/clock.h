/* clock.h - monotonic time in milliseconds, the only clock mqtree uses for deadlines. */
#ifndef MQTREE_CLOCK_H
#define MQTREE_CLOCK_H

#include <stdint.h>

typedef int64_t (*clock_ms_fn)(void);

int64_t clock_ms(void);

#endif
