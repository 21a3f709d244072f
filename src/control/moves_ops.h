/* moves_ops.h - what moves (moves.h) need from outside. */
#ifndef MQTREE_MOVES_OPS_H
#define MQTREE_MOVES_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

/* What moves need from outside: the control's loop wires the request engine and the
 * downlink in, unit tests fakes. Every call gets `arg`. */
struct moves_ops {
	/* One message down path[0..npath); -1 when it cannot go. */
	int (*send)(void *arg, uint32_t req, uint8_t op, uint8_t flags, const int32_t *path,
		    size_t npath, const void *body, size_t len);
	int64_t (*now)(void *arg);
	/* Ends node id's process, pid, at once. */
	void (*kill)(void *arg, pid_t pid, int32_t id);
	/* The public key nodes on host authenticate with (hosts_key). */
	const char *(*host_key)(void *arg, int host);
	/* The request engine: a fresh request id; whether a request to id's subtree is on its
	 * way (its answer may still come by the old path: the subtree must not move yet);
	 * holding a subtree's requests while it moves (the nodes held are added to `held`, i32
	 * ids) and releasing exactly those afterwards; the node a pending list insertion took
	 * child over from (else TOPO_NONE); answering the remove or create a job carries out
	 * (taking the removed node out when told); a node lost on its way. */
	uint32_t (*new_id)(void *arg);
	bool (*in_flight)(void *arg, int32_t id);
	void (*hold)(void *arg, int32_t id, struct buf *held);
	void (*release)(void *arg, struct buf *held);
	int32_t (*adopt_from)(void *arg, int32_t parent, int32_t child);
	void (*answer)(void *arg, uint32_t req, const char *line, bool remove_node);
	void (*lost)(void *arg, int32_t id);
	/* A heal is over: the nodes it held go on (requests_healed). */
	void (*healed)(void *arg, struct buf *held);
	void *arg;
};

#endif
