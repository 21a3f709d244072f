/* control.c - the control node's loop: stdin, the ROUTER to depth-1 nodes, signals and
 * timers in one zmq_poll; nothing in it waits for a node. It owns the parts and wires them
 * through their ops; after every event it hands them (a message, an input line, a timer, a
 * signal) it settles: what the event decided is carried out once, here. */
#include "control.h"
#include "control_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "buf.h"
#include "clock.h"
#include "commands.h"
#include "console.h"
#include "downlink.h"
#include "heartbit.h"
#include "hosts.h"
#include "link.h"
#include "log.h"
#include "moves.h"
#include "output.h"
#include "proc.h"
#include "proto.h"
#include "requests.h"
#include "topo.h"

/* How long nodes get to end by themselves at exit before they are killed by pid. */
#define EXIT_GRACE_MS 500

void control_settle(struct control *c)
{
	do {
		moves_check_lost(c->moves);
		requests_settle(c->rq);
	} while (moves_start(c->moves));
}

/* The answers due are awaited --timeout; a create (whose node may be starting on a slow
 * machine) until its own hello window ends. */
void control_begin_exit(struct control *c)
{
	if (c->exiting)
		return;
	c->exiting = true;
	c->exit_deadline = clock_ms() + c->opt->timeout_ms;
	console_stop(c->con);
}

/* ---- messages from the nodes ---- */

/* What node n sends comes on link from: its own, the one it is below, or (moving) the one
 * below its new parent, before the model has it there. */
static bool comes_on(struct control *c, const struct topo_node *n, int32_t from)
{
	return n->id == from || n->root == from ||
	       topo_link_under(c->topo, n->id, moves_destination(c->moves, n->id)) == from;
}

/* --heal: node id (process pid), whose parent is gone, has come to node `at`, its grandparent
 * (MSG_ORPHAN on link `from`), or to our own link (at TOPO_ROOT: a HELLO on its own link,
 * from a node not at depth 1). It is healed around its dead parent, or it is to end. */

static bool on_orphan(struct control *c, int32_t from, int32_t id, pid_t pid, int32_t at)
{
	struct topo_node *n = topo_get(c->topo, id), *g = topo_get(c->topo, at);
	if (at == TOPO_ROOT ? from != id || (n && (n->parent == TOPO_ROOT ||
						   n->state == NODE_PENDING))
			    : !g || g->state != NODE_UP || !comes_on(c, g, from) ||
				      id == at || id == from)
		return false;
	if (n && n->state == NODE_UP && n->pid == pid && requests_healing(c->rq)) {
		log_debug("node %d came to %d: its parent is gone", (int)id, (int)at);
		/* A parent here whose process has died is dead now: no need to wait for the
		 * news from its own parent (a stopped one still runs, and is not healed around). */
		struct topo_node *p = topo_get(c->topo, n->parent);
		if (p && p->state == NODE_UP && p->host == HOSTS_LOCAL && p->pid &&
		    !proc_is_node(p->pid, p->id))
			requests_on_lost(c->rq, p->id, p->pid);
		moves_orphan(c->moves, id, at);
	} else if (at == TOPO_ROOT) {
		proto_send_exit(c->down.sock, from);
	} else {
		moves_orphan_refuse(c->moves, id, at);
	}
	return true;
}

static void on_hello(struct control *c, int32_t from, int32_t id, pid_t pid, const char *endpoint)
{
	if (!moves_on_hello(c->moves, from, id, pid) && !on_orphan(c, from, id, pid, TOPO_ROOT))
		requests_on_hello(c->rq, from, id, pid, endpoint);
	struct topo_node *n = topo_get(c->topo, id);
	if (!n || n->state != NODE_UP || n->pid != pid)
		return;
	moves_node_up(c->moves, id);	/* a move may have been waiting for it */
	heartbit_track(c->hb, id, clock_ms());
	if (n->parent == TOPO_ROOT && heartbit_period(c->hb))
		proto_send_period(c->down.sock, id, (int32_t)heartbit_period(c->hb));
}

