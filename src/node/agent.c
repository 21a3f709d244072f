/* agent.c - a host's agent: joins a control node and starts its nodes on this host
 * (agent.h). One loop: the link to the control, its monitor, and signals. */
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "buf.h"
#include "cmdset.h"
#include "keys.h"
#include "link.h"
#include "log.h"
#include "proc.h"
#include "proto.h"
#include "rundir.h"

/* A node this agent started, for the control that asked (`session`). */
struct started {
	int32_t id;
	pid_t pid;
	unsigned session;
};

struct agent {
	const struct agent_options *o;
	struct keypair kp;
	char control_key[KEYS_Z85];
	char name[HOST_NAME_MAX + 1];
	char address[INET6_ADDRSTRLEN];
	char program[PATH_MAX];
	char key_file[PATH_MAX];	/* its absolute path: the nodes may not share our cwd */
	struct rundir run;
	void *ctx, *up, *mon;
	int sigfd;
	unsigned session;	/* joins so far: what an earlier control started is not news */
	bool joined, warned, stopping;
	int status;
	struct buf nodes;	/* struct started records */
};

/* The address this host reaches the control from: a UDP socket "connected" there sends
 * nothing, but the kernel chooses the route and so the source address. */
static int local_address(const char *endpoint, char *out, size_t size)
{
	char host[256];
	const char *p = strncmp(endpoint, "tcp://", 6) == 0 ? endpoint + 6 : NULL;
	const char *colon = p ? strrchr(p, ':') : NULL;
	if (!colon || (size_t)(colon - p) >= sizeof host)
		return -1;
	memcpy(host, p, (size_t)(colon - p));
	host[colon - p] = '\0';
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int rc = fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
			 getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
			 inet_ntop(AF_INET, &sa.sin_addr, out, (socklen_t)size) ? 0 : -1;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

static void join(struct agent *a)
{
	const char *fields[] = { a->name, a->address };
	a->session++;
	proto_send_fields(a->up, PROTO_NO_ROUTE, MSG_JOIN, 0, 0, (int32_t)getpid(), fields, 2);
}

static void spawn(struct agent *a, const struct msg *m)
{
	char buf[PROTO_FIELDS_MAX], agent[32];
	const char *f[6];
	struct proc_remote opts;
	pid_t pid;
	long timeout = 0;
	if (proto_read_fields(m, buf, f, 6) < 0 || m->id < 0 || !cmdset_find(f[2]) ||
	    (timeout = strtol(f[3], NULL, 10)) < 1 || timeout > 86400000) {
		static const char bad[] = "Cannot start node: bad request";
		proto_send_rep(a->up, m->req, m->id, REP_ERR, bad, sizeof bad - 1);
		return;
	}
	int n = proc_remote_args(&opts, a->key_file, a->address, (int)timeout, f[1], f[4], f[5]);
	snprintf(agent, sizeof agent, "--agent=%d", (int)getpid());
	opts.argv[n] = agent;
	struct proc_node node = { a->program, m->id, f[0], f[2], a->run.path, opts.argv };
	if (buf_reserve(&a->nodes, sizeof(struct started)) < 0)
		log_fatal("out of memory");
	if (proc_spawn(&node, &pid) < 0) {
		char text[160];
		snprintf(text, sizeof text, "Cannot start node: %s", strerror(errno));
		proto_send_rep(a->up, m->req, m->id, REP_ERR, text, strlen(text));
		return;
	}
	struct started rec = { m->id, pid, a->session };
	buf_append(&a->nodes, &rec, sizeof rec);	/* room reserved above */
	unsigned char body[4];
	proto_put_i32(body, pid);
	proto_send_rep(a->up, m->req, m->id, REP_SPAWNED, body, sizeof body);
}

static bool from_control(void *arg, int32_t from, zmq_msg_t *msg, const struct msg *m)
{
	struct agent *a = arg;
	int32_t pid;
	(void)from;
	switch (m->type) {
	case MSG_WELCOME:
		if (m->code != 0) {
			log_warn("refused by the control at %s: %.*s", a->o->endpoint,
				 (int)(m->body_len > 200 ? 200 : m->body_len), m->body);
			a->stopping = true;
			a->status = 1;
			return false;
		}
		a->joined = true;
		log_warn("joined the control at %s as host %s (%s)", a->o->endpoint, a->name,
			 a->address);
		return true;
	case MSG_SPAWN:
		if (a->joined)
			spawn(a, m);
		return true;
	case MSG_KILL:
		if (proto_read_i32(m, &pid) == 0)
			proc_kill(pid, m->id);	/* only if it is a node with that id */
		return true;
	default:
		return true;
	}
}

/* The nodes of a control that is gone end with it (their links to it end them too; this
 * does not wait for that). */
static void end_nodes(struct agent *a)
{
	struct started *s = (struct started *)a->nodes.data;
	for (size_t i = 0; i < a->nodes.len / sizeof *s; i++)
		if (s[i].session == a->session)
			proc_kill(s[i].pid, s[i].id);
}

static void on_monitor(struct agent *a)
{
	int ev;
	char ep[PROTO_ENDPOINT_MAX];
	while (link_monitor_read(a->mon, &ev, ep, sizeof ep) != 1) {
		if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
			a->warned = false;
			join(a);
		} else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
			log_warn("refused by the control at %s: key not allowed", a->o->endpoint);
			a->stopping = true;
			a->status = 1;
		} else if ((ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
			    ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) && !a->warned) {
			log_warn("cannot join the control at %s: handshake failed (is its key "
				 "right?)", a->o->endpoint);
			a->warned = true;
		} else if (ev == ZMQ_EVENT_DISCONNECTED && a->joined) {
			log_warn("the control at %s is gone; waiting to join again", a->o->endpoint);
			a->joined = false;
			end_nodes(a);
		}
	}
}

