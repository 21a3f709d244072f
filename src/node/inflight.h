/* inflight.h - what a compute node has sent down to each child and waits to hear back: the
 * requests by id, and the HELLOs of nodes being created or moved somewhere below that child.
 * A message from a child that answers none of these is not from where it claims to be, and
 * is dropped: a node speaks only for itself and its own subtree. */
#ifndef MQTREE_INFLIGHT_H
#define MQTREE_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct inflight;

struct inflight *inflight_new(void);
void inflight_destroy(struct inflight **f);

/* Request req for node target went down to child (again, for an exec's later pieces).
 * 0, or -1 when out of memory. */
int inflight_sent(struct inflight *f, uint32_t req, int32_t child, int32_t target);
/* An answer to req from node id came up from child: true when one was awaited from there.
 * A final answer ends the request. */
bool inflight_answer(struct inflight *f, uint32_t req, int32_t child, int32_t id, bool final);

/* Node id is being created (by request req) or moved (req 0) below child: its HELLO will
 * come up from there. A final answer to req calls it off. */
int inflight_expect(struct inflight *f, int32_t child, int32_t id, uint32_t req);
/* The HELLO of node id came up from child: true (once) when it was expected there; it
 * answers the create that awaited it. */
bool inflight_hello(struct inflight *f, int32_t child, int32_t id);
/* The create of node id was called off: no HELLO of it is awaited any more. */
void inflight_forget(struct inflight *f, int32_t id);

/* The child is gone, or has moved away: nothing more is awaited from it. */
void inflight_drop_child(struct inflight *f, int32_t child);
size_t inflight_count(const struct inflight *f);

#endif
