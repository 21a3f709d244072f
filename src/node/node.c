/* node.c - a compute node's loop: route requests down, answers up, start children, notice
 * lost children at once, and end when the parent is gone. */
#include "node.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "beats.h"
#include "child.h"
#include "clock.h"
#include "downlink.h"
#include "inflight.h"
#include "link.h"
#include "log.h"
#include "proc.h"
#include "proto.h"
#include "remote.h"
#include "uplink.h"
#include "worker.h"
#include "zap.h"

/* Messages read from one peer before the loop looks at the others. */
#define RECV_BATCH 4096

/* A message from below that is not the sender's to send. */
static void dropped(struct node *n, const char *what, int32_t id, int32_t from)
{
	n->dropped++;
	log_debug("%s naming node %d from child %d: not its to send, dropped (%lu so far)", what,
		  (int)id, (int)from, n->dropped);
}

static void reply(struct node *n, uint32_t req, uint8_t code, const char *text)
{
	proto_send_rep(n->up, req, n->id, code, text, text ? strlen(text) : 0);
}

/* A child is gone: fail what is being started, or tell the control node it lost a subtree.
 * Requests in flight through it are failed there, where they are tracked. */
static void child_lost(struct node *n, struct child *c, const char *why)
{
	if (c->state == CHILD_SPAWNED) {
		char text[160];
		snprintf(text, sizeof text, "Cannot start node: %s", why);
		reply(n, c->create_req, REP_ERR, text);
	} else {
		child_tell_lost(n, c->id, c->pid);
	}
	log_debug("child %d lost: %s", (int)c->id, why);
	child_remove(n, c);
}

static void probe_children(struct node *n)
{
	for (size_t i = 0; i < n->nchildren;) {
		struct child *c = &n->children[i];
		if (child_is_here(c) && downlink_probe(&n->down, c->id) < 0)
			child_lost(n, c, "connection closed");
		else
			i++;
	}
}

static void set_period(struct node *n, int32_t ms)
{
	beats_set_period(&n->beats, ms, clock_ms());
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i].state == CHILD_UP)
			proto_send_period(n->down.sock, n->children[i].id, n->beats.ms);
}

/* A child has joined: it reports at the current period from the start. */
static void welcome(struct node *n, struct child *c)
{
	child_set_state(n, c, CHILD_UP);
	child_pass_news(n, c->id);
	if (n->beats.ms)
		proto_send_period(n->down.sock, c->id, n->beats.ms);
}

/* A child the control node ended is forgotten at once (OP_ABORT), and one that moved away is
 * no longer ours, but its old connection may hold the id on our link a moment longer: what
 * it still carries is read before a new connection takes the id over (child.c, handover).
 * A few ms at most, and only in this case. */