/* News from a node that may report it (its parent, the parent it moves to, the node that
 * started it), on the link that node is below; anything else is stale or forged. */
static void on_lost(struct control *c, int32_t from, const struct msg *m)
{
	pid_t pid;
	int32_t parent;
	struct topo_node *p;
	if (proto_read_lost(m, &pid, &parent) == 0 && (p = topo_get(c->topo, parent)) &&
	    comes_on(c, p, from) &&
	    (moves_destination(c->moves, m->id) == parent ||
	     moves_orphan_at(c->moves, m->id) == parent ||
	     requests_may_report_lost(c->rq, m->id, pid, parent)))
		requests_on_lost(c->rq, m->id, pid);
	else
		requests_dropped(c->rq, "lost", m->id, from);
}

/* Reports for nodes of the sender's subtree only. */
static void on_beat(struct control *c, int32_t from, const struct msg *m)
{
	long count = proto_beat_count(m);
	int64_t now = clock_ms();
	if (m->id != from) {	/* a batch is sent by the depth-1 node itself */
		requests_dropped(c->rq, "beat", m->id, from);
		return;
	}
	for (long i = 0; i < count; i++) {
		int32_t id = proto_beat_id(m, (size_t)i);
		struct topo_node *n = topo_get(c->topo, id);
		if (!n || (n->root != from && id != from)) {
			requests_dropped(c->rq, "beat", id, from);
			continue;
		}
		heartbit_seen(c->hb, id, now);
		requests_heard(c->rq, id);
	}
}

static void on_reply(struct control *c, int32_t from, const struct msg *m)
{
	switch (moves_on_reply(c->moves, from, m)) {
	case MOVES_NOT_MINE:
		requests_on_reply(c->rq, from, m);
		break;
	case MOVES_FORGED:
		requests_dropped(c->rq, "answer", m->id, from);
		break;
	case MOVES_TAKEN:
		break;
	}
}

/* One message from the depth-1 node `from` (or from below it): one event. */
static bool from_nodes(void *arg, int32_t from, zmq_msg_t *msg, const struct msg *m)
{
	struct control *c = arg;
	char endpoint[PROTO_ENDPOINT_MAX];
	pid_t pid;
	int32_t at;
	/* A link counts only with the key of the host its node was placed on (none here). */
	struct topo_node *link = topo_get(c->topo, from);
	int host = link ? link->host : HOSTS_LOCAL;
	if (strcmp(link_user(msg), host == HOSTS_LOCAL ? "" : hosts_key(c->hosts, host)) != 0) {
		requests_dropped(c->rq, "message", m->id, from);
		return true;
	}
	switch (m->type) {
	case MSG_REP:
		on_reply(c, from, m);
		break;
	case MSG_HELLO:
		if (proto_read_hello(m, &pid, endpoint, sizeof endpoint) == 0)
			on_hello(c, from, m->id, pid, endpoint);
		break;
	case MSG_BEAT:
		on_beat(c, from, m);
		break;
	case MSG_LOST:
		on_lost(c, from, m);
		break;
	case MSG_ORPHAN:
		if (proto_read_lost(m, &pid, &at) < 0 || !on_orphan(c, from, m->id, pid, at))
			requests_dropped(c->rq, "orphan", m->id, from);
		break;
	case MSG_BYE:	/* an orphan leaves our link for its new parent */
		if (m->id != from)
			requests_dropped(c->rq, "bye", m->id, from);
		break;
	default:	/* requests travel down, never to us */
		requests_dropped(c->rq, "message", m->id, from);
		break;
	}
	control_settle(c);
	return true;
}

static void report_silent(int32_t id, void *arg)
{
	struct control *c = arg;
	output_printf(&c->out, "Heartbit: node %d is unavailable now", (int)id);
}

