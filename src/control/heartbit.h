/* heartbit.h - the control node's book of node reports for `heartbit MS`.
 *
 * Every node reports once every MS ms (reports are batched per hop on the way up). A node
 * silent for 4*MS is reported unavailable once per outage; a report from it ends the outage.
 * Times are passed in, so the bookkeeping is tested with a made-up clock.
 */
#ifndef MQTREE_HEARTBIT_H
#define MQTREE_HEARTBIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEARTBIT_MISSED 4	/* periods of silence before a node is unavailable */

struct heartbit;

struct heartbit *heartbit_new(void);
void heartbit_destroy(struct heartbit **hb);
/* Sets the period (0: off). Every node's silence counts from now. */
void heartbit_set_period(struct heartbit *hb, int64_t ms, int64_t now);
int64_t heartbit_period(const struct heartbit *hb);
/* A node joined (its silence counts from now), or left the tree. */
void heartbit_track(struct heartbit *hb, int32_t id, int64_t now);
void heartbit_forget(struct heartbit *hb, int32_t id);
/* A report (or any message) from node id. */
void heartbit_seen(struct heartbit *hb, int32_t id, int64_t now);
/* Calls report(id) for every node that has just become unavailable (ascending ids). */
void heartbit_check(struct heartbit *hb, int64_t now, void (*report)(int32_t id, void *arg),
		    void *arg);
/* When heartbit_check has something to do next; INT64_MAX when never. */
int64_t heartbit_next(const struct heartbit *hb);

#endif
