/* control.c - the control node's loop: stdin, the ROUTER to depth-1 nodes, signals and
 * timers in one zmq_poll; nothing in it waits for a node. It owns the parts and wires them
 * through their ops; after every event it hands them (a message, an input line, a timer, a
 * signal) it settles: what the event decided is carried out once, here. */
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

#include "buf.h"
#include "clock.h"
#include "commands.h"
#include "console.h"
#include "downlink.h"
#include "heartbit.h"
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

struct control {
	const struct control_options *opt;
	char program[PATH_MAX];	/* the node program */
	void *ctx;
	struct downlink down;	/* depth-1 nodes connect here */
	int sigfd;

	struct topo *topo;
	struct requests *rq;
	struct moves *moves;
	struct heartbit *hb;
	struct commands *cmd;
	struct console *con;
	struct output out;

	bool exiting;		/* no more input; answers still due are awaited */
	bool exit_now;		/* a second signal: they are not awaited any more */
	int64_t exit_deadline;	/* --timeout after exit: what is not a create is failed then */
};

/* What an event decided, carried out: nodes taken out, creates admitted, moves started. */
static void settle(struct control *c)
{
	do {
		moves_check_lost(c->moves);
		requests_settle(c->rq);
	} while (moves_start(c->moves));
}

/* The answers due are awaited --timeout; a create (whose node may be starting on a slow
 * machine) until its own hello window ends. */
static void begin_exit(struct control *c)
{
	if (c->exiting)
		return;
	c->exiting = true;
	c->exit_deadline = clock_ms() + c->opt->timeout_ms;
	console_stop(c->con);
}

/* ---- what the parts get ---- */

static int64_t now_ms(void *arg)
{
	(void)arg;
	return clock_ms();
}

static int send_down(void *arg, uint32_t req, uint8_t op, uint8_t flags, const int32_t *path,
		     size_t npath, const void *body, size_t len)
{
	struct control *c = arg;
	return downlink_send_req(&c->down, req, op, flags, path, npath, body, len);
}

static int spawn(void *arg, int32_t id, pid_t *pid)
{
	struct control *c = arg;
	size_t links;
	topo_roots(c->topo, &links);
	if (!proc_fd_room(links)) {	/* its link needs a descriptor here */
		errno = EMFILE;
		return -1;
	}
	return proc_spawn(c->program, id, c->down.endpoint, c->opt->set->name, pid);
}

static void kill_node(void *arg, pid_t pid, int32_t id)
{
	(void)arg;
	proc_kill(pid, id);
}

static void print(void *arg, uint64_t tag, const char *line, size_t len)
{
	struct control *c = arg;
	output_answer(&c->out, tag, line, len);
}

static bool linked(void *arg, int32_t id)
{
	return downlink_probe(&((struct control *)arg)->down, id) == 0;
}

static void move_remove(void *arg, uint32_t req, int32_t id)
{
	struct control *c = arg;
	moves_remove(c->moves, req, id);
}

static void move_adopt(void *arg, uint32_t req, int32_t id, int32_t child, int32_t from,
		       struct buf *held)
{
	struct control *c = arg;
	moves_adopt(c->moves, req, id, child, from, held);
}

static uint32_t new_id(void *arg)
{
	return requests_new_id(((struct control *)arg)->rq);
}

static bool in_flight(void *arg, int32_t id)
{
	return requests_in_flight(((struct control *)arg)->rq, id);
}

static void hold(void *arg, int32_t id, struct buf *held)
{
	requests_hold(((struct control *)arg)->rq, id, held);
}

static void release(void *arg, struct buf *held)
{
	requests_release(((struct control *)arg)->rq, held);
}

static int32_t adopt_from(void *arg, int32_t parent, int32_t child)
{
	return requests_adopt_from(((struct control *)arg)->rq, parent, child);
}

static void answer(void *arg, uint32_t req, const char *line, bool remove_node)
{
	requests_answer(((struct control *)arg)->rq, req, line, remove_node);
}

