/* engine_fake.h - the control node's request engine and moves, wired as the loop wires them
 * but to a fake downlink (sent messages are recorded), a fake clock, fake processes and a
 * recorded output: what a test says the nodes answer is handed in as the loop would hand it.
 * Included by one test program. */
#include "fake_down.h"
#include "heartbit.h"
#include "moves.h"
#include "proto.h"
#include "requests.h"
#include "topo.h"

static struct {
	struct topo *topo;
	struct heartbit *hb;
	struct requests *rq;
	struct moves *mv;
	struct buf out;		/* printed answers, a line each */
} fx;

/* The last start asked of another host's agent: "REQ ID@HOST PARENT_EP PARENT_KEY". */
static char agent_asked[256];

/* Here: started at once; on another host: its agent is asked. */
static int fake_spawn(void *arg, uint32_t req, int32_t id, int host, const char *parent_ep,
		      const char *parent_key, pid_t *pid)
{
	(void)arg;
	if (!host) {
		*pid = FAKE_PID(id);
		return 0;
	}
	snprintf(agent_asked, sizeof agent_asked, "%u %d@%d %s %s", req, (int)id, host,
		 parent_ep ? parent_ep : "-", parent_key ? parent_key : "-");
	return 1;
}


static void fake_print(void *arg, uint64_t tag, const char *line, size_t len)
{
	(void)arg;
	(void)tag;
	buf_append(&fx.out, line, len);
	buf_puts(&fx.out, "\n");
}

static void to_remove(void *arg, uint32_t req, int32_t id)
{
	(void)arg;
	moves_remove(fx.mv, req, id);
}

static void to_adopt(void *arg, uint32_t req, int32_t id, int32_t child, int32_t from,
		     struct buf *held)
{
	(void)arg;
	moves_adopt(fx.mv, req, id, child, from, held);
}

static void to_heal(void *arg, int32_t id, struct buf *held)
{
	(void)arg;
	moves_heal(fx.mv, id, held);
}

static void to_healed(void *arg, struct buf *held)
{
	(void)arg;
	requests_healed(fx.rq, held);
}

static uint32_t to_new_id(void *arg)
{
	(void)arg;
	return requests_new_id(fx.rq);
}

static bool to_in_flight(void *arg, int32_t id)
{
	(void)arg;
	return requests_in_flight(fx.rq, id);
}

static void to_hold(void *arg, int32_t id, struct buf *held)
{
	(void)arg;
	requests_hold(fx.rq, id, held);
}

static void to_release(void *arg, struct buf *held)
{
	(void)arg;
	requests_release(fx.rq, held);
}

static int32_t to_adopt_from(void *arg, int32_t parent, int32_t child)
{
	(void)arg;
	return requests_adopt_from(fx.rq, parent, child);
}

static void to_answer(void *arg, uint32_t req, const char *line, bool remove_node)
{
	(void)arg;
	requests_answer(fx.rq, req, line, remove_node);
}

static void to_lost(void *arg, int32_t id)
{
	(void)arg;
	requests_on_lost(fx.rq, id, 0);
}

/* As the loop does after every event. */
static void settle(void)
{
	do {
		moves_check_lost(fx.mv);
		requests_settle(fx.rq);
	} while (moves_start(fx.mv));
}

/* The links of ended nodes: still held (true) until a test says. */
static bool fake_link_held;

static bool fake_linked(void *arg, int32_t id)
{
	(void)arg;
	(void)id;
	return fake_link_held;
}

static void fx_start(enum topo_kind kind)
{
	static const struct requests_ops requests_ops = {
		fake_send, fake_spawn, fake_host_key, fake_kill, fake_print, fake_now, to_remove, to_adopt,
		to_heal, fake_linked, NULL};
	static const struct moves_ops moves_ops = { fake_send, fake_now, fake_kill, fake_host_key,
						    to_new_id,
					      to_in_flight, to_hold, to_release, to_adopt_from,
					      to_answer, to_lost, to_healed, NULL };
	memset(&fx, 0, sizeof fx);
	memset(&down, 0, sizeof down);
	down.now = 1000;
	fx.topo = topo_new(kind);
	fx.hb = heartbit_new();
	fx.rq = requests_new(fx.topo, fx.hb, 500, &requests_ops);
	fx.mv = moves_new(fx.topo, HELLO_MIN_MS, "ipc:///x/control", "tcp://127.0.0.1:1",
			   &moves_ops);
	assert_non_null(fx.topo);
	assert_non_null(fx.hb);
	assert_non_null(fx.rq);
	assert_non_null(fx.mv);
}

