/* Move jobs alone: against a fake downlink and clock (fake_down.h) and a recording stand-in
 * for the request engine, on a tree model built by hand. */
#include "fake_down.h"
#include "moves.h"
#include "topo.h"

static struct {
	struct topo *topo;
	struct moves *mv;
	uint32_t next_id;
	int32_t in_flight;	/* the node whose subtree has a request on its way (TOPO_NONE) */
	struct buf calls;	/* what moves asked of the request engine, a line each */
} mx;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	assert_int_equal(buf_vprintf(&mx.calls, fmt, ap), 0);
	va_end(ap);
	buf_puts(&mx.calls, "\n");
}

static uint32_t new_id(void *arg)
{
	(void)arg;
	return ++mx.next_id;
}

static bool in_flight(void *arg, int32_t id)
{
	(void)arg;
	return id == mx.in_flight;
}

static void hold(void *arg, int32_t id, struct buf *held)
{
	(void)arg;
	note("hold %d", (int)id);
	buf_append(held, &id, sizeof id);
}

static void release(void *arg, struct buf *held)
{
	(void)arg;
	for (size_t off = 0; off < held->len; off += sizeof(int32_t)) {
		int32_t id;
		memcpy(&id, held->data + off, sizeof id);
		note("release %d", (int)id);
	}
	buf_free(held);
}

static int32_t adopt_from(void *arg, int32_t parent, int32_t child)
{
	(void)arg;
	(void)parent;
	(void)child;
	return TOPO_NONE;
}

static void answer_req(void *arg, uint32_t req, const char *line, bool remove_node)
{
	(void)arg;
	note("answer %u %s%s", req, line, remove_node ? " remove" : "");
}

static void lost_node(void *arg, int32_t id)
{
	(void)arg;
	note("lost %d", (int)id);
}

/* Adds node id under parent, up, with its fake pid. */
static void add(int32_t id, int32_t parent)
{
	struct topo_place place;
	const char *err;
	assert_int_equal(topo_place(mx.topo, id, parent, &place, &err), 0);
	struct topo_node *n = topo_add(mx.topo, id, &place);
	assert_non_null(n);
	n->state = NODE_UP;
	n->pid = FAKE_PID(id);
	snprintf(n->endpoint, sizeof n->endpoint, "tcp://127.0.0.1:%d", 2000 + (int)id);
}

static void start(enum topo_kind kind)
{
	static const struct moves_ops ops = { fake_send, fake_now, fake_kill, fake_host_key,
					      new_id, in_flight,
					   hold, release, adopt_from, answer_req, lost_node, NULL, NULL };
	memset(&mx, 0, sizeof mx);
	memset(&down, 0, sizeof down);
	down.now = 1000;
	mx.next_id = 100;
	mx.in_flight = TOPO_NONE;
	mx.topo = topo_new(kind);
	mx.mv = moves_new(mx.topo, 5000, "ipc:///x/control", "tcp://127.0.0.1:1", &ops);
	assert_non_null(mx.topo);
	assert_non_null(mx.mv);
}

static void stop(void)
{
	moves_destroy(&mx.mv);
	topo_destroy(&mx.topo);
	buf_free(&mx.calls);
	buf_free(&down.kills);
}

static const char *calls(void)
{
	static char copy[2048];
	snprintf(copy, sizeof copy, "%.*s", (int)mx.calls.len, mx.calls.data ? mx.calls.data : "");
	buf_reset(&mx.calls);
	return copy;
}

static void settle(void)
{
	do
		moves_check_lost(mx.mv);
	while (moves_start(mx.mv));
}

static enum moves_reply reply(const struct sent *s, int32_t link, int32_t from_node, uint8_t code)
{
	struct msg m = { .type = MSG_REP, .code = code, .req = s->req, .id = from_node };
	enum moves_reply r = moves_on_reply(mx.mv, link, &m);
	settle();
	return r;
}

/* One move of a job: OP_EXPECT to the new parent, answered; OP_MOVE to the node by its old
 * path, answered; HELLO from the new place. */
