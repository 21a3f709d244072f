/* uplink.h - a compute node's link to its parent: opened at start, replaced by a move, and
 * with --heal replaced by one to the grandparent or the control node when the parent dies
 * (the node is then an orphan: the control node says where it goes, or that it ends).
 */
#ifndef MQTREE_UPLINK_H
#define MQTREE_UPLINK_H

#include <stdbool.h>

#include "node_types.h"
#include "proto.h"

/* A DEALER to the parent at endpoint (server: its host key, when on another host), watched by
 * *mon; NULL on failure. */
void *uplink_open(struct node *n, const char *endpoint, const char *server, void **mon);
/* OP_MOVE: joins the parent m names. */
void uplink_move(struct node *n, const struct msg *m);
/* The uplink to endpoint closed or could not be made: true when the node goes on as an orphan
 * on a link to its grandparent or to the control node (its HELLO is on its way there), or
 * that link was dropped already; false when it is to end (it had asked the control node
 * already, or cannot). */
bool uplink_lost(struct node *n, const char *endpoint);
/* The uplink goes to endpoint now: noted where the children look if this node dies. */
void uplink_note(struct node *n, const char *endpoint);

#endif
