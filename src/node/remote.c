/* remote.c - a compute node's links to other hosts (remote.h). */
#include "remote.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "zap.h"

/* Lets in the hosts of the children this node was told of, named by their key. */
static const char *allow(void *arg, const char *domain, const char *address, const char *key)
{
	struct node *n = arg;
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i].state != CHILD_MOVED && strcmp(n->children[i].key, key) == 0)
			return n->children[i].key;
	log_debug("refused %s from %s: not the host of a child", key, address);
	return NULL;
}

int remote_setup(struct node *n)
{
	char err[256];
	/* The agent's death ends what it started (and so their subtrees) */
	if (n->agent && (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != n->agent)) {
		log_warn("the agent that started this node is gone");
		return -1;
	}
	if (!n->key_file)
		return 0;
	if (keys_load(n->key_file, &n->kp, err, sizeof err) < 0) {
		log_warn("%s", err);
		return -1;
	}
	n->has_key = true;
	return 0;
}

void remote_close(struct node *n)
{
	zap_close(&n->zap);
	memset(&n->kp, 0, sizeof n->kp);
}

const struct link_remote *remote_uplink(struct node *n, const char *endpoint,
					 const char *server, struct link_remote *out)
{
	if (strncmp(endpoint, "tcp://", 6) != 0)
		return NULL;
	out->kp = &n->kp;
	out->server = server ? server : "";
	out->timeout_ms = n->timeout_ms;
	return out;
}

bool remote_listen(struct node *n, uint32_t req)
{
	const char *why = NULL;
	if (!n->has_key || !n->address)
		why = "Cannot start node: this host takes no children on other hosts";
	else if (!n->zap && !(n->zap = zap_open(n->ctx, allow, n)))
		why = "Cannot start node: no ZAP handler";
	else if (downlink_listen(&n->down, n->address, &n->kp, "node", n->timeout_ms) < 0)
		why = "Cannot start node: cannot listen for other hosts";
	if (why) {
		log_warn("%s: %s", why, strerror(errno));
		proto_send_rep(n->up, req, n->id, REP_ERR, why, strlen(why));
		return false;
	}
	const char *fields[] = { n->down.remote, n->kp.pub };
	proto_send_fields(n->up, PROTO_NO_ROUTE, MSG_REP, REP_LISTEN, req, n->id, fields, 2);
	return true;
}
