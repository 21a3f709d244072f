/* remote.h - a compute node's links to other hosts.
 *
 * A node whose parent is on another host connects to it over CURVE with its host's key pair
 * (--key) and the parent host's public key (--server-key, or what a move names). A node given
 * a child on another host listens for it on tcp://ADDRESS:* (--address) from then on, CURVE
 * with its own host's key, and its ZAP handler lets in only the hosts of the children it was
 * told of: every message from a child must come over a connection with that child's host key
 * (link_user), or it is dropped.
 */
#ifndef MQTREE_REMOTE_H
#define MQTREE_REMOTE_H

#include <stdint.h>

#include "link.h"
#include "node_types.h"

/* Loads the key pair when given; a node the agent started ends with it. 0, or -1 (said). */
int remote_setup(struct node *n);
void remote_close(struct node *n);
/* The CURVE options to reach endpoint with, server the host key there; NULL for a local
 * one (ipc://). */
const struct link_remote *remote_uplink(struct node *n, const char *endpoint,
					 const char *server, struct link_remote *out);
/* Listens for children on other hosts (once) and answers req with where (REP_LISTEN). An
 * error is answered instead: false. */
bool remote_listen(struct node *n, uint32_t req);

#endif