static void lost(void *arg, int32_t id)
{
	requests_on_lost(((struct control *)arg)->rq, id, 0);
}

static void cmd_create(void *arg, int32_t id, int64_t parent)
{
	requests_create(((struct control *)arg)->rq, id, parent);
}

static void cmd_ping(void *arg, int32_t id)
{
	requests_ping(((struct control *)arg)->rq, id);
}

static void cmd_pingall(void *arg)
{
	requests_pingall(((struct control *)arg)->rq);
}

static void cmd_kill(void *arg, int32_t id)
{
	requests_kill(((struct control *)arg)->rq, id);
}

static void cmd_remove(void *arg, int32_t id)
{
	requests_remove(((struct control *)arg)->rq, id);
}

static uint32_t cmd_exec_begin(void *arg, int32_t id)
{
	return requests_exec_begin(((struct control *)arg)->rq, id);
}

static void cmd_exec_feed(void *arg, uint32_t req, const char *data, size_t len)
{
	requests_exec_feed(((struct control *)arg)->rq, req, data, len);
}

static bool cmd_waits(void *arg, enum requests_cmd cmd, int32_t id, int64_t parent)
{
	return requests_waits(((struct control *)arg)->rq, cmd, id, parent);
}

/* `heartbit MS`: every node reports every MS ms from now on (0: stop). */
static void cmd_heartbit(void *arg, int32_t ms)
{
	struct control *c = arg;
	size_t n;
	const int32_t *roots = topo_roots(c->topo, &n);
	heartbit_set_period(c->hb, ms, clock_ms());
	for (size_t i = 0; i < n; i++) {
		struct topo_node *node = topo_get(c->topo, roots[i]);
		if (node && node->state == NODE_UP)
			proto_send_period(c->down.sock, roots[i], ms);
	}
	output_puts(&c->out, "Ok");
}

static void cmd_tag(void *arg, uint64_t tag)
{
	requests_tag(((struct control *)arg)->rq, tag);
}

static void cmd_quit(void *arg)
{
	begin_exit(arg);
}

/* The console's lines: each is one event. */
static bool con_line(void *arg, const char *line, size_t len, bool complete, uint32_t *stream,
		     int *extra)
{
	struct control *c = arg;
	bool streams = commands_line(c->cmd, line, len, complete, stream, extra);
	settle(c);
	return streams;
}

static bool con_waits(void *arg, const char *line, size_t len)
{
	return commands_waits(((struct control *)arg)->cmd, line, len);
}

static void con_feed(void *arg, uint32_t req, const char *data, size_t len)
{
	struct control *c = arg;
	requests_exec_feed(c->rq, req, data, len);
	settle(c);
}

static void con_end(void *arg, uint32_t req)
{
	struct control *c = arg;
	requests_exec_end(c->rq, req);
	settle(c);
}

static bool con_can_feed(void *arg, uint32_t req)
{
	return requests_exec_can_feed(((struct control *)arg)->rq, req);
}

static bool print_above(void *arg, const char *line, size_t len)
{
	return console_print_above(arg, line, len);
}

/* ---- messages from the nodes ---- */

static void on_hello(struct control *c, int32_t from, int32_t id, pid_t pid, const char *endpoint)
{
	if (!moves_on_hello(c->moves, from, id, pid))
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
	    (parent == from || p->root == from) &&
	    (moves_destination(c->moves, m->id) == parent ||
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
	default:	/* requests travel down, never to us */
		requests_dropped(c->rq, "message", m->id, from);
		break;
	}
	(void)msg;
	settle(c);
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
			settle(c);
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
		settle(c);
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
		begin_exit(c);
	}
	reap(c);
}

/* ---- start and end ---- */