/* The nodes that ended: told to the control that started them. */
static void on_signals(struct agent *a)
{
	struct signalfd_siginfo si;
	while (read(a->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo != SIGCHLD)
			a->stopping = true;
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct started *s = (struct started *)a->nodes.data;
		size_t n = a->nodes.len / sizeof *s;
		for (size_t i = 0; i < n; i++) {
			if (s[i].pid != pid)
				continue;
			if (s[i].session == a->session && a->joined)
				proto_send_lost(a->up, s[i].id, pid, -1);
			s[i] = s[n - 1];
			a->nodes.len -= sizeof *s;
			break;
		}
	}
}

static int setup(struct agent *a)
{
	static const int signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, 0 };
	const struct agent_options *o = a->o;
	char err[512];
	signal(SIGPIPE, SIG_IGN);
	if ((a->sigfd = proc_signalfd(signals)) < 0)
		return -1;
	if (!realpath(o->key_file, a->key_file)) {
		log_warn("%s: %s", o->key_file, strerror(errno));
		return -1;
	}
	if (keys_load(a->key_file, &a->kp, err, sizeof err) < 0 ||
	    keys_public(o->control_key, a->control_key, err, sizeof err) < 0) {
		log_warn("%s", err);
		return -1;
	}
	if (o->name)
		snprintf(a->name, sizeof a->name, "%s", o->name);
	else if (gethostname(a->name, sizeof a->name) < 0)
		snprintf(a->name, sizeof a->name, "host");
	if (o->address)
		snprintf(a->address, sizeof a->address, "%s", o->address);
	else if (local_address(o->endpoint, a->address, sizeof a->address) < 0) {
		log_warn("cannot find this host's address towards %s; give --address",
			 o->endpoint);
		return -1;
	}
	uint32_t rid;
	if (proc_node_program(a->program, sizeof a->program) < 0 || rundir_create(&a->run) < 0 ||
	    getrandom(&rid, sizeof rid, 0) != sizeof rid) {
		log_warn("cannot start: %s", strerror(errno));
		return -1;
	}
	/* A random routing id: another host's agent may have the same pid */
	struct link_remote remote = { &a->kp, a->control_key, o->timeout_ms };
	a->ctx = link_ctx_new();
	a->up = link_dealer(a->ctx, (int32_t)(rid >> 1), o->endpoint, &remote);
	a->mon = a->up ? link_monitor(a->ctx, a->up, "join",
				      ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
					      ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
					      ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
					      ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
		       : NULL;
	if (!a->mon)
		log_warn("cannot connect to %s: %s", o->endpoint, zmq_strerror(errno));
	return a->mon ? 0 : -1;
}

int agent_run(const struct agent_options *o)
{
	struct agent ag = { .o = o, .sigfd = -1, .run.lock = -1 };
	struct agent *a = &ag;
	if (setup(a) < 0) {
		a->status = 1;
		a->stopping = true;
	}
	while (!a->stopping) {
		zmq_pollitem_t items[] = {
			{ a->up, 0, ZMQ_POLLIN, 0 },
			{ a->mon, 0, ZMQ_POLLIN, 0 },
			{ NULL, a->sigfd, ZMQ_POLLIN, 0 },
		};
		if (zmq_poll(items, 3, -1) < 0 && errno != EINTR)
			break;
		if (items[2].revents)
			on_signals(a);
		if (items[1].revents)
			on_monitor(a);
		if (items[0].revents)
			proto_recv_each(a->up, 0, 256, from_control, a);
	}
	link_unmonitor(a->up, &a->mon);
	link_close(&a->up);
	if (a->ctx)
		zmq_ctx_term(a->ctx);
	rundir_leave(&a->run);
	buf_free(&a->nodes);
	if (a->sigfd >= 0)
		close(a->sigfd);
	return a->status;
}
