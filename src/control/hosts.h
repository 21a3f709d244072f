/* hosts.h - the hosts the control node starts nodes on: its own (host 0) and those whose
 * agents (`mqtree-node --join`) joined it on --listen.
 *
 * Agents connect to one ROUTER on ADDR:PORT over CURVE; the ZAP handler lets in the keys of
 * the allowed-keys file ("host" domain) and, on the control's own link for depth-1 nodes on
 * other hosts ("node" domain), the keys of the hosts that joined. A host is its key: a node's
 * messages count only over a connection authenticated with the key of the host it was placed
 * on (hosts_key, compared with link_user). An agent that goes (its connection closes, or is
 * silent for --timeout) makes its host unavailable for creates; its nodes end with it and are
 * reported lost the usual way, by their parents.
 */
#ifndef MQTREE_HOSTS_H
#define MQTREE_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zmq.h>

#include "keys.h"
#include "proto.h"

#define HOSTS_LOCAL 0		/* the control's own host */
#define HOSTS_NAME_MAX 64

struct host {
	char name[HOSTS_NAME_MAX];
	char address[64];
	char key[KEYS_Z85];	/* "" for the control's host when it does not listen */
	int32_t route;		/* its agent's routing id */
	pid_t agent;		/* the agent's pid on its host */
	bool alive;
};

/* What an agent tells, handed on to the request engine. */
struct hosts_ops {
	/* An answer (REP_SPAWNED, REP_ERR) to the MSG_SPAWN of create m->req. */
	void (*spawn_answer)(void *arg, int host, const struct msg *m);
	/* A node the agent started ended (pid, its node id). */
	void (*node_exit)(void *arg, int host, int32_t id, pid_t pid);
	/* The agent is gone: the creates waiting for it fail. */
	void (*host_down)(void *arg, int host);
	void *arg;
};

struct hosts_config {
	const char *listen;	/* ADDR:PORT, or NULL: no other hosts */
	const struct keypair *kp;	/* the control's key pair (with listen) */
	const struct keylist *allowed;	/* the keys of the hosts that may join (with listen) */
	int timeout_ms;
};

/* NULL with errno, and a reason logged. Without cfg->listen there is only host 0. */
struct hosts *hosts_new(void *ctx, const struct hosts_config *cfg, const struct hosts_ops *ops);
void hosts_destroy(struct hosts **h);

bool hosts_listening(const struct hosts *h);
size_t hosts_count(const struct hosts *h);
const struct host *hosts_get(const struct hosts *h, int host);
/* The host named `name` (its name or its address), or -1. */
int hosts_find(const struct hosts *h, const char *name, size_t len);
/* The public key a node on `host` authenticates with; "" for a local node of a control that
 * does not listen. */
const char *hosts_key(const struct hosts *h, int host);

/* Asks host's agent to start node id for create `req`: what[] is its parent's endpoint and
 * key, its command set, and where and with what key the control node takes orphans. 0, or -1
 * (the agent is unreachable). */
int hosts_spawn(struct hosts *h, int host, uint32_t req, int32_t id, const char *const what[5]);
/* Ends node id (process pid) on host, through its agent. */
void hosts_kill(struct hosts *h, int host, int32_t id, pid_t pid);

/* The loop's side: the sockets to poll (3 items), what they said, when next to look. */
void hosts_poll_items(struct hosts *h, zmq_pollitem_t items[3]);
void hosts_handle(struct hosts *h, const zmq_pollitem_t items[3], int64_t now);
int64_t hosts_next_wake(const struct hosts *h);
void hosts_tick(struct hosts *h, int64_t now);

#endif