static void fx_stop(void)
{
	requests_fail_all(fx.rq, true);
	settle();
	requests_kill_all(fx.rq);
	requests_reap(fx.rq);
	moves_destroy(&fx.mv);
	requests_destroy(&fx.rq);
	topo_destroy(&fx.topo);
	heartbit_destroy(&fx.hb);
	buf_free(&fx.out);
	buf_free(&down.kills);
}

/* What was printed since the last call (a line each), then forgotten. */
static const char *printed(void)
{
	static char copy[4096];
	snprintf(copy, sizeof copy, "%.*s", (int)fx.out.len, fx.out.data ? fx.out.data : "");
	buf_reset(&fx.out);
	return copy;
}

/* An answer to s from node `from_node`, coming up link s->path[0], handed in as the loop
 * does. */
static void answer_bytes(const struct sent *s, int32_t from_node, uint8_t code, const void *body,
			 size_t len)
{
	struct msg m = { .type = MSG_REP, .code = code, .req = s->req, .id = from_node,
			 .body = body, .body_len = len };
	switch (moves_on_reply(fx.mv, s->path[0], &m)) {
	case MOVES_NOT_MINE:
		requests_on_reply(fx.rq, s->path[0], &m);
		break;
	case MOVES_FORGED:
		requests_dropped(fx.rq, "answer", m.id, s->path[0]);
		break;
	case MOVES_TAKEN:
		break;
	}
	settle();
}

static void answer_from(const struct sent *s, int32_t from_node, uint8_t code, const char *body)
{
	answer_bytes(s, from_node, code, body, body ? strlen(body) : 0);
}

/* The parent a create went to has started node id. */
static void spawned(const struct sent *create, int32_t id)
{
	unsigned char pid[4];
	assert_non_null(create);
	proto_put_i32(pid, FAKE_PID(id));
	answer_bytes(create, create->path[create->npath - 1], REP_SPAWNED, pid, sizeof pid);
}

/* The answer of the node at the end of s's path. */
static void answer(const struct sent *s, uint8_t code, const char *body)
{
	answer_from(s, s->path[s->npath - 1], code, body);
}

static void hello(int32_t link, int32_t id)
{
	if (!moves_on_hello(fx.mv, link, id, FAKE_PID(id)))
		requests_on_hello(fx.rq, link, id, FAKE_PID(id), "tcp://127.0.0.1:2");
	struct topo_node *n = topo_get(fx.topo, id);
	if (n && n->state == NODE_UP)
		moves_node_up(fx.mv, id);
	settle();
}

static void lost(int32_t id)
{
	requests_on_lost(fx.rq, id, 0);
	settle();
}

/* Creates node id under parent (-1: depth 1) and brings it up, as its parent would. */
static void up(int32_t id, int32_t parent)
{
	char ok[32];
	requests_create(fx.rq, id, parent, 0);
	settle();
	if (parent == TOPO_ROOT) {
		hello(id, id);
	} else {
		const struct sent *s = last_sent(OP_CREATE);
		spawned(s, id);
		hello(s->path[0], id);
	}
	snprintf(ok, sizeof ok, "Ok: %d\n", FAKE_PID(id));
	assert_string_equal(printed(), ok);
}

/* exec on node id with these arguments, all given at once. */
static uint32_t exec_on(int32_t id, const char *args)
{
	uint32_t req = requests_exec_begin(fx.rq, id);
	settle();
	if (req) {
		requests_exec_feed(fx.rq, req, args, strlen(args));
		requests_exec_end(fx.rq, req);
		settle();
	}
	return req;
}

static void ping(int32_t id)
{
	requests_ping(fx.rq, id);
	settle();
}