static void wait_id_free(struct node *n, int32_t id)
{
	for (int i = 0; downlink_probe(&n->down, id) == 0; i++) {
		if (i == 200) {
			log_debug("the id of child %d is still held by an old connection", (int)id);
			return;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
}

static void do_create(struct node *n, const struct msg *m)
{
	int32_t id;
	pid_t pid;
	char text[160], key[PROTO_KEY_LEN + 1];
	if (proto_read_create(m, &id, key) < 0)
		return;
	struct child *old = child_find(n, id);
	if (old && (old->state == CHILD_UP || old->state == CHILD_SPAWNED)) {
		reply(n, m->req, REP_ERR, "Already exists");
		return;
	}
	if (old)	/* moved away and gone, or expected and never came */
		child_remove(n, old);
	wait_id_free(n, id);
	if (key[0]) {	/* on another host: its agent starts it, told where by the control */
		struct child *c = child_add(n, id);
		c->create_req = m->req;
		child_set_state(n, c, CHILD_SPAWNED);
		snprintf(c->key, sizeof c->key, "%s", key);
		if (!remote_listen(n, m->req))
			child_remove(n, c);
		return;
	}
	if (!proc_fd_room(n->nchildren)) {	/* its link needs a descriptor here */
		snprintf(text, sizeof text, "Cannot start node: %s", strerror(EMFILE));
		reply(n, m->req, REP_ERR, text);
		return;
	}
	struct proc_remote opts;	/* it may have children on other hosts too */
	if (n->has_key && n->address)
		proc_remote_args(&opts, n->key_file, n->address, n->timeout_ms, NULL,
				 n->control, n->control_key);
	struct proc_node child = { n->program, id, n->down.endpoint, n->set->name, n->run.path,
				   n->has_key && n->address ? opts.argv : NULL };
	if (proc_spawn(&child, &pid) < 0) {
		snprintf(text, sizeof text, "Cannot start node: %s", strerror(errno));
		reply(n, m->req, REP_ERR, text);
		return;
	}
	struct child *c = child_add(n, id);
	c->pid = pid;
	c->create_req = m->req;
	child_set_state(n, c, CHILD_SPAWNED);
	c->spawned = true;
	log_debug("started child %d (pid %d)", (int)id, (int)pid);
	int32_t p = pid;
	unsigned char body[4];
	proto_put_i32(body, p);
	proto_send_rep(n->up, m->req, n->id, REP_SPAWNED, body, sizeof body);
}

/* A node will move here: only then is its HELLO taken, from its own id and pid. */
static void do_expect(struct node *n, const struct msg *m)
{
	int32_t id;
	pid_t pid;
	char key[PROTO_KEY_LEN + 1];
	if (proto_read_expect(m, &id, &pid, key) < 0)
		return;
	struct child *c = child_find(n, id);
	if (c && c->state == CHILD_ORPHAN && c->pid == pid && !key[0]) {
		welcome(n, c);	/* it is here already */
		reply(n, m->req, REP_ADOPTED, NULL);
		return;
	}
	/* The same process, moved away and now coming back before its BYE got here: its BYE
	 * finds it expected and is ignored. */
	bool back = c && c->state == CHILD_UP && c->pid == pid;
	if (c && !back && (c->state == CHILD_UP || c->state == CHILD_SPAWNED)) {
		reply(n, m->req, REP_ERR, "Already a child here");
		return;
	}
	if (!c)
		c = child_add(n, id);
	wait_id_free(n, id);	/* it may be coming back */
	child_set_state(n, c, CHILD_EXPECTED);
	c->pid = pid;
	snprintf(c->key, sizeof c->key, "%s", key);
	/* From another host it connects where REP_LISTEN says. */
	if (key[0] && !remote_listen(n, m->req))
		child_remove(n, c);
	else
		reply(n, m->req, REP_OK, NULL);
}

/* A create answered with an error: whatever it started here ends and is forgotten. */
static void do_abort(struct node *n, const struct msg *m)
{
	int32_t id;
	struct child *c;
	if (proto_read_i32(m, &id) < 0 || !(c = child_find(n, id)) || c->state == CHILD_MOVED ||
	    c->state == CHILD_EXPECTED)
		return;
	log_debug("%s %d called off", c->state == CHILD_ORPHAN ? "orphan" : "create of", (int)id);
	if (c->state == CHILD_ORPHAN)	/* not to be healed: it ends, and its subtree */
		proto_send_exit(n->down.sock, id);
	if (c->spawned)
		kill(c->pid, SIGKILL);	/* our own child: its pid cannot have been reused */
	child_remove(n, c);
}

/* A request whose target is this node. */
static void handle_local(struct node *n, zmq_msg_t *msg, const struct msg *m)
{
	switch (m->code) {
	case OP_PING:
		reply(n, m->req, REP_OK, NULL);
		break;
	case OP_EXEC:
		if (n->worker_busy == 0 && (m->flags & (EXEC_FIRST | EXEC_LAST)) ==
		    (EXEC_FIRST | EXEC_LAST) && m->body_len <= WORKER_INLINE_MAX) {
			worker_piece(n->worker, m, n->up);	/* microseconds: saves two hand-offs */
			break;
		}
		if (proto_forward(n->work, PROTO_NO_ROUTE, msg) == 0)
			n->worker_busy++;
		break;
	case OP_CREATE:
		do_create(n, m);
		break;
	case OP_KILL:
		n->stopping = true;
		break;
	case OP_MOVE:
		uplink_move(n, m);
		break;
	case OP_EXPECT:
		do_expect(n, m);
		break;
	case OP_ABORT:
		do_abort(n, m);
		break;
	}
}

/* What the child a request went down to may send back about it. */
static void track_down(struct node *n, uint32_t req, uint8_t op, int32_t child, int32_t target,
		       int32_t subject)
{
	int rc = 0;
	if (op == OP_ABORT)
		inflight_forget(n->inflight, subject);
	else if (op != OP_KILL)	/* every other op is answered */
		rc = inflight_sent(n->inflight, req, child, target);
	if (op == OP_CREATE && rc == 0)
		rc = inflight_expect(n->inflight, child, subject, req);
	else if (op == OP_EXPECT && rc == 0)
		rc = inflight_expect(n->inflight, child, subject, 0);
	if (rc < 0)
		log_fatal("out of memory");
}

/* A request for a node below: on to the next hop, tracked so that only that child may answer
 * it; answered unavailable when it cannot go. */
static void forward_down(struct node *n, zmq_msg_t *msg, const struct msg *m)
{
	int32_t next;
	if (proto_next_hop(m, n->id, &next) < 0)
		return;
	uint32_t req = m->req;
	int32_t target = m->id;
	uint8_t op = m->code;
	int32_t subject = -1;	/* a create's or a move's new node */
	pid_t pid;
	char key[PROTO_KEY_LEN + 1];
	if (op == OP_CREATE)
		proto_read_create(m, &subject, key);
	else if (op == OP_ABORT)
		proto_read_i32(m, &subject);
	else if (op == OP_EXPECT)
		proto_read_expect(m, &subject, &pid, key);
	/* m points into msg: read it all before this. An orphan waiting here is told to move. */
	struct child *c = child_find(n, next);
	if (c && !child_is_here(c))
		c = NULL;
	if (!c || proto_forward(n->down.sock, next, msg) < 0) {
		int err = c ? errno : EHOSTUNREACH;
		log_debug("cannot forward to %d: %s", (int)next, zmq_strerror(err));
		/* The loss first: a move answered so is then known to be of a dead node. */
		if (c && err == EHOSTUNREACH)
			child_lost(n, c, "connection closed");
		else if (!c)
			proto_send_lost(n->up, next, 0, n->id);
		proto_send_rep(n->up, req, target, REP_UNAVAIL, NULL, 0);
		return;
	}
	if (c->state == CHILD_ORPHAN)	/* the control node knows it */
		child_pass_news(n, next);
	track_down(n, req, op, next, target, subject);
}

static bool from_parent(void *arg, int32_t from, zmq_msg_t *msg, const struct msg *m)
{
	struct node *n = arg;
	void *up = n->up;
	int32_t ms;
	(void)from;
	switch (m->type) {
	case MSG_REQ:
		if (m->id == n->id)
			handle_local(n, msg, m);
		else
			forward_down(n, msg, m);
		return n->up == up;	/* a move replaced the uplink: read the new one next turn */
	case MSG_EXIT:
		n->stopping = true;
		return false;
	case MSG_PERIOD:
		if (proto_read_period(m, &ms) == 0)
			set_period(n, ms);
		return true;
	default:	/* PROBE, or not ours to take */
		return true;
	}
}

/* A HELLO from child link `from`: the child itself (started here, or told to expect it,
 * with that pid), or a node created or moved below it that was expected there. */
static bool hello_ok(struct node *n, struct child *c, int32_t from, const struct msg *m)
{
	pid_t pid;
	char endpoint[PROTO_ENDPOINT_MAX];
	if (proto_read_hello(m, &pid, endpoint, sizeof endpoint) < 0)
		return false;
	if (m->id != from)
		return c && c->state == CHILD_UP && inflight_hello(n->inflight, from, m->id);
	/* A node on another host was started by its agent: its pid is known from its HELLO. */
	if (!c || (c->state != CHILD_SPAWNED && c->state != CHILD_EXPECTED) ||
	    (c->pid != pid && !(c->key[0] && c->state == CHILD_SPAWNED))) {
		log_debug("HELLO of %d (pid %d) refused", (int)from, (int)pid);
		return false;
	}
	log_debug("HELLO of child %d (pid %d)", (int)from, (int)pid);
	c->pid = pid;
	welcome(n, c);
	return true;
}

/* Whether what child `from` sent may go up; it is dropped otherwise. It must come over a
 * connection with the key of the child's host (none for this host). */
static bool from_child_ok(struct node *n, int32_t from, zmq_msg_t *msg, const struct msg *m)
{
	struct child *c = child_find(n, from);
	if (c && strcmp(link_user(msg), c->key) != 0)
		return false;
	if (m->type == MSG_HELLO)
		return hello_ok(n, c, from, m);
	/* An orphan waiting here answers only its move, and passes on news of its subtree (of
	 * orphans there too, and losses), which the control node may need to heal it. */
	if (!c || (c->state != CHILD_UP &&
		   !(c->state == CHILD_ORPHAN && (m->type == MSG_REP || m->type == MSG_ORPHAN ||
						  m->type == MSG_LOST))))
		return false;	/* not a child of ours: nothing it says is trusted */
	switch (m->type) {
	case MSG_REP:
		return inflight_answer(n->inflight, m->req, from, m->id,
				       m->code != REP_CREDIT && m->code != REP_SPAWNED &&
					       m->code != REP_LISTEN);
	case MSG_LOST:
	case MSG_ORPHAN:
		return m->id != from;	/* a child reports what is below it, never itself */
	case MSG_BEAT:	/* a batch for itself and its subtree, sent by the child itself */
		return m->id == from && proto_beat_count(m) >= 0;
	default:
		return false;	/* requests, probes, exits and periods travel down */
	}
}

/* The child has moved to another parent: no loss to report, but its exit is still ours to
 * see when we started it. */
static void child_moved(struct node *n, struct child *c)
{
	if (!c->spawned) {
		child_remove(n, c);
		return;
	}
	inflight_drop_child(n->inflight, c->id);
	child_set_state(n, c, CHILD_MOVED);
}

static bool from_children(void *arg, int32_t from, zmq_msg_t *msg, const struct msg *m)
{
	struct node *n = arg;
	struct child *c = child_find(n, from);
	if (m->type == MSG_HELLO && (!c || c->state == CHILD_MOVED) && m->id == from &&
	    !*link_user(msg)) {
		child_orphan(n, from, m);
		return true;
	}
	switch (m->type) {
	case MSG_BYE:
		if (c && child_is_here(c) && m->id == from && !strcmp(link_user(msg), c->key))
			child_moved(n, c);
		return true;
	case MSG_BEAT:
		if (!from_child_ok(n, from, msg, m))
			break;
		for (long i = 0, count = proto_beat_count(m); i < count; i++) {
			int32_t id = proto_beat_id(m, (size_t)i);
			beats_add(&n->beats, &id, 1);
		}
		return true;
	default:
		if (!from_child_ok(n, from, msg, m))
			break;
		if (c->state == CHILD_ORPHAN && m->type != MSG_REP)
			child_keep_news(n, from, msg);
		else
			proto_forward(n->up, PROTO_NO_ROUTE, msg);
		return true;
	}
	dropped(n, "message", m->id, from);
	return true;
}

static void from_worker(struct node *n)
{
	zmq_msg_t msg;
	for (;;) {
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, n->work, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			return;
		}
		n->worker_busy--;	/* one answer for every piece */
		proto_forward(n->up, PROTO_NO_ROUTE, &msg);
	}
}

static void on_signals(struct node *n)
{
	struct signalfd_siginfo si;
	while (read(n->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo != SIGCHLD) {
			n->stopping = true;
			continue;
		}
	}
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct child *c = child_by_pid(n, pid);
		if (!c || !c->spawned)
			continue;
		char why[64];
		proc_status_text(status, why, sizeof why);
		if (c->state == CHILD_MOVED) {	/* it lives elsewhere in the tree now */
			proto_send_lost(n->up, c->id, c->pid, n->id);
			child_remove(n, c);
		} else {
			child_lost(n, c, why);
		}
	}
}