static void carry_out(int32_t id, int32_t new_parent, size_t nold, const int32_t *old_path)
{
	const struct sent *x = last_sent(OP_EXPECT);
	assert_non_null(x);
	assert_int_equal(x->path[x->npath - 1], new_parent);
	unsigned char body[8];	/* the mover's id and pid */
	proto_put_i32(body, id);
	proto_put_i32(body + 4, FAKE_PID(id));
	assert_int_equal(x->len, 8);
	assert_memory_equal(x->body, body, 8);
	assert_int_equal(reply(x, x->path[0], new_parent, REP_OK), MOVES_TAKEN);
	const struct sent *mo = last_sent(OP_MOVE);
	assert_non_null(mo);
	assert_int_equal(mo->npath, nold);
	assert_memory_equal(mo->path, old_path, nold * sizeof *old_path);
	char endpoint[64];
	snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", 2000 + (int)new_parent);
	assert_int_equal(mo->len, strlen(endpoint) + 2);	/* fields: endpoint, no key */
	assert_memory_equal(mo->body, endpoint, strlen(endpoint) + 1);
	assert_int_equal(((const char *)mo->body)[mo->len - 1], '\0');
	assert_int_equal(reply(mo, mo->path[0], id, REP_OK), MOVES_TAKEN);
	assert_true(
		moves_on_hello(mx.mv, topo_link_under(mx.topo, id, new_parent), id, FAKE_PID(id)));
	settle();
}

/* 1 -> 2 -> {3, 4} in a tree, and remove 2 (request 7) under way. */
static void remove_a_parent_of_two(void)
{
	start(TOPO_TREE);
	add(1, TOPO_ROOT);
	add(2, 1);
	add(3, 2);
	add(4, 2);
	moves_remove(mx.mv, 7, 2);
	settle();
}

/* A remove in a tree: each child of the removed node moves to its grandparent, one at a
 * time, holding the removed node's subtree; then Ok, and the node is to be taken out. */
static void test_remove_moves_children(void **state)
{
	(void)state;
	remove_a_parent_of_two();
	assert_string_equal(calls(), "hold 2\n");
	assert_int_equal(count_sent(OP_EXPECT), 1);
	assert_int_equal(count_sent(OP_MOVE), 0);
	carry_out(3, 1, 3, (const int32_t[]){ 1, 2, 3 });
	assert_int_equal(topo_get(mx.topo, 3)->parent, 1);
	assert_string_equal(calls(), "");
	carry_out(4, 1, 3, (const int32_t[]){ 1, 2, 4 });
	assert_int_equal(topo_get(mx.topo, 4)->parent, 1);
	assert_string_equal(calls(), "release 2\nanswer 7 Ok remove\n");
	assert_int_equal(moves_next_wake(mx.mv), INT64_MAX);
	stop();
}

/* Jobs run one after another: the second starts when the first is over. */
/* A move between hosts: the new parent is told the mover's host key and answers where it
 * listens (REP_LISTEN, then REP_OK); the mover is sent there with the parent's key. Moving to
 * the control node from another host, it is sent the control's remote endpoint and key. */
static void test_move_across_hosts(void **state)
{
	(void)state;
	start(TOPO_TREE);
	add(1, TOPO_ROOT);
	add(2, 1);
	add(3, 2);
	topo_get(mx.topo, 3)->host = 2;	/* 3 lives on host 2, the others here */
	moves_remove(mx.mv, 7, 2);
	settle();
	const struct sent *x = last_sent(OP_EXPECT);
	assert_non_null(x);
	assert_int_equal(x->len, 8 + PROTO_KEY_LEN);
	assert_memory_equal(x->body + 8, fake_host_key(NULL, 2), PROTO_KEY_LEN);
	char listen[PROTO_FIELDS_MAX];
	const char *f[] = { "tcp://10.1.0.1:5000", fake_host_key(NULL, 0) };
	size_t len = proto_fields_body(listen, f, 2);
	struct msg m = { .type = MSG_REP, .code = REP_LISTEN, .req = x->req, .id = 1,
			 .body = listen, .body_len = len };
	assert_int_equal(moves_on_reply(mx.mv, 1, &m), MOVES_TAKEN);
	assert_null(last_sent(OP_MOVE));	/* not before the expect is over */
	assert_int_equal(reply(x, 1, 1, REP_OK), MOVES_TAKEN);
	const struct sent *mo = last_sent(OP_MOVE);
	assert_non_null(mo);
	assert_int_equal(mo->len, len);
	assert_memory_equal(mo->body, listen, len);
	assert_int_equal(reply(mo, 1, 3, REP_OK), MOVES_TAKEN);
	assert_true(moves_on_hello(mx.mv, 1, 3, FAKE_PID(3)));
	settle();
	assert_string_equal(calls(), "hold 2\nrelease 2\nanswer 7 Ok remove\n");
	stop();
	start(TOPO_TREE);	/* removing 1 moves 3 (host 2) to the control node */
	add(1, TOPO_ROOT);
	add(3, 1);
	topo_get(mx.topo, 3)->host = 2;
	moves_remove(mx.mv, 8, 1);
	settle();
	assert_null(last_sent(OP_EXPECT));
	mo = last_sent(OP_MOVE);
	assert_non_null(mo);
	const char *g[] = { "tcp://127.0.0.1:1", fake_host_key(NULL, 0) };
	len = proto_fields_body(listen, g, 2);
	assert_int_equal(mo->len, len);
	assert_memory_equal(mo->body, listen, len);
	stop();
}