static void probe_roots(struct control *c)
{
	size_t n;
	const int32_t *roots = topo_roots(c->topo, &n);
	for (size_t i = 0; i < n; i++) {
		int32_t id = roots[i];
		struct topo_node *node = topo_get(c->topo, id);
		if (node && node->state == NODE_UP && downlink_probe(&c->down, id) < 0) {
			requests_on_lost(c->rq, id, 0);
			control_settle(c);
			roots = topo_roots(c->topo, &n);	/* a lost root may have gone */
		}
	}
}

static void reap(struct control *c)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char why[64];
		proc_status_text(status, why, sizeof why);
		requests_on_exit(c->rq, pid, why);
		control_settle(c);
	}
}

static void on_signals(struct control *c)
{
	struct signalfd_siginfo si;
	while (read(c->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		if (si.ssi_signo == SIGINT && !c->exiting && console_interrupt(c->con))
			continue;	/* Ctrl-C at the prompt drops the line being typed */
		if (c->exiting)
			c->exit_now = true;	/* asked twice: the answers due are not awaited */
		control_begin_exit(c);
	}
	reap(c);
}

/* ---- start and end ---- */

static int setup(struct control *c)
{
	static const int signals[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, 0 };
	signal(SIGPIPE, SIG_IGN);
	c->sigfd = proc_signalfd(signals);
	/* Orphans of a lost node come back to us, so none is left unreaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	link_raise_fd_limit();
	proc_keep_spare_fd();
	if (c->sigfd < 0 || proc_node_program(c->program, sizeof c->program) < 0)
		return -1;
	if (!proc_threads_ok(2)) {	/* libzmq's, which it aborts without */
		errno = EAGAIN;
		log_warn("%s", PROC_NO_THREADS);
		return -1;
	}
	if (access(c->program, X_OK) < 0) {
		log_warn("cannot run %s: %s", c->program, strerror(errno));
		return -1;
	}
	char bind[PROTO_ENDPOINT_MAX];
	if (rundir_create(&c->run) < 0) {
		log_warn("cannot make a private directory: %s", strerror(errno));
		return -1;
	}
	rundir_endpoint(&c->run, "control", bind, sizeof bind);
	c->ctx = link_ctx_new();
	if (!c->ctx || downlink_open(&c->down, c->ctx, "control", bind) < 0 ||
	    control_wire_hosts(c) < 0 || control_wire(c) < 0)
		return -1;
	proc_fd_base();
	return 0;
}

/* At exit, an orphan that asks where to go (its parent ended) is told to end too. */
static bool end_orphan(void *arg, int32_t from, zmq_msg_t *msg, const struct msg *m)
{
	(void)msg;
	if (m->type == MSG_HELLO && m->id == from)
		proto_send_exit(((struct control *)arg)->down.sock, from);
	return true;
}

/* Every node ends: asked first, by pid after a grace. As a subreaper we are the parent of
 * every orphan, so "no child left" means no process of ours is left. */
static void end_nodes(struct control *c)
{
	size_t n;
	const int32_t *roots = topo_roots(c->topo, &n);
	for (size_t i = 0; i < n; i++)
		proto_send_exit(c->down.sock, roots[i]);
	for (int round = 0; round < 2; round++) {
		int64_t deadline = clock_ms() + EXIT_GRACE_MS;
		for (;;) {
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				;
			if (pid < 0 && errno == ECHILD)
				return;
			int64_t left = deadline - clock_ms();
			if (left <= 0)
				break;
			zmq_pollitem_t items[] = { { NULL, c->sigfd, ZMQ_POLLIN, 0 },
						   { c->down.sock, 0, ZMQ_POLLIN, 0 } };
			struct signalfd_siginfo si;
			zmq_poll(items, 2, (long)left);
			while (read(c->sigfd, &si, sizeof si) > 0)
				;
			if (items[1].revents)
				proto_recv_each(c->down.sock, 1, 4096, end_orphan, c);
		}
		requests_kill_all(c->rq);	/* what did not end by itself */
	}
}

