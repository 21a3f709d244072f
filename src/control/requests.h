/* requests.h - everything the control node has asked and not yet answered.
 *
 * Each request is queued at the node it concerns. A node's queue is sent strictly in order
 * (an exec's pieces all go before the next request) and only once the node is up, so commands
 * may name a node whose create is still under way. Answers print as they come, except that the
 * answers of one node's exec, ping and kill print in the order they were given.
 *
 * A request fails as unavailable at once when its node is known lost, and otherwise when its
 * node stops answering liveness probes for --timeout: a busy node still answers them.
 */
#ifndef MQTREE_REQUESTS_H
#define MQTREE_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "proto.h"
#include "requests_ops.h"

struct heartbit;
struct topo;
struct topo_node;

/* A started node's time to say HELLO, and a moving node's time to arrive, at least: a
 * machine starting hundreds of processes at once is slow, not stuck. */
#define HELLO_MIN_MS 10000


/* The engine works on the tree model `topo`, notes what it hears in `hb`, and gives up on a
 * silent node after timeout_ms. */
struct requests *requests_new(struct topo *topo, struct heartbit *hb, int timeout_ms,
			      const struct requests_ops *ops);
void requests_destroy(struct requests **rq);
/* Carries out what the last event decided: nodes taken out, creates admitted. The loop
 * calls it once after every event it hands to the engine. */
void requests_settle(struct requests *rq);

/* Commands. Each prints exactly one answer, now or later. */
void requests_create(struct requests *rq, int32_t id, int64_t parent, int host);
void requests_ping(struct requests *rq, int32_t id);
void requests_pingall(struct requests *rq);
void requests_kill(struct requests *rq, int32_t id);
void requests_remove(struct requests *rq, int32_t id);
/* exec: begin returns the id the console streams the arguments to (0: already answered);
 * feed and end with an id that is no longer pending are ignored. */
uint32_t requests_exec_begin(struct requests *rq, int32_t id);
void requests_exec_feed(struct requests *rq, uint32_t req, const char *data, size_t len);
void requests_exec_end(struct requests *rq, uint32_t req);
/* The commands, as far as whether they must wait (requests_waits). */
enum requests_cmd { RQ_CREATE, RQ_EXEC, RQ_PING, RQ_KILL, RQ_REMOVE, RQ_WHOLE };
/* True when a command given now must wait (stop reading input before its line): it touches
 * what an unfinished remove, kill or list insertion changes, so its answer depends on how
 * that ends. A create touches PARENT's path (and in a list PARENT's child), an exec or ping
 * the path to its node, a kill or remove that and the subtree; RQ_WHOLE (pingall, tree) and
 * creates in bst and balanced the whole tree. Everything else goes on at once. */
bool requests_waits(struct requests *rq, enum requests_cmd cmd, int32_t id, int64_t parent);
/* The requests made from now on answer the command given this tag (requests_ops.print). */
void requests_tag(struct requests *rq, uint64_t tag);
/* False while the exec's arguments wait for the node to take them (stop reading input). */
bool requests_exec_can_feed(struct requests *rq, uint32_t req);

/* Events from the network. */
/* `from` is the depth-1 node whose link the message came on. What a node may not say from
 * there is dropped and counted (requests_dropped). */
void requests_on_reply(struct requests *rq, int32_t from, const struct msg *m);
void requests_on_hello(struct requests *rq, int32_t from, int32_t id, pid_t pid,
		       const char *endpoint);
/* May `parent` report node id (process pid, 0: unknown) lost: its parent, or by the exit
 * status of its process the node that started it? (The parent it moves to: moves.h.) */
bool requests_may_report_lost(struct requests *rq, int32_t id, pid_t pid, int32_t parent);
void requests_dropped(struct requests *rq, const char *what, int32_t id, int32_t from);
/* For moves.c: a fresh request id; holding the requests of a subtree while it moves (the
 * nodes held are added to `held`, i32 ids) and releasing exactly those nodes afterwards
 * (holds count: a node may be part of several moves); answering a remove or create, taking
 * node `remove_node` out when told. */
uint32_t requests_new_id(struct requests *rq);
/* True while a request to id's subtree is on its way (sent, not answered): its answer may
 * still be on the old path, so the subtree must not move yet. */
bool requests_in_flight(struct requests *rq, int32_t id);
void requests_hold(struct requests *rq, int32_t id, struct buf *held);
/* The node that child is under in fact, while a list insertion that put it under parent in
 * the model waits for parent to come up; else TOPO_NONE. */
int32_t requests_adopt_from(struct requests *rq, int32_t parent, int32_t child);
void requests_release(struct requests *rq, struct buf *held);
void requests_answer(struct requests *rq, uint32_t req, const char *line, bool remove_node);

/* --heal (and `heal on|off`): whether a dead node's children live on, re-attached where
 * `remove` would put them. For moves.c: a heal is over; the nodes held (and fenced) for it go
 * on by their new paths. */
void requests_set_heal(struct requests *rq, bool on);
bool requests_healing(const struct requests *rq);
void requests_healed(struct requests *rq, struct buf *held);

/* A message from node id: it is alive. */
void requests_heard(struct requests *rq, int32_t id);
/* Node id (if it still is that pid; 0 matches any) is gone: it and its subtree are lost, or
 * with --heal it alone (requests_set_heal). */
void requests_on_lost(struct requests *rq, int32_t id, pid_t pid);
/* From the agent of host: an answer to the MSG_SPAWN of a create; node id (process pid) it
 * started ended; the agent is gone (the creates waiting for it fail). */
void requests_spawn_answer(struct requests *rq, int host, const struct msg *m);
void requests_node_exit(struct requests *rq, int host, int32_t id, pid_t pid);
void requests_host_down(struct requests *rq, int host);
/* A process this control node started (a depth-1 node) ended. */
void requests_on_exit(struct requests *rq, pid_t pid, const char *why);

/* Deadlines and liveness: run at requests_next_wake(). */
void requests_tick(struct requests *rq, int64_t now);
int64_t requests_next_wake(struct requests *rq);
/* Frees the requests answered since the last call: once per turn of the loop. */
void requests_reap(struct requests *rq);
/* Requests still waiting for an answer. */
size_t requests_pending(struct requests *rq);
/* Answers every pending request as unavailable (exit after its wait); creates too, or (the
 * wait of --timeout is over) not: they have their own window. */
void requests_fail_all(struct requests *rq, bool creates);
/* Ends every node by pid and empties the tree. */
void requests_kill_all(struct requests *rq);

#endif
