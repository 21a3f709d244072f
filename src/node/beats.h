/* beats.h - a compute node's heartbit reports: its own every period, aligned on the monotonic
 * clock (shared by every process of the machine, so a whole tree reports at once), and those
 * from below, all sent up together at most once per gap (period / 16). */
#ifndef MQTREE_BEATS_H
#define MQTREE_BEATS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct beats {
	int32_t ms;		/* the period; 0: no reports */
	int64_t next;		/* our own next report */
	int64_t sent;		/* when the last batch went up */
	struct buf pending;	/* i32 ids waiting to go up */
};

/* From now on a report every ms (0: none); what waits is dropped. */
void beats_set_period(struct beats *b, int32_t ms, int64_t now);
/* Reports to pass up (ours or from below); ignored while there is no period. */
void beats_add(struct beats *b, const int32_t *ids, size_t count);
/* Adds node self's own report when due and sends what waits on `up` when the gap allows.
 * Returns when to be called again (INT64_MAX: no period). */
int64_t beats_due(struct beats *b, int32_t self, void *up, int64_t now);
void beats_free(struct beats *b);

#endif
