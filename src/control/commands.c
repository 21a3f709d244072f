/* commands.c - the terminal commands as a table: arity is checked here, in one place, and
 * each command is one function. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

#include <stdlib.h>

#include "buf.h"
#include "hosts.h"
#include "output.h"
#include "parse.h"
#include "topo.h"

#define VARIADIC (-1)

struct commands {
	const struct topo *topo;
	const struct hosts *hosts;
	enum topo_kind kind;
	const struct cmdset *set;
	struct output *out;
	struct commands_ops ops;
};

struct commands *commands_new(const struct topo *topo, const struct hosts *hosts,
			      enum topo_kind kind, const struct cmdset *set, struct output *out,
			      const struct commands_ops *ops)
{
	struct commands *cm = calloc(1, sizeof *cm);
	if (!cm)
		return NULL;
	cm->topo = topo;
	cm->hosts = hosts;
	cm->kind = kind;
	cm->set = set;
	cm->out = out;
	cm->ops = *ops;
	return cm;
}

void commands_destroy(struct commands **cmp)
{
	free(*cmp);
	*cmp = NULL;
}

struct command {
	const char *name;
	int waits;		/* enum requests_cmd, or -1: never waits */
	bool later;		/* answered by the request engine, maybe later */
	const char *args;	/* for usage lines */
	const char *help;
	int min, max;		/* arguments after the name */
	void (*run)(struct commands *cm, const struct tokens *t);
	bool streams;		/* exec: the rest of the line is forwarded as it is read */
};

static void error_usage(struct commands *cm, const struct command *cmd, const char *what)
{
	output_printf(cm->out, "Error: %s; usage: %s%s%s", what, cmd->name, *cmd->args ? " " : "",
		      cmd->args);
}

static void error_token(struct commands *cm, const char *what, const struct word *t)
{
	struct buf b = { 0 };
	buf_printf(&b, "Error: %s ", what);
	buf_quote(&b, t->s, t->len);
	output_line(cm->out, b.data, b.len);
	buf_free(&b);
}

/* Reads argument i as a node id, or says why not. */
static int arg_id(struct commands *cm, const struct tokens *t, size_t i, int32_t *id)
{
	if (parse_id(&t->tok[i], id) == 0)
		return 0;
	error_token(cm, "Invalid id", &t->tok[i]);
	return -1;
}

#define CREATE_ARGS "ID [PARENT] [@HOST]"

/* A create's last argument names its host when it starts with '@'. */
static bool names_host(const struct tokens *t, size_t i)
{
	return t->n > i && t->tok[i].len && t->tok[i].s[0] == '@';
}

static void cmd_create(struct commands *cm, const struct tokens *t)
{
	int32_t id;
	int64_t parent = TOPO_ROOT;
	int host = HOSTS_LOCAL;
	size_t nargs = names_host(t, t->n - 1) ? t->n - 1 : t->n;
	if (nargs > 3) {
		output_puts(cm->out, "Error: Too many arguments; usage: create " CREATE_ARGS);
		return;
	}
	if (arg_id(cm, t, 1, &id) < 0)
		return;
	if (nargs > 2 && parse_parent(&t->tok[2], &parent) < 0) {
		error_token(cm, "Invalid id", &t->tok[2]);
		return;
	}
	if (nargs < t->n) {
		const struct word *w = &t->tok[t->n - 1];
		host = hosts_find(cm->hosts, w->s + 1, w->len - 1);
		if (host < 0) {
			output_puts(cm->out, "Error: Host not found");
			return;
		}
		if (!hosts_get(cm->hosts, host)->alive) {
			output_puts(cm->out, "Error: Host is unavailable");
			return;
		}
	}
	cm->ops.create(cm->ops.arg, id, parent, host);
}

static void cmd_ping(struct commands *cm, const struct tokens *t)
{
	int32_t id;
	if (arg_id(cm, t, 1, &id) == 0)
		cm->ops.ping(cm->ops.arg, id);
}

static void cmd_pingall(struct commands *cm, const struct tokens *t)
{
	cm->ops.pingall(cm->ops.arg);
}

static void cmd_kill(struct commands *cm, const struct tokens *t)
{
	int32_t id;
	if (arg_id(cm, t, 1, &id) == 0)
		cm->ops.kill(cm->ops.arg, id);
}

static void cmd_remove(struct commands *cm, const struct tokens *t)
{
	int32_t id;
	if (arg_id(cm, t, 1, &id) == 0)
		cm->ops.remove(cm->ops.arg, id);
}

struct tree_print {
	struct commands *cm;
	struct buf line;
};

