/* uplink.c - a compute node's link to its parent, its moves, and its orphan's link to the
 * grandparent or the control node. */
#include "uplink.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "child.h"
#include "link.h"
#include "log.h"
#include "remote.h"

void *uplink_open(struct node *n, const char *endpoint, const char *server, void **mon)
{
	char name[32];
	struct link_remote remote;
	void *up = link_dealer(n->ctx, n->id, endpoint,
			       remote_uplink(n, endpoint, server, &remote));
	snprintf(name, sizeof name, "up-%u", ++n->uplinks);
	/* The parent is gone when the connection closes or, before it was ever made, is
	 * refused: on loopback only a closed port refuses. */
	*mon = up ? link_monitor(n->ctx, up, name,
				 ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED) : NULL;
	if (up && !*mon)
		link_close(&up);
	return up;
}

void uplink_note(struct node *n, const char *endpoint)
{
	snprintf(n->up_endpoint, sizeof n->up_endpoint, "%s", endpoint);
	if (n->up_fd < 0)
		n->up_fd = rundir_open_up(&n->run, n->down.endpoint);
	if (n->up_fd < 0 || rundir_write_up(n->up_fd, endpoint) < 0)
		log_debug("cannot note the uplink for the children: %s", strerror(errno));
}

/* The new uplink to endpoint replaces the old, which is closed with time to flush what it
 * carries. */
static void replace(struct node *n, void *up, void *mon, int linger, const char *endpoint)
{
	link_unmonitor(n->up, &n->up_mon);
	zmq_setsockopt(n->up, ZMQ_LINGER, &linger, sizeof linger);
	zmq_close(n->up);
	n->up = up;
	n->up_mon = mon;
	uplink_note(n, endpoint);
}

/* Joins another parent: HELLO there first (answers travel the new way from now on), BYE
 * to the old parent last. Requests for this subtree are held by the control node meanwhile. */
void uplink_move(struct node *n, const struct msg *m)
{
	char buf[PROTO_FIELDS_MAX];
	const char *f[2];
	void *mon;
	if (proto_read_fields(m, buf, f, 2) < 0)
		return;
	void *up = uplink_open(n, f[0], f[1], &mon);
	if (!up) {
		static const char why[] = "Cannot move: no link to the new parent";
		proto_send_rep(n->up, m->req, n->id, REP_ERR, why, sizeof why - 1);
		return;
	}
	log_debug("moving to %s", f[0]);
	proto_send_hello(up, n->id, getpid(), n->down.endpoint);
	/* The old path learns the move is answered (it no longer waits for it), its parent
	 * that this child is gone without a loss. */
	proto_send_rep(n->up, m->req, n->id, REP_OK, NULL, 0);
	proto_send_bye(n->up, n->id);
	replace(n, up, mon, 1000, f[0]);
	n->orphan = UPLINK_PARENT;
}

/* On this host the grandparent is joined by the same socket: the dead parent's link is
 * dropped and the new one made, with no new socket nor monitor for each of a heal's many
 * orphans at once. Nothing on the old link can arrive any more. */
static bool to_grandparent(struct node *n)
{
	char grand[PROTO_ENDPOINT_MAX];
	if (rundir_get_up(&n->run, n->up_endpoint, grand, sizeof grand) < 0 ||
	    strncmp(grand, "ipc://", 6) != 0 || zmq_disconnect(n->up, n->up_endpoint) < 0)
		return false;
	snprintf(n->gone_endpoint, sizeof n->gone_endpoint, "%s", n->up_endpoint);
	if (zmq_connect(n->up, grand) < 0)
		return false;
	uplink_note(n, grand);
	return true;
}

/* To the grandparent first, which holds it until the control node says where it goes; to
 * the control node's own link when that is not known or is gone too. */
bool uplink_lost(struct node *n, const char *endpoint)
{
	char control[PROTO_ENDPOINT_MAX];
	void *up, *mon;
	if (n->gone_endpoint[0] && strcmp(endpoint, n->gone_endpoint) == 0)
		return true;	/* news of the link dropped already */
	if (n->orphan == UPLINK_PARENT && to_grandparent(n)) {
		n->orphan = UPLINK_GRAND;
		log_debug("parent gone: asking the grandparent");
		proto_send_hello(n->up, n->id, getpid(), n->down.endpoint);
		child_tell_again(n);
		return true;
	}
	if (n->orphan == UPLINK_CONTROL || (!n->control &&
	    rundir_endpoint(&n->run, "control", control, sizeof control) < 0))
		return false;
	if (n->control)
		snprintf(control, sizeof control, "%s", n->control);
	up = uplink_open(n, control, n->control ? n->control_key : NULL, &mon);
	if (!up)
		return false;
	n->orphan = UPLINK_CONTROL;
	log_debug("parent gone: asking the control node");
	proto_send_hello(up, n->id, getpid(), n->down.endpoint);
	replace(n, up, mon, 0, control);	/* nothing on the old link can arrive */
	child_tell_again(n);
	return true;
}
