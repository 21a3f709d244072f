/* control_wire.c - what the control node's parts get: each op a thin call into the part
 * that does the job, so that no part sees another (control_impl.h). */
#include "control_impl.h"

#include <errno.h>

#include "buf.h"
#include "clock.h"
#include "commands.h"
#include "console.h"
#include "control.h"
#include "heartbit.h"
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

static int spawn(void *arg, int32_t id, pid_t *pid)
{
	struct control *c = arg;
	size_t links;
	topo_roots(c->topo, &links);
	if (!proc_fd_room(links)) {	/* its link needs a descriptor here */
		errno = EMFILE;
		return -1;
	}
	struct proc_node node = { c->program, id, c->down.endpoint, c->opt->set->name,
				  c->run.path, NULL };
	return proc_spawn(&node, pid);
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

int control_wire(struct control *c)
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
