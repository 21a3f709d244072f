/* child.h - a compute node's records of its children: started here, expected to move here,
 * up, or moved away (node.h, enum child_state). */
#ifndef MQTREE_CHILD_H
#define MQTREE_CHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <zmq.h>

#include "node_types.h"
#include "proto.h"

/* Any record of child id, whatever its state; NULL if none. */
struct child *child_find(struct node *n, int32_t id);
/* Whether c's connection is here: it is up, or an orphan waiting here. */
bool child_is_here(const struct child *c);
/* Child id if it is up. */
struct child *child_up(struct node *n, int32_t id);
/* The child started here as process pid. */
struct child *child_by_pid(struct node *n, pid_t pid);
/* A new record, zeroed but for its id (out of memory is fatal: log.h). */
struct child *child_add(struct node *n, int32_t id);
/* Sets c's state; a connection may take over a held routing id only while a child is
 * started or expected. */
void child_set_state(struct node *n, struct child *c, enum child_state state);
/* Forgets c and what it was sent; pointers to records may move. */
void child_remove(struct node *n, struct child *c);
/* --heal: a node on this host whose parent, our child, died says HELLO here (from, m): it
 * waits as an orphan, and the control node is told, to adopt it here, move it on, or end it. */
void child_orphan(struct node *n, int32_t from, const struct msg *m);

/* --heal: news of its subtree from an orphan here (a loss, an orphan come to it) is kept
 * until the control node shows it knows the orphan (adopts it here or moves it on): until
 * then anyone saying HELLO here could claim anything. Passed on in order, or dropped with the
 * orphan's record (child_remove). */
void child_keep_news(struct node *n, int32_t from, zmq_msg_t *msg);
void child_pass_news(struct node *n, int32_t id);

/* Tells the control node (by the uplink) that child id, process pid, is lost; the news is
 * kept to tell again (child_tell_again). */
void child_tell_lost(struct node *n, int32_t id, pid_t pid);
/* --heal: the uplink has changed because the parent died: the last losses told, and the
 * orphans waiting here, are told again on the new one. The control node drops what it knew. */
void child_tell_again(struct node *n);

#endif