static void tree_line(struct topo_node *n, void *arg)
{
	static const char *const states[] = { " [starting]", "", " [unavailable]" };
	struct tree_print *tp = arg;
	size_t depth = topo_depth(tp->cm->topo, n->id);
	depth += !depth;	/* a dead node healed around, listed apart */
	buf_reset(&tp->line);
	for (size_t i = 0; i < depth; i++)
		buf_puts(&tp->line, "  ");
	buf_printf(&tp->line, "%d", (int)n->id);
	if (tp->cm->kind == TOPO_BST || tp->cm->kind == TOPO_BALANCED)
		buf_puts(&tp->line, n->parent < 0 ? "" : n->side ? " (R)" : " (L)");
	if (n->pid)
		buf_printf(&tp->line, " pid %d", (int)n->pid);
	if (hosts_listening(tp->cm->hosts))
		buf_printf(&tp->line, " @%s", hosts_get(tp->cm->hosts, n->host)->name);
	buf_puts(&tp->line, n->parent == TOPO_DEAD ? " [dead]" : states[n->state]);
	output_line(tp->cm->out, tp->line.data, tp->line.len);
}

static void cmd_tree(struct commands *cm, const struct tokens *t)
{
	struct tree_print tp = { cm, { 0 } };
	size_t n;
	buf_printf(&tp.line, "control pid %d, %s, %zu node%s", (int)getpid(),
		   topo_kind_name(cm->kind), topo_count(cm->topo),
		   topo_count(cm->topo) == 1 ? "" : "s");
	output_line(cm->out, tp.line.data, tp.line.len);
	const int32_t *roots = topo_roots(cm->topo, &n);
	for (size_t i = 0; i < n; i++)
		topo_walk(cm->topo, roots[i], tree_line, &tp);
	const int32_t *dead = topo_buried(cm->topo, &n);	/* last, at depth 1: [dead] */
	for (size_t i = 0; i < n; i++)
		tree_line(topo_get(cm->topo, dead[i]), &tp);
	buf_free(&tp.line);
}

struct host_count {
	int host;
	size_t n;
};

static void count_on_host(struct topo_node *n, void *arg)
{
	struct host_count *c = arg;
	c->n += n->host == c->host;
}

/* `hosts`: one line a host, this one first. */
static void cmd_hosts(struct commands *cm, const struct tokens *t)
{
	struct buf b = { 0 };
	for (size_t i = 0; i < hosts_count(cm->hosts); i++) {
		const struct host *h = hosts_get(cm->hosts, (int)i);
		struct host_count c = { (int)i, 0 };
		topo_each_sorted(cm->topo, count_on_host, &c);
		buf_reset(&b);
		buf_printf(&b, "%s %s, %zu node%s, %s%s", h->name, h->address, c.n,
			   c.n == 1 ? "" : "s", h->alive ? "alive" : "unavailable",
			   i == HOSTS_LOCAL ? ", this host" : "");
		output_line(cm->out, b.data, b.len);
	}
	buf_free(&b);
}

static void cmd_heartbit(struct commands *cm, const struct tokens *t)
{
	int64_t ms;
	if (parse_uint(&t->tok[1], 86400000, &ms) < 0) {
		error_token(cm, "Invalid period", &t->tok[1]);
		return;
	}
	cm->ops.heartbit(cm->ops.arg, (int32_t)ms);
}

/* `heal on|off` switches --heal; `heal` says whether it is on. */
static void cmd_heal(struct commands *cm, const struct tokens *t)
{
	int on = -1;
	if (t->n > 1 && parse_is(&t->tok[1], "on"))
		on = 1;
	else if (t->n > 1 && parse_is(&t->tok[1], "off"))
		on = 0;
	else if (t->n > 1) {
		error_token(cm, "Invalid switch (on or off)", &t->tok[1]);
		return;
	}
	bool now = cm->ops.heal(cm->ops.arg, on);
	output_puts(cm->out, on >= 0 ? "Ok" : now ? "Ok: on" : "Ok: off");
}

static void cmd_help(struct commands *cm);

static void cmd_help_run(struct commands *cm, const struct tokens *t)
{
	cmd_help(cm);
}

static void cmd_exit(struct commands *cm, const struct tokens *t)
{
	cm->ops.quit(cm->ops.arg);
}

