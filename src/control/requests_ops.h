/* requests_ops.h - what the request engine (requests.h) needs from outside. */
#ifndef MQTREE_RQ_OPS_H
#define MQTREE_RQ_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

/* What the engine needs from outside: the control's loop wires the real ones, unit tests
 * fakes. Every call gets `arg`. */
struct requests_ops {
	/* One message down path[0..npath) (path[0]: the depth-1 node); -1 when it cannot go
	 * (the request is then answered as unavailable). */
	int (*send)(void *arg, uint32_t req, uint8_t op, uint8_t flags, const int32_t *path,
		    size_t npath, const void *body, size_t len);
	/* Starts node id on host for create req: its parent at parent_ep with key parent_key
	 * (NULL: the control node). 0 with *pid (started here), 1 (its host's agent was asked:
	 * it answers req, requests_spawn_answer), or -1 with errno. */
	int (*spawn)(void *arg, uint32_t req, int32_t id, int host, const char *parent_ep,
		     const char *parent_key, pid_t *pid);
	/* The public key nodes on host authenticate with (hosts_key). */
	const char *(*host_key)(void *arg, int host);
	/* Ends node id's process, pid, at once. */
	void (*kill)(void *arg, pid_t pid, int32_t id);
	/* One answer line, to the command given the tag (requests_tag). */
	void (*print)(void *arg, uint64_t tag, const char *line, size_t len);
	int64_t (*now)(void *arg);
	/* A remove is due (moves.h, moves_remove); a list insertion's new node is up (moves_adopt).
	 */
	void (*move_remove)(void *arg, uint32_t req, int32_t id);
	void (*move_adopt)(void *arg, uint32_t req, int32_t id, int32_t child, int32_t from,
			   struct buf *held);
	/* --heal: node id died; its children (the nodes in `held`, taken over) are re-attached
	 * (moves_heal), then requests_healed. */
	void (*move_heal)(void *arg, int32_t id, struct buf *held);
	/* Whether a message to depth-1 node id would be taken on the link: a process that has
	 * ended may hold its id there a moment longer. */
	bool (*linked)(void *arg, int32_t id);
	void *arg;
};

#endif