static void on_monitors(struct node *n, int64_t now)
{
	int ev;
	char ep[PROTO_ENDPOINT_MAX];
	downlink_watch(&n->down, now);
	while (link_monitor_read(n->up_mon, &ev, ep, sizeof ep) != 1) {
		if (ev != ZMQ_EVENT_DISCONNECTED && ev != ZMQ_EVENT_CONNECT_RETRIED)
			continue;
		log_debug("uplink %s: event %d", ep, ev);
		if (uplink_lost(n, ep))	/* its monitor may be a new one: read it next turn */
			return;
		log_debug("ending");
		n->stopping = true;
	}
}

static int setup(struct node *n)
{
	static const int signals[] = { SIGCHLD, SIGTERM, SIGHUP, 0 };
	signal(SIGINT, SIG_IGN);	/* the control node decides when nodes end */
	signal(SIGPIPE, SIG_IGN);
	n->sigfd = proc_signalfd(signals);
	if (n->sigfd < 0)
		return -1;
	link_raise_fd_limit();
	/* libzmq's I/O thread and reaper, and the worker. */
	if (!proc_threads_ok(3)) {
		log_warn("cannot start: %s", PROC_NO_THREADS);
		_exit(PROC_EXIT_NO_THREADS);
	}
	if (!proc_fd_room(0)) {
		log_warn("cannot start: %s", strerror(EMFILE));
		_exit(PROC_EXIT_NO_FILES);
	}
	n->inflight = inflight_new();
	if (!n->inflight || remote_setup(n) < 0)
		return -1;
	char bind[PROTO_ENDPOINT_MAX];
	if (rundir_join(&n->run, n->dir) < 0 ||
	    rundir_node_endpoint(&n->run, n->id, getpid(), bind, sizeof bind) < 0)
		return -1;
	n->ctx = link_ctx_new();
	if (downlink_open(&n->down, n->ctx, "down", bind) < 0)
		return -1;
	n->up = uplink_open(n, n->parent_endpoint, n->server_key, &n->up_mon);
	uplink_note(n, n->parent_endpoint);
	if (!n->up || !(n->worker = worker_new(n->ctx, n->id, n->set, &n->work)))
		return -1;
	proc_fd_base();
	/* Queued until the connection is up; the parent answers the create with it. */
	return proto_send_hello(n->up, n->id, getpid(), n->down.endpoint);
}