static int wire(struct control *c)
{
	const struct control_options *o = c->opt;
	const struct requests_ops requests_ops = { send_down,  spawn,	   kill_node, print, now_ms,
						   move_remove, move_adopt, linked,    c };
	const struct moves_ops moves_ops = {send_down, now_ms, kill_node, new_id,
					    in_flight, hold,   release,	  adopt_from,
					    answer,    lost,   c};
	const struct commands_ops commands_ops = { cmd_create,	 cmd_ping,     cmd_pingall, cmd_kill,
						   cmd_remove,	 cmd_exec_begin, cmd_exec_feed,
						   cmd_waits,	 cmd_heartbit, cmd_tag,	    cmd_quit,
						   c };
	const struct console_ops con_ops = { con_line, con_waits, con_feed, con_end, con_can_feed,
					     cmd_quit, c };
	struct buf banner = { 0 };
	c->out.ordered = o->ordered;
	c->topo = topo_new(o->kind);
	c->hb = heartbit_new();
	c->rq = requests_new(c->topo, c->hb, o->timeout_ms, &requests_ops);
	c->moves = moves_new(c->topo, o->timeout_ms > HELLO_MIN_MS ? o->timeout_ms : HELLO_MIN_MS,
			     c->down.endpoint, &moves_ops);
	c->cmd = commands_new(c->topo, o->kind, o->set, &c->out, &commands_ops);
	if (buf_printf(&banner, "mqtree %s: topology %s, exec %s. Type 'help' for the commands.",
		       MQTREE_VERSION, topo_kind_name(o->kind), o->set->name) < 0)
		log_fatal("out of memory");
	c->con = console_new(o->interactive, banner.data, &con_ops);
	buf_free(&banner);
	if (c->con && o->interactive) {
		c->out.above = print_above;
		c->out.above_arg = c->con;
	}
	return c->topo && c->hb && c->rq && c->moves && c->cmd && c->con ? 0 : -1;
}

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
	c->ctx = link_ctx_new();
	if (!c->ctx || downlink_open(&c->down, c->ctx, "control") < 0 || wire(c) < 0)
		return -1;
	proc_fd_base();
	return 0;
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
			zmq_pollitem_t item = { NULL, c->sigfd, ZMQ_POLLIN, 0 };
			struct signalfd_siginfo si;
			zmq_poll(&item, 1, (long)left);
			while (read(c->sigfd, &si, sizeof si) > 0)
				;
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
	if (c->ctx)
		zmq_ctx_term(c->ctx);
	if (c->sigfd >= 0)
		close(c->sigfd);
}

static int64_t next_wake(struct control *c)
{
	int64_t wake = requests_next_wake(c->rq);
	int64_t other[] = { downlink_next_probe(&c->down), heartbit_next(c->hb),
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
	requests_tick(c->rq, now);
	settle(c);
	moves_tick(c->moves, now);
	settle(c);
	heartbit_check(c->hb, now, report_silent, c);
}

int control_run(const struct control_options *opt)
{
	struct control ctl = { .opt = opt, .sigfd = -1 };
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
			settle(c);
			c->exit_deadline = INT64_MAX;
		}
		if (c->exiting && (requests_pending(c->rq) == 0 || c->exit_now)) {
			requests_fail_all(c->rq, true);
			settle(c);
			break;
		}
		int64_t wake = next_wake(c);
		long timeout = wake == INT64_MAX ? -1 : (long)(wake > now ? wake - now : 0);
		zmq_pollitem_t items[] = {
			{ c->down.sock, 0, ZMQ_POLLIN, 0 },
			{ c->down.mon, 0, ZMQ_POLLIN, 0 },
			{ NULL, c->sigfd, ZMQ_POLLIN, 0 },
			{ NULL, 0, console_wants_input(c->con) ? ZMQ_POLLIN : 0, 0 },
		};
		if (output_flush(&c->out) < 0)
			break;
		if (zmq_poll(items, 4, timeout) < 0 && errno != EINTR)
			break;
		now = clock_ms();
		if (items[2].revents)
			on_signals(c);
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