static void test_jobs_in_turn(void **state)
{
	(void)state;
	start(TOPO_TREE);
	add(1, TOPO_ROOT);
	add(2, 1);
	add(3, 2);
	add(5, TOPO_ROOT);
	add(6, 5);
	add(7, 6);
	moves_remove(mx.mv, 10, 2);
	moves_remove(mx.mv, 11, 6);
	settle();
	assert_string_equal(calls(), "hold 2\n");
	assert_int_equal(count_sent(OP_EXPECT), 1);
	carry_out(3, 1, 3, (const int32_t[]){ 1, 2, 3 });
	assert_string_equal(calls(), "release 2\nanswer 10 Ok remove\nhold 6\n");
	carry_out(7, 5, 3, (const int32_t[]){ 5, 6, 7 });
	assert_string_equal(calls(), "release 6\nanswer 11 Ok remove\n");
	stop();
}

/* A subtree with a request on its way does not move until it is answered. */
static void test_waits_for_in_flight(void **state)
{
	(void)state;
	start(TOPO_TREE);
	add(1, TOPO_ROOT);
	add(2, 1);
	add(3, 2);
	mx.in_flight = 3;
	moves_remove(mx.mv, 7, 2);
	settle();
	assert_int_equal(count_sent(OP_EXPECT), 0);
	mx.in_flight = TOPO_NONE;
	settle();
	assert_path(last_sent(OP_EXPECT), 1, 1);
	assert_int_equal(count_sent(OP_EXPECT), 1);
	stop();
}

/* Answers and HELLOs that do not come from where the move's messages went are not taken. */
static void test_forged_answers(void **state)
{
	(void)state;
	start(TOPO_TREE);
	add(1, TOPO_ROOT);
	add(2, 1);
	add(3, 2);
	add(9, TOPO_ROOT);
	moves_remove(mx.mv, 7, 2);
	settle();
	const struct sent *x = last_sent(OP_EXPECT);
	assert_int_equal(reply(x, 9, 1, REP_OK), MOVES_FORGED);	/* another link */
	assert_int_equal(reply(x, 1, 2, REP_OK), MOVES_FORGED);	/* not the new parent */
	assert_int_equal(count_sent(OP_MOVE), 0);
	struct sent other = *x;
	other.req = 5;
	assert_int_equal(reply(&other, 1, 1, REP_OK), MOVES_NOT_MINE);
	assert_int_equal(reply(x, 1, 1, REP_OK), MOVES_TAKEN);
	assert_false(moves_on_hello(mx.mv, 9, 3, FAKE_PID(3)));	/* not by the new path */
	assert_false(moves_on_hello(mx.mv, 1, 3, 4242));		/* not its process */
	assert_int_equal(topo_get(mx.topo, 3)->parent, 2);
	assert_true(moves_on_hello(mx.mv, 1, 3, FAKE_PID(3)));
	assert_int_equal(topo_get(mx.topo, 3)->parent, 1);
	stop();
}

