/* control.c - the control node's loop: stdin, the ROUTER to depth-1 nodes, signals and
 * timers in one zmq_poll; nothing in it waits for a node. */
#include "control.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "console.h"
#include "heartbit.h"
#include "log.h"
#include "moves.h"
#include "proto.h"
#include "requests.h"
#include "proc.h"

/* How long nodes get to end by themselves at exit before they are killed by pid. */
#define EXIT_GRACE_MS 500

int ctl_spawn(struct ctl *c, int32_t id, pid_t *pid)
{
	return proc_spawn(c->program, id, c->endpoint, c->set->name, pid);
}

int ctl_send_req(struct ctl *c, uint32_t req, uint8_t op, uint8_t flags, const int32_t *path,
		 size_t npath, const void *body, size_t len)
{
	if (proto_send_req(c->router, path[0], req, op, flags, path, npath, body, len) == 0)
		return 0;
	/* The caller answers this request; the loss itself is taken up by the loop's probe
	 * round, not here in the middle of sending (it would answer requests under our feet). */
	if (errno == EHOSTUNREACH)
		reprobe_start(&c->reprobe, clock_ms());
	return -1;
}

static void on_hello(struct ctl *c, int32_t from, int32_t id, pid_t pid, const char *endpoint)
{
	rq_on_hello(c, from, id, pid, endpoint);
	struct topo_node *n = topo_get(c->topo, id);
	if (!n || n->state != NODE_UP || n->pid != pid)
		return;
	hb_track(c->hb, id, clock_ms());
	if (n->parent == TOPO_ROOT && hb_period(c->hb))
		proto_send_period(c->router, id, (int32_t)hb_period(c->hb));
}

/* News from a node that may report it (rq_may_report_lost), on the link that node is
 * below; anything else is stale or forged. */
static void on_lost(struct ctl *c, int32_t from, const struct msg *m)
{
	pid_t pid;
	int32_t parent;
	struct topo_node *p;
	if (proto_read_lost(m, &pid, &parent) == 0 && (p = topo_get(c->topo, parent)) &&
	    (parent == from || p->root == from) && rq_may_report_lost(c, m->id, pid, parent))
		rq_on_lost(c, m->id, pid);
	else
		rq_dropped(c, "lost", m->id, from);
}

/* Reports for nodes of the sender's subtree only. */
static void on_beat(struct ctl *c, int32_t from, const struct msg *m)
{
	long count = proto_beat_count(m);
	int64_t now = clock_ms();
	if (m->id != from) {	/* a batch is sent by the depth-1 node itself */
		rq_dropped(c, "beat", m->id, from);
		return;
	}
	for (long i = 0; i < count; i++) {
		int32_t id = proto_beat_id(m, (size_t)i);
		struct topo_node *n = topo_get(c->topo, id);
		if (!n || (n->root != from && id != from)) {
			rq_dropped(c, "beat", id, from);
			continue;
		}
		hb_seen(c->hb, id, now);
		rq_heard(c, id);
	}
}

void ctl_heartbit(struct ctl *c, int32_t ms)
{
	size_t n;
	const int32_t *roots = topo_roots(c->topo, &n);
	hb_set_period(c->hb, ms, clock_ms());
	for (size_t i = 0; i < n; i++) {
		struct topo_node *node = topo_get(c->topo, roots[i]);
		if (node && node->state == NODE_UP)
			proto_send_period(c->router, roots[i], ms);
	}
	out_puts(c, "Ok");
}

static void report_silent(int32_t id, void *arg)
{
	out_printf(arg, "Heartbit: node %d is unavailable now", (int)id);
}

static void from_nodes(struct ctl *c)
{
	zmq_msg_t msg;
	struct msg m;
	int32_t from;
	char endpoint[PROTO_ENDPOINT_MAX];
	pid_t pid;
	/* Bounded, so that stdin and timers get their turn under a flood of answers. */
	for (int i = 0; i < 4096; i++) {
		zmq_msg_init(&msg);
		int rc = proto_recv(c->router, 1, &from, &msg, &m);
		if (rc == 1) {
			zmq_msg_close(&msg);
			return;
		}
		if (rc == 0) {
			switch (m.type) {
			case MSG_REP:
				if (!mv_on_reply(c, from, &m))
					rq_on_reply(c, from, &m);
				break;
			case MSG_HELLO:
				if (proto_read_hello(&m, &pid, endpoint, sizeof endpoint) == 0)
					on_hello(c, from, m.id, pid, endpoint);
				break;
			case MSG_BEAT:
				on_beat(c, from, &m);
				break;
			case MSG_LOST:
				on_lost(c, from, &m);
				break;
			default:	/* requests travel down, never to us */
				rq_dropped(c, "message", m.id, from);
				break;
			}
		}
		zmq_msg_close(&msg);
	}
}

