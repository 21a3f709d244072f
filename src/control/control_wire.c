/* control_wire.c - what the control node's parts get: each op a thin call into the part
 * that does the job, so that no part sees another (control_impl.h). */
#include "control_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "commands.h"
#include "console.h"
#include "control.h"
#include "heartbit.h"
#include "hosts.h"
#include "log.h"
#include "moves.h"
#include "proc.h"
#include "proto.h"
#include "requests.h"
#include "topo.h"

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

/* Here, or by the agent of the node's host. A node here gets the control's key pair when
 * it listens: it may have children on other hosts, or a parent there (parent_key). */
static int spawn(void *arg, uint32_t req, int32_t id, int host, const char *parent_ep,
		 const char *parent_key, pid_t *pid)
{
	struct control *c = arg;
	const struct control_options *o = c->opt;
	size_t links;
	if (host != HOSTS_LOCAL) {
		if (!parent_ep) {
			parent_ep = c->down.remote;
			parent_key = c->kp.pub;
		}
		const char *fields[] = { parent_ep, parent_key, o->set->name, c->down.remote,
					 c->kp.pub };
		return hosts_spawn(c->hosts, host, req, id, fields) < 0 ? -1 : 1;
	}
	topo_roots(c->topo, &links);
	if (!proc_fd_room(links)) {	/* its link needs a descriptor here */
		errno = EMFILE;
		return -1;
	}
	struct proc_remote opts;
	if (o->listen)
		proc_remote_args(&opts, c->key_file, hosts_get(c->hosts, host)->address,
				 o->timeout_ms, parent_key, NULL, NULL);
	struct proc_node node = { c->program, id, parent_ep ? parent_ep : c->down.endpoint,
				  o->set->name, c->run.path, o->listen ? opts.argv : NULL };
	return proc_spawn(&node, pid);
}

static const char *host_key(void *arg, int host)
{
	return hosts_key(((struct control *)arg)->hosts, host);
}

/* By pid here; on another host by its agent. */
static void kill_node(void *arg, pid_t pid, int32_t id)
{
	struct control *c = arg;
	struct topo_node *n = topo_get(c->topo, id);
	if (n && n->host != HOSTS_LOCAL)
		hosts_kill(c->hosts, n->host, id, pid);
	else
		proc_kill(pid, id);
}

static void spawn_answer(void *arg, int host, const struct msg *m)
{
	struct control *c = arg;
	requests_spawn_answer(c->rq, host, m);
	control_settle(c);
}

static void node_exit(void *arg, int host, int32_t id, pid_t pid)
{
	struct control *c = arg;
	requests_node_exit(c->rq, host, id, pid);
	control_settle(c);
}

static void host_down(void *arg, int host)
{
	struct control *c = arg;
	requests_host_down(c->rq, host);
	control_settle(c);
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

static void move_heal(void *arg, int32_t id, struct buf *held)
{
	moves_heal(((struct control *)arg)->moves, id, held);
}

static void healed(void *arg, struct buf *held)
{
	requests_healed(((struct control *)arg)->rq, held);
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

static void cmd_create(void *arg, int32_t id, int64_t parent, int host)
{
	requests_create(((struct control *)arg)->rq, id, parent, host);
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

static bool cmd_heal(void *arg, int on)
{
	struct control *c = arg;
	if (on >= 0)
		requests_set_heal(c->rq, on);
	return requests_healing(c->rq);
}

static void cmd_quit(void *arg)
{
	control_begin_exit(arg);
}

/* The console's lines: each is one event. */
static bool con_line(void *arg, const char *line, size_t len, bool complete, uint32_t *stream,
		     int *extra)
{
	struct control *c = arg;
	bool streams = commands_line(c->cmd, line, len, complete, stream, extra);
	control_settle(c);
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
	control_settle(c);
}

static void con_end(void *arg, uint32_t req)
{
	struct control *c = arg;
	requests_exec_end(c->rq, req);
	control_settle(c);
}

static bool con_can_feed(void *arg, uint32_t req)
{
	return requests_exec_can_feed(((struct control *)arg)->rq, req);
}

static bool print_above(void *arg, const char *line, size_t len)
{
	return console_print_above(arg, line, len);
}

int control_wire_hosts(struct control *c)
{
	const struct control_options *o = c->opt;
	const struct hosts_ops ops = { spawn_answer, node_exit, host_down, c };
	char err[512];
	if (o->listen && !realpath(o->key_file, c->key_file)) {
		log_warn("%s: %s", o->key_file, strerror(errno));
		return errno = EINVAL, -1;
	}
	if (o->listen && (keys_load(c->key_file, &c->kp, err, sizeof err) < 0 ||
			  !(c->allowed = keys_list_load(o->allow_file, err, sizeof err)))) {
		log_warn("%s", err);
		return errno = EINVAL, -1;
	}
	const struct hosts_config cfg = { o->listen, &c->kp, c->allowed, o->timeout_ms };
	if (!(c->hosts = hosts_new(c->ctx, &cfg, &ops)))
		return -1;
	return o->listen ? downlink_listen(&c->down, hosts_get(c->hosts, HOSTS_LOCAL)->address,
					   &c->kp, "node", o->timeout_ms)
			 : 0;
}

int control_wire(struct control *c)
{
	const struct control_options *o = c->opt;
	const struct requests_ops requests_ops = { send_down,	 spawn,	     host_key, kill_node,
						   print,	 now_ms,     move_remove,
						   move_adopt,	 move_heal,  linked,     c };
	const struct moves_ops moves_ops = {send_down, now_ms, kill_node, host_key, new_id,
					    in_flight, hold,   release,	  adopt_from,
					    answer,    lost,   healed,	  c};
	const struct commands_ops commands_ops = { cmd_create,	 cmd_ping,     cmd_pingall, cmd_kill,
						   cmd_remove,	 cmd_exec_begin, cmd_exec_feed,
						   cmd_waits,	 cmd_heartbit, cmd_tag,	    cmd_quit,
						   cmd_heal,	 c };
	const struct console_ops con_ops = { con_line, con_waits, con_feed, con_end, con_can_feed,
					     cmd_quit, c };
	struct buf banner = { 0 };
	c->out.ordered = o->ordered;
	c->topo = topo_new(o->kind);
	c->hb = heartbit_new();
	c->rq = requests_new(c->topo, c->hb, o->timeout_ms, &requests_ops);
	if (c->rq)
		requests_set_heal(c->rq, o->heal);
	c->moves = moves_new(c->topo, o->timeout_ms > HELLO_MIN_MS ? o->timeout_ms : HELLO_MIN_MS,
			     c->down.endpoint, c->down.remote, &moves_ops);
	c->cmd = commands_new(c->topo, c->hosts, o->kind, o->set, &c->out, &commands_ops);
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