static const struct command commands[] = {
	{ "create", RQ_CREATE, true, CREATE_ARGS,
	  "start node ID under PARENT (-1: the control node), on HOST", 1, 3, cmd_create, false },
	{ "exec", RQ_EXEC, true, "ID ARGS...", NULL, 1, VARIADIC, NULL, true },
	{ "ping", RQ_PING, true, "ID", "Ok: 1 if node ID answers, Ok: 0 if not", 1, 1, cmd_ping, false },
	{ "pingall", RQ_WHOLE, true, "", "every unavailable node, or -1", 0, 0, cmd_pingall, false },
	{ "kill", RQ_KILL, true, "ID", "end node ID and its subtree", 1, 1, cmd_kill, false },
	{ "remove", RQ_REMOVE, true, "ID", "end node ID; its children are joined again", 1, 1, cmd_remove, false },
	{ "tree", RQ_WHOLE, false, "", "show the nodes", 0, 0, cmd_tree, false },
	{ "hosts", -1, false, "", "the hosts nodes run on (--listen)", 0, 0, cmd_hosts, false },
	{ "heartbit", -1, false, "MS", "every node reports every MS ms; silent 4*MS: reported (0: stop)",
	  1, 1, cmd_heartbit, false },
	{ "heartbeat", -1, false, "MS", NULL, 1, 1, cmd_heartbit, false },
	{ "heal", -1, false, "[on|off]", "a dead node's children live on, re-attached (--heal)", 0, 1,
	  cmd_heal, false },
	{ "help", -1, false, "", "this list", 0, 0, cmd_help_run, false },
	{ "exit", -1, false, "", "answer what is due, end every node, quit (also: quit)", 0, 0, cmd_exit,
	  false },
	{ "quit", -1, false, "", NULL, 0, 0, cmd_exit, false },
};

static void cmd_help(struct commands *cm)
{
	struct buf b = { 0 };
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct command *cmd = &commands[i];
		const char *help = cmd->help;
		buf_reset(&b);
		if (cmd->streams) {
			buf_printf(&b, "  %-22s %s", cm->set->usage + 0, "run on node ID");
		} else if (help) {
			char head[64];
			snprintf(head, sizeof head, "%s%s%s", cmd->name, *cmd->args ? " " : "",
				 cmd->args);
			buf_printf(&b, "  %-22s %s", head, help);
		} else {
			continue;
		}
		output_line(cm->out, b.data, b.len);
	}
	buf_free(&b);
}


static const struct command *find(const struct word *t)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (parse_is(t, commands[i].name))
			return &commands[i];
	return NULL;
}

static bool start_exec(struct commands *cm, const struct tokens *t, bool complete, uint32_t *req,
		       int *extra)
{
	int32_t id;
	/* A head cut right after the id might have cut the id itself. */
	if (!complete && t->rest_len == 0) {
		output_puts(cm->out, "Error: Line too long");
		return false;
	}
	if (arg_id(cm, t, 1, &id) < 0)
		return false;
	*req = cm->ops.exec_begin(cm->ops.arg, id);
	*extra = t->rest_len == 0 || (size_t)strspn(t->rest, " \t\r") >= t->rest_len ?
			 cm->set->bare_lines : 0;
	if (*req)
		cm->ops.exec_feed(cm->ops.arg, *req, t->rest, t->rest_len);
	/* Even an exec answered at once owns the rest of its line (and joined lines). */
	return true;
}

bool commands_waits(struct commands *cm, const char *line, size_t len)
{
	struct tokens t;
	int32_t id = 0;
	int64_t parent = TOPO_ROOT;
	parse_tokens(line, len, &t);
	const struct command *cmd = t.n && t.tok[0].s[0] != '#' ? find(&t.tok[0]) : NULL;
	if (!cmd || cmd->waits < 0 || (int)t.n - 1 < cmd->min)
		return false;
	/* A bad id is answered now, whatever is under way. */
	if (cmd->min && parse_id(&t.tok[1], &id) < 0)
		return false;
	if (cmd->waits == RQ_CREATE && t.n > 2 && !names_host(&t, 2) &&
	    parse_parent(&t.tok[2], &parent) < 0)
		return false;
	return cm->ops.waits(cm->ops.arg, cmd->waits, id, parent);
}

/* A command line's one answer, or its start. */
static bool run(struct commands *cm, const struct command *cmd, const struct tokens *t,
		bool complete, uint32_t *stream_req, int *extra_lines)
{
	if (!cmd) {
		error_token(cm, "Unknown command", &t->tok[0]);
		return false;
	}
	int nargs = (int)t->n - 1;
	if (nargs < cmd->min) {
		error_usage(cm, cmd, "Missing argument");
		return false;
	}
	if (cmd->streams)
		return start_exec(cm, t, complete, stream_req, extra_lines);
	if (!complete) {
		output_puts(cm->out, "Error: Line too long");
		return false;
	}
	if (nargs > cmd->max || t->more) {
		error_usage(cm, cmd, "Too many arguments");
		return false;
	}
	cmd->run(cm, t);
	return false;
}

bool commands_line(struct commands *cm, const char *line, size_t len, bool complete,
		   uint32_t *stream_req, int *extra_lines)
{
	struct tokens t;
	parse_tokens(line, len, &t);
	if (t.n == 0 || t.tok[0].s[0] == '#')
		return false;
	const struct command *cmd = find(&t.tok[0]);
	cm->ops.tag(cm->ops.arg, output_begin(cm->out, cmd && cmd->later));
	bool streams = run(cm, cmd, &t, complete, stream_req, extra_lines);
	output_end(cm->out);
	return streams;
}