static void probe_roots(struct ctl *c)
{
	size_t n;
	const int32_t *roots = topo_roots(c->topo, &n);
	for (size_t i = 0; i < n; i++) {
		int32_t id = roots[i];
		struct topo_node *node = topo_get(c->topo, id);
		if (node && node->state == NODE_UP && proto_send_probe(c->router, id) < 0 &&
		    errno == EHOSTUNREACH) {
			rq_on_lost(c, id, 0);
			roots = topo_roots(c->topo, &n);	/* a lost root may have gone */
		}
	}
}

static void reap(struct ctl *c)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char why[64];
		proc_status_text(status, why, sizeof why);
		rq_on_exit(c, pid, why);
	}
}

static void on_signals(struct ctl *c)
{
	struct signalfd_siginfo si;
	while (read(c->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		if (si.ssi_signo == SIGINT && c->interactive && !c->exiting)
			console_interrupt(c->con);	/* Ctrl-C drops the line being typed */
		else
			ctl_begin_exit(c);
	}
	reap(c);
}

void ctl_begin_exit(struct ctl *c)
{
	if (c->exiting)
		return;
	c->exiting = true;
	c->exit_deadline = clock_ms() + c->timeout_ms;
	console_stop(c->con);
}

static int setup(struct ctl *c)
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
	c->ctx = link_ctx_new();
	c->router = link_router(c->ctx, c->endpoint, sizeof c->endpoint);
	if (!c->router)
		return -1;
	c->mon = link_monitor(c->ctx, c->router, "control", ZMQ_EVENT_DISCONNECTED);
	c->topo = topo_new(c->kind);
	c->rq = rq_new(c);
	c->con = console_new(c);
	c->hb = hb_new();
	c->moves = mv_new();
	c->reprobe.next = INT64_MAX;
	proc_fd_base();
	return c->mon && c->topo && c->rq && c->con && c->hb && c->moves ? 0 : -1;
}

/* Every node ends: asked first, by pid after a grace. As a subreaper we are the parent of
 * every orphan, so "no child left" means no process of ours is left. */
static void end_nodes(struct ctl *c)
{
	size_t n;
	const int32_t *roots = topo_roots(c->topo, &n);
	for (size_t i = 0; i < n; i++)
		proto_send_exit(c->router, roots[i]);
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
			zmq_pollitem_t item = { NULL, c->sigfd, ZMQ_POLLIN, 0 };
			struct signalfd_siginfo si;
			zmq_poll(&item, 1, (long)left);
			while (read(c->sigfd, &si, sizeof si) > 0)
				;
		}
		rq_kill_all(c);	/* what did not end by itself */
	}
}

static void teardown(struct ctl *c)
{
	console_destroy(&c->con);
	if (c->topo && c->rq) {
		end_nodes(c);
		rq_kill_all(c);	/* by now only the records are left */
	}
	out_flush(c);
	rq_destroy(&c->rq);
	topo_destroy(&c->topo);
	hb_destroy(&c->hb);
	mv_destroy(&c->moves);
	link_unmonitor(c->router, &c->mon);
	link_close(&c->router);
	if (c->ctx)
		zmq_ctx_term(c->ctx);
	if (c->sigfd >= 0)
		close(c->sigfd);
}

int ctl_run(struct ctl *c)
{
	c->sigfd = -1;
	if (setup(c) < 0) {
		log_warn("cannot start: %s", strerror(errno));
		teardown(c);
		return 1;
	}
	console_start(c->con);
	for (;;) {
		int64_t now = clock_ms();
		if (c->exiting && (rq_pending(c) == 0 || now >= c->exit_deadline)) {
			rq_fail_all(c);
			break;
		}
		int64_t wake = rq_next_wake(c);
		if (c->reprobe.next < wake)
			wake = c->reprobe.next;
		if (c->exiting && c->exit_deadline < wake)
			wake = c->exit_deadline;
		if (hb_next(c->hb) < wake)
			wake = hb_next(c->hb);
		if (mv_next_wake(c) < wake)
			wake = mv_next_wake(c);
		long timeout = wake == INT64_MAX ? -1 : (long)(wake > now ? wake - now : 0);
		zmq_pollitem_t items[] = {
			{ c->router, 0, ZMQ_POLLIN, 0 },
			{ c->mon, 0, ZMQ_POLLIN, 0 },
			{ NULL, c->sigfd, ZMQ_POLLIN, 0 },
			{ NULL, 0, console_wants_input(c->con) ? ZMQ_POLLIN : 0, 0 },
		};
		if (out_flush(c) < 0)
			break;
		if (zmq_poll(items, 4, timeout) < 0 && errno != EINTR)
			break;
		now = clock_ms();
		if (items[2].revents)
			on_signals(c);
		if (items[1].revents)
			reprobe_watch(&c->reprobe, c->mon, now);
		if (items[0].revents)
			from_nodes(c);
		if (reprobe_due(&c->reprobe, now))
			probe_roots(c);
		rq_tick(c, now);
		mv_tick(c, now);
		hb_check(c->hb, now, report_silent, c);
		if (items[3].revents)
			console_read(c->con);
		console_resume(c->con);
		rq_reap(c);
	}
	teardown(c);
	return c->out_failed ? 1 : 0;
}
