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

void *link_ctx_new(void);
/* ROUTER for children, bound to `bind`; writes the endpoint bound. NULL on failure (errno
 * set). */
void *link_router(void *ctx, const char *bind, char *endpoint, size_t size);
/* DEALER to the parent's ROUTER, routing id from `id`. NULL on failure. */
void *link_dealer(void *ctx, int32_t id, const char *endpoint);
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
