/* link.h - the ZeroMQ sockets that join a node to its parent and its children, and how a
 * lost child is found.
 *
 * Every process binds one ROUTER for its children, on an ipc:// socket in the instance's
 * private directory (rundir.h), and, unless it is the control node, connects one DEALER to
 * its parent's ROUTER with its id as routing id. ZeroMQ does not say which peer of a ROUTER went away, so on a
 * DISCONNECTED event the owner probes its children: a send to a child whose connection is gone
 * fails at once with EHOSTUNREACH (ROUTER_MANDATORY). Follow-up rounds catch a pipe that
 * ZeroMQ tears down a moment after the event.
 */
#ifndef MQTREE_LINK_H
#define MQTREE_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "keys.h"

void *link_ctx_new(void);
/* ROUTER for children, bound to `bind` (NULL: not yet); writes the endpoint bound. NULL on
 * failure (errno set). */
void *link_router(void *ctx, const char *bind, char *endpoint, size_t size);
/* One more endpoint for sock; the one bound (a port the kernel chose) goes to endpoint. */
int link_bind(void *sock, const char *bind, char *endpoint, size_t size);
/* A link to another host: CURVE with this host's key pair, to a server with public key
 * `server`, and ZMTP heartbeats that close the connection when the other end has been silent
 * for timeout_ms (a host that vanished without closing it). */
struct link_remote {
	const struct keypair *kp;
	const char *server;
	int timeout_ms;
};

/* DEALER to the parent's ROUTER, routing id from `id`; over CURVE when remote is not NULL.
 * NULL on failure. */
void *link_dealer(void *ctx, int32_t id, const char *endpoint,
		  const struct link_remote *remote);
/* Makes the endpoints sock binds from now on CURVE servers with kp, their clients checked by
 * the process's ZAP handler under `domain`, with heartbeats after timeout_ms of silence. */
int link_serve_remote(void *sock, const struct keypair *kp, const char *domain, int timeout_ms);
/* The user id the ZAP handler gave msg's connection (the peer host's key), "" for a local
 * link. */
const char *link_user(zmq_msg_t *msg);
/* PAIR socket receiving `events` of sock; name must be unique in the context. */
void *link_monitor(void *ctx, void *sock, const char *name, int events);
/* Reads one event: 0 with *event and the endpoint it concerns, 1 if none waiting, -1 error. */
int link_monitor_read(void *mon, int *event, char *endpoint, size_t size);
/* Closes *sock (with linger 0) and sets it to NULL. */
void link_close(void **sock);
/* Stops sock's monitor and closes the reading end *mon. libzmq sends monitor events with a
 * blocking send, from its I/O thread: an event with nobody left to read it would stall every
 * socket of the process. So a monitor is always stopped before its reader goes. */
void link_unmonitor(void *sock, void **mon);

/* Raises the open-file limit to its hard maximum: one connection per child. */
void link_raise_fd_limit(void);

#endif
