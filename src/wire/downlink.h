/* downlink.h - a process's link to its children: one ROUTER that they connect to, and the
 * probing that finds which of them went away (link.h says why probing is needed). The
 * control node and every compute node have one. */
#ifndef MQTREE_DOWNLINK_H
#define MQTREE_DOWNLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "proto.h"

/* Probe rounds after a disconnect: now, then a few follow-ups. */
struct reprobe {
	int64_t next;	/* when the next round is due; INT64_MAX when none */
	int step;
};

struct downlink {
	void *sock;	/* the ROUTER; children's routing ids are their node ids */
	void *mon;	/* its DISCONNECTED events */
	struct reprobe reprobe;
	char endpoint[PROTO_ENDPOINT_MAX];
	char remote[PROTO_ENDPOINT_MAX];	/* children on other hosts: tcp://, "" if none */
};

/* Binds the ROUTER to `bind` (the endpoint bound in dl->endpoint) and its monitor, named
 * `name` (unique in ctx). -1 on failure, errno set; downlink_close cleans up either way. */
int downlink_open(struct downlink *dl, void *ctx, const char *name, const char *bind);
void downlink_close(struct downlink *dl);
/* Also listens for children on other hosts on tcp://ADDRESS (the kernel picks the port;
 * once), CURVE with key pair kp, clients checked by the ZAP handler under `domain`. 0, or -1
 * with errno. */
int downlink_listen(struct downlink *dl, const char *address, const struct keypair *kp,
		    const char *domain, int timeout_ms);

/* A request down path[0..npath) (path[0]: the child it goes to). -1 when it cannot go; a
 * child found gone starts a probe round, whose findings the loop takes up later, not in the
 * middle of a send. */
int downlink_send_req(struct downlink *dl, uint32_t req, uint8_t op, uint8_t flags,
		      const int32_t *path, size_t npath, const void *body, size_t len);

/* The loop's side of probing: read the monitor when it is readable; at downlink_next_probe()
 * run downlink_probe_due(), and when it says so probe each child with downlink_probe(),
 * which is -1 for a child that is gone. */
void downlink_watch(struct downlink *dl, int64_t now);
int64_t downlink_next_probe(const struct downlink *dl);
bool downlink_probe_due(struct downlink *dl, int64_t now);
int downlink_probe(struct downlink *dl, int32_t child);

#endif
