/* uplink.c - a compute node's link to its parent, its moves, and its orphan's link to the
 * control node. */
#include "uplink.h"

#include <unistd.h>
#include <zmq.h>

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

/* The new uplink replaces the old, which is closed with time to flush what it carries. */
static void replace(struct node *n, void *up, void *mon, int linger)
{
	link_unmonitor(n->up, &n->up_mon);
	zmq_setsockopt(n->up, ZMQ_LINGER, &linger, sizeof linger);
	zmq_close(n->up);
	n->up = up;
	n->up_mon = mon;
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
	replace(n, up, mon, 1000);
	n->orphan = false;
}

bool uplink_lost(struct node *n)
{
	char control[PROTO_ENDPOINT_MAX];
	void *mon;
	if (n->orphan || (!n->control &&
			  rundir_endpoint(&n->run, "control", control, sizeof control) < 0))
		return false;
	void *up = n->control ? uplink_open(n, n->control, n->control_key, &mon)
			      : uplink_open(n, control, NULL, &mon);
	if (!up)
		return false;
	log_debug("parent gone: asking the control node");
	proto_send_hello(up, n->id, getpid(), n->down.endpoint);
	replace(n, up, mon, 0);	/* nothing on the old link can arrive */
	n->orphan = true;
	return true;
}