/* A node that does not arrive in time is ended, so that the model stays true. */
static void test_arrival_deadline(void **state)
{
	(void)state;
	start(TOPO_TREE);
	add(1, TOPO_ROOT);
	add(2, 1);
	add(3, 2);
	moves_remove(mx.mv, 7, 2);
	settle();
	reply(last_sent(OP_EXPECT), 1, 1, REP_OK);
	assert_int_equal(moves_next_wake(mx.mv), 1000 + 5000);
	moves_tick(mx.mv, 1000 + 4999);
	assert_null(down.kills.data);
	moves_tick(mx.mv, 1000 + 5000);
	settle();
	assert_string_equal(down.kills.data, "kill 3\n");
	assert_string_equal(calls(), "hold 2\nrelease 2\nanswer 7 Error: Node is unavailable\n");
	stop();
}

/* remove (request req) of parent, a new child of 1, with one child: the new parent has
 * answered, and the OP_MOVE to child is under way (returned). */
static const struct sent *move_under_way(int32_t parent, int32_t child, uint32_t req)
{
	add(parent, 1);
	add(child, parent);
	moves_remove(mx.mv, req, parent);
	settle();
	reply(last_sent(OP_EXPECT), 1, 1, REP_OK);
	return last_sent(OP_MOVE);
}

/* A dead node moves in the model only, at once; a new parent that dies before it was told
 * ends the job. */
static void test_dead_nodes(void **state)
{
	(void)state;
	start(TOPO_TREE);
	add(1, TOPO_ROOT);
	add(2, 1);
	add(3, 2);
	topo_get(mx.topo, 3)->state = NODE_LOST;
	moves_remove(mx.mv, 7, 2);
	settle();
	assert_int_equal(down.nsent, 0);
	assert_int_equal(topo_get(mx.topo, 3)->parent, 1);
	assert_string_equal(calls(), "hold 2\nrelease 2\nanswer 7 Ok remove\n");
	/* It dies on its way: moved in the model, and the job goes on. */
	assert_non_null(move_under_way(6, 7, 9));
	topo_get(mx.topo, 7)->state = NODE_LOST;
	settle();
	assert_int_equal(topo_get(mx.topo, 7)->parent, 1);
	assert_string_equal(calls(), "hold 6\nrelease 6\nanswer 9 Ok remove\n");
	add(4, 1);
	add(5, 4);
	moves_remove(mx.mv, 8, 4);
	settle();
	assert_non_null(last_sent(OP_EXPECT));
	topo_get(mx.topo, 1)->state = NODE_LOST;
	settle();
	assert_string_equal(calls(), "hold 4\nrelease 4\nanswer 8 Error: Node is unavailable\n");
	stop();
}

/* A move answered unavailable: of a node known lost by then (its loss comes first, in the
 * same turn), the job goes on without it; of one not known lost, the job ends. */
static void test_move_of_a_node_that_died(void **state)
{
	(void)state;
	remove_a_parent_of_two();
	reply(last_sent(OP_EXPECT), 1, 1, REP_OK);
	const struct sent *mo = last_sent(OP_MOVE);
	assert_non_null(mo);
	topo_get(mx.topo, 3)->state = NODE_LOST;	/* no settle: the answer is read next */
	struct msg m = { .type = MSG_REP, .code = REP_UNAVAIL, .req = mo->req, .id = 3 };
	assert_int_equal(moves_on_reply(mx.mv, 1, &m), MOVES_TAKEN);
	settle();
	assert_int_equal(topo_get(mx.topo, 3)->parent, 1);
	carry_out(4, 1, 3, (const int32_t[]){ 1, 2, 4 });
	assert_string_equal(calls(), "hold 2\nrelease 2\nanswer 7 Ok remove\n");
	assert_int_equal(reply(move_under_way(5, 6, 8), 1, 6, REP_UNAVAIL), MOVES_TAKEN);
	assert_int_equal(topo_get(mx.topo, 6)->parent, 5);
	assert_string_equal(calls(), "hold 5\nrelease 5\nanswer 8 Error: Node is unavailable\n");
	stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_moves_children),
		cmocka_unit_test(test_move_across_hosts),
		cmocka_unit_test(test_jobs_in_turn),
		cmocka_unit_test(test_waits_for_in_flight),
		cmocka_unit_test(test_forged_answers),
		cmocka_unit_test(test_arrival_deadline),
		cmocka_unit_test(test_dead_nodes),
		cmocka_unit_test(test_move_of_a_node_that_died),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