static void teardown(struct control *c)
{
	console_destroy(&c->con);
	c->out.above = NULL;
	if (c->topo && c->rq) {
		end_nodes(c);
		requests_kill_all(c->rq);	/* by now only the records are left */
	}
	output_flush(&c->out);
	output_free(&c->out);
	commands_destroy(&c->cmd);
	moves_destroy(&c->moves);
	requests_destroy(&c->rq);
	topo_destroy(&c->topo);
	heartbit_destroy(&c->hb);
	downlink_close(&c->down);
	hosts_destroy(&c->hosts);
	keys_list_free(&c->allowed);
	memset(&c->kp, 0, sizeof c->kp);
	if (c->ctx)
		zmq_ctx_term(c->ctx);
	rundir_leave(&c->run);	/* the last one out removes it: the nodes are gone by now */
	if (c->sigfd >= 0)
		close(c->sigfd);
}

static int64_t next_wake(struct control *c)
{
	int64_t wake = requests_next_wake(c->rq);
	int64_t other[] = { downlink_next_probe(&c->down), hosts_next_wake(c->hosts),
			    heartbit_next(c->hb),
			    moves_next_wake(c->moves), c->exiting ? c->exit_deadline : INT64_MAX };
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
		if (other[i] < wake)
			wake = other[i];
	return wake;
}

static void on_timers(struct control *c, int64_t now)
{
	if (downlink_probe_due(&c->down, now))
		probe_roots(c);
	hosts_tick(c->hosts, now);
	requests_tick(c->rq, now);
	control_settle(c);
	moves_tick(c->moves, now);
	control_settle(c);
	heartbit_check(c->hb, now, report_silent, c);
}

int control_run(const struct control_options *opt)
{
	struct control ctl = { .opt = opt, .sigfd = -1, .run.lock = -1 };
	struct control *c = &ctl;
	if (setup(c) < 0) {
		log_warn("cannot start: %s", strerror(errno));
		teardown(c);
		return 1;
	}
	console_start(c->con);
	for (;;) {
		int64_t now = clock_ms();
		if (c->exiting && now >= c->exit_deadline) {
			requests_fail_all(c->rq, false);
			control_settle(c);
			c->exit_deadline = INT64_MAX;
		}
		if (c->exiting && (requests_pending(c->rq) == 0 || c->exit_now)) {
			requests_fail_all(c->rq, true);
			control_settle(c);
			break;
		}
		int64_t wake = next_wake(c);
		long timeout = wake == INT64_MAX ? -1 : (long)(wake > now ? wake - now : 0);
		zmq_pollitem_t items[7] = {
			{ c->down.sock, 0, ZMQ_POLLIN, 0 },
			{ c->down.mon, 0, ZMQ_POLLIN, 0 },
			{ NULL, c->sigfd, ZMQ_POLLIN, 0 },
			{ NULL, 0, console_wants_input(c->con) ? ZMQ_POLLIN : 0, 0 },
		};
		hosts_poll_items(c->hosts, items + 4);
		if (output_flush(&c->out) < 0)
			break;
		if (zmq_poll(items, 7, timeout) < 0 && errno != EINTR)
			break;
		now = clock_ms();
		if (items[2].revents)
			on_signals(c);
		hosts_handle(c->hosts, items + 4, now);
		if (items[1].revents)
			downlink_watch(&c->down, now);
		if (items[0].revents)	/* bounded: stdin and timers get their turn under a flood */
			proto_recv_each(c->down.sock, 1, 4096, from_nodes, c);
		on_timers(c, now);
		if (items[3].revents)
			console_read(c->con);
		console_resume(c->con);
		requests_reap(c->rq);
	}
	teardown(c);
	return c->out.failed ? 1 : 0;
}