static void teardown(struct node *n)
{
	if (n->up_fd >= 0) {	/* its children end with it */
		close(n->up_fd);
		rundir_clear_up(&n->run, n->down.endpoint);
	}
	/* A worker in the middle of a long exec cannot be joined for seconds; nothing of this
	 * process is worth that wait: the kernel closes every link at once. */
	if (n->worker_busy) {
		rundir_leave(&n->run);
		_exit(0);
	}
	link_unmonitor(n->up, &n->up_mon);
	remote_close(n);
	downlink_close(&n->down);
	link_close(&n->up);
	link_close(&n->work);
	if (n->ctx) {
		zmq_ctx_shutdown(n->ctx);
		worker_destroy(&n->worker);
		zmq_ctx_term(n->ctx);
	}
	if (n->sigfd >= 0)
		close(n->sigfd);
	rundir_leave(&n->run);	/* after the sockets: the last one out removes the directory */
	free(n->children);
	buf_free(&n->orphan_news);
	inflight_destroy(&n->inflight);
	beats_free(&n->beats);
}

int node_run(struct node *n)
{
	n->sigfd = -1;
	n->up_fd = -1;
	n->run.lock = -1;
	if (setup(n) < 0) {
		log_warn("cannot start: %s", zmq_strerror(errno));
		teardown(n);
		return 1;
	}
	while (!n->stopping) {
		/* A move replaces the uplink; the worker is looked at only while it has work:
		 * every ZeroMQ socket in the set costs syscalls on every wait. */
		zmq_pollitem_t items[] = {
			{ n->up, 0, ZMQ_POLLIN, 0 },
			{ n->down.sock, 0, ZMQ_POLLIN, 0 },
			{ n->up_mon, 0, ZMQ_POLLIN, 0 },
			{ n->down.mon, 0, ZMQ_POLLIN, 0 },
			{ NULL, n->sigfd, ZMQ_POLLIN, 0 },
			{ 0 }, { 0 },
		};
		int nitems = 5, zi = -1, wi = -1;
		if (n->zap)
			items[zi = nitems++] = (zmq_pollitem_t){ zap_socket(n->zap), 0, ZMQ_POLLIN, 0 };
		if (n->worker_busy)
			items[wi = nitems++] = (zmq_pollitem_t){ n->work, 0, ZMQ_POLLIN, 0 };
		int64_t now = clock_ms();
		int64_t wake = beats_due(&n->beats, n->id, n->up, now);
		if (downlink_next_probe(&n->down) < wake)
			wake = downlink_next_probe(&n->down);
		long timeout = wake == INT64_MAX ? -1 : (long)(wake > now ? wake - now : 0);
		if (zmq_poll(items, nitems, timeout) < 0 && errno != EINTR)
			break;
		now = clock_ms();
		if (items[4].revents)
			on_signals(n);
		if (items[2].revents || items[3].revents)
			on_monitors(n, now);
		if (items[0].revents)
			proto_recv_each(n->up, 0, RECV_BATCH, from_parent, n);
		if (items[1].revents)
			proto_recv_each(n->down.sock, 1, RECV_BATCH, from_children, n);
		if (zi >= 0 && items[zi].revents)
			zap_handle(n->zap);
		if (wi >= 0 && items[wi].revents)
			from_worker(n);
		if (downlink_probe_due(&n->down, now)) {
			/* a BYE that came before the close */
			proto_recv_each(n->down.sock, 1, RECV_BATCH, from_children, n);
			probe_children(n);
		}
	}
	teardown(n);
	return 0;
}
