/* The control's request engine, with moves, against a fake downlink and clock
 * (engine_fake.h): what is sent, by which path, and what is printed, in which order. */
#include "engine_fake.h"

/* Answers of one node print in the order its requests were given, whatever order they come
 * back in; another node's answers do not wait. */
static void test_one_node_in_order(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, TOPO_ROOT);
	exec_on(1, " 2 1 2");
	const struct sent *e = last_sent(OP_EXEC);
	assert_path(e, 1, 1);
	assert_int_equal(e->flags, EXEC_FIRST | EXEC_LAST);
	assert_memory_equal(e->body, " 2 1 2", 6);
	ping(1);
	const struct sent *p1 = last_sent(OP_PING);
	ping(2);
	const struct sent *p2 = last_sent(OP_PING);
	assert_path(p1, 1, 1);
	assert_path(p2, 1, 2);
	answer(p1, REP_OK, NULL);
	assert_string_equal(printed(), "");	/* behind the exec */
	answer(p2, REP_OK, NULL);
	assert_string_equal(printed(), "Ok: 1\n");	/* node 2's own */
	answer(e, REP_OK, "3");
	assert_string_equal(printed(), "Ok:1: 3\nOk: 1\n");
	fx_stop();
}

/* A node's queue is sent in order, and only once it is up: an exec given while its create is
 * under way goes after the HELLO. */
static void test_queue_waits_for_create(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	requests_create(fx.rq, 2, 1, 0);
	settle();
	const struct sent *c = last_sent(OP_CREATE);
	assert_path(c, 1, 1);
	exec_on(2, " 1 5");
	assert_int_equal(count_sent(OP_EXEC), 0);
	spawned(c, 2);
	assert_int_equal(count_sent(OP_EXEC), 0);
	hello(1, 2);
	assert_string_equal(printed(), "Ok: 100002\n");
	assert_path(last_sent(OP_EXEC), 2, 1, 2);
	fx_stop();
}

/* A node on another host: its parent is sent the host's key and answers where it listens
 * (REP_LISTEN); the host's agent is asked to start it there; its HELLO may come before the
 * agent's answer. An agent's answer to a create it was not asked for is dropped. */
static void test_create_on_another_host(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	requests_create(fx.rq, 2, 1, 3);
	settle();
	const struct sent *c = last_sent(OP_CREATE);
	assert_int_equal(c->len, 4 + PROTO_KEY_LEN);
	assert_memory_equal(c->body + 4, fake_host_key(NULL, 3), PROTO_KEY_LEN);
	char listen[PROTO_FIELDS_MAX], want[256];
	const char *f[] = { "tcp://10.1.0.1:5000", fake_host_key(NULL, 0) };
	size_t len = proto_fields_body(listen, f, 2);
	agent_asked[0] = '\0';
	answer_bytes(c, 1, REP_LISTEN, listen, len);
	snprintf(want, sizeof want, "%u 2@3 tcp://10.1.0.1:5000 %s", c->req, f[1]);
	assert_string_equal(agent_asked, want);
	unsigned char pid[4];
	proto_put_i32(pid, FAKE_PID(2));
	struct msg m = { .type = MSG_REP, .code = REP_SPAWNED, .req = c->req, .id = 2,
			 .body = (const char *)pid, .body_len = sizeof pid };
	requests_spawn_answer(fx.rq, 2, &m);	/* another host's agent: dropped */
	assert_int_equal(topo_get(fx.topo, 2)->pid, 0);
	hello(1, 2);	/* before the agent's answer */
	assert_string_equal(printed(), "Ok: 100002\n");
	requests_spawn_answer(fx.rq, 3, &m);	/* late: changes nothing */
	assert_int_equal(topo_get(fx.topo, 2)->pid, FAKE_PID(2));
	/* at depth 1 on host 3: the agent is asked at once, with the control as parent */
	requests_create(fx.rq, 4, TOPO_ROOT, 3);
	settle();
	assert_non_null(strstr(agent_asked, " 4@3 - -"));
	uint32_t req = (uint32_t)strtoul(agent_asked, NULL, 10);
	struct msg err = { .type = MSG_REP, .code = REP_ERR, .req = req, .id = 4,
			   .body = "Cannot start node: no", .body_len = 21 };
	requests_spawn_answer(fx.rq, 3, &err);
	settle();
	assert_string_equal(printed(), "Error: Cannot start node: no\n");
	assert_null(topo_get(fx.topo, 4));
	fx_stop();
}

/* The agent of a host that goes: the creates it was asked for fail; a node it reports ended
 * is lost. */
static void test_host_down(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	requests_create(fx.rq, 1, TOPO_ROOT, 2);
	settle();
	requests_create(fx.rq, 5, TOPO_ROOT, 2);
	settle();
	uint32_t req = (uint32_t)strtoul(agent_asked, NULL, 10);
	unsigned char pid[4];
	proto_put_i32(pid, FAKE_PID(5));
	struct msg m = { .type = MSG_REP, .code = REP_SPAWNED, .req = req, .id = 5,
			 .body = (const char *)pid, .body_len = sizeof pid };
	requests_spawn_answer(fx.rq, 2, &m);
	hello(5, 5);
	assert_string_equal(printed(), "Ok: 100005\n");
	requests_host_down(fx.rq, 2);
	settle();
	assert_string_equal(printed(), "Error: Host is unavailable\n");
	assert_null(topo_get(fx.topo, 1));
	requests_node_exit(fx.rq, 1, 5, FAKE_PID(5));	/* another host's word: no news */
	assert_int_equal(topo_get(fx.topo, 5)->state, NODE_UP);
	requests_node_exit(fx.rq, 2, 5, FAKE_PID(5));
	settle();
	assert_int_equal(topo_get(fx.topo, 5)->state, NODE_LOST);
	fx_stop();
}

/* An answer is taken only from the link its request went down and in the name of its node. */
static void test_answer_from_elsewhere_dropped(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, TOPO_ROOT);
	ping(1);
	const struct sent *p = last_sent(OP_PING);
	struct sent forged = *p;
	forged.path[0] = 2;	/* comes up node 2's link */
	answer_from(&forged, 1, REP_OK, NULL);
	answer_from(p, 2, REP_OK, NULL);	/* right link, wrong node */
	assert_string_equal(printed(), "");
	answer(p, REP_OK, NULL);
	assert_string_equal(printed(), "Ok: 1\n");
	fx_stop();
}

/* A lost node's subtree fails its queues at once, parents first, without waiting for any
 * timeout; answers that come late are dropped. */
static void test_lost_subtree_fails_at_once(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	exec_on(3, " 1 7");
	const struct sent *e3 = last_sent(OP_EXEC);
	ping(3);
	exec_on(2, " 1 8");
	ping(1);
	const struct sent *p1 = last_sent(OP_PING);
	lost(2);
	assert_string_equal(printed(), "Error:2: Node is unavailable\n"
				       "Error:3: Node is unavailable\nOk: 0\n");
	answer(e3, REP_OK, "7");
	assert_string_equal(printed(), "");
	answer(p1, REP_OK, NULL);
	assert_string_equal(printed(), "Ok: 1\n");	/* its parent is fine */
	/* Asked afterwards: unavailable at once, nothing sent. */
	size_t before = down.nsent;
	ping(3);
	assert_string_equal(printed(), "Ok: 0\n");
	assert_int_equal(down.nsent, before);
	fx_stop();
}

static bool waits_at(int32_t id)
{
	return requests_waits(fx.rq, RQ_PING, id, 0);
}

/* kill waits for the answers given before it, then ends the subtree at once; what touches
 * the subtree meanwhile must wait, what is beside it goes on. */
static void test_kill_barrier(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(5, TOPO_ROOT);
	exec_on(1, " 1 4");
	const struct sent *e = last_sent(OP_EXEC);
	requests_kill(fx.rq, 1);
	settle();
	assert_true(waits_at(2));
	assert_true(requests_waits(fx.rq, RQ_CREATE, 2, TOPO_ROOT));	/* the id is not free */
	assert_true(requests_waits(fx.rq, RQ_CREATE, 7, 2));
	assert_true(requests_waits(fx.rq, RQ_WHOLE, 0, 0));
	assert_false(waits_at(5));	/* beside it: goes on */
	assert_false(requests_waits(fx.rq, RQ_CREATE, 7, 5));
	assert_false(requests_waits(fx.rq, RQ_KILL, 5, 0));
	assert_string_equal(printed(), "");
	assert_string_equal(down.kills.data ? down.kills.data : "", "");
	answer(e, REP_OK, "4");
	assert_string_equal(printed(), "Ok:1: 4\nOk\n");
	assert_false(waits_at(2));
	assert_false(requests_waits(fx.rq, RQ_WHOLE, 0, 0));
	assert_null(topo_get(fx.topo, 1));
	assert_null(topo_get(fx.topo, 2));
	assert_non_null(strstr(down.kills.data, "kill 1\n"));
	assert_non_null(strstr(down.kills.data, "kill 2\n"));
	ping(2);
	assert_string_equal(printed(), "Error: Not found\n");
	fx_stop();
}

/* kill waits for the requests given before it anywhere below its node, and for a create
 * there: what was given before it is answered as if the kill were not coming. */
static void test_kill_waits_for_subtree(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	exec_on(2, " 1 5");
	const struct sent *e = last_sent(OP_EXEC);
	requests_create(fx.rq, 3, 2, 0);
	settle();
	requests_kill(fx.rq, 1);
	settle();
	assert_string_equal(printed(), "");
	assert_string_equal(down.kills.data ? down.kills.data : "", "");
	answer(e, REP_OK, "5");
	assert_string_equal(printed(), "Ok:2: 5\n");
	spawned(last_sent(OP_CREATE), 3);
	hello(1, 3);
	assert_string_equal(printed(), "Ok: 100003\nOk\n");
	assert_null(topo_get(fx.topo, 3));
	assert_non_null(strstr(down.kills.data, "kill 3\n"));
	fx_stop();
}

/* remove: the children are told to move to the grandparent (OP_EXPECT there first, then
 * OP_MOVE to the child by its old path); their requests are held meanwhile and sent by the
 * new path once the child's HELLO arrives from its new place; then Ok, and the node goes. */
static void test_remove_holds_and_releases(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	requests_remove(fx.rq, 2);
	settle();
	assert_true(waits_at(3));
	const struct sent *x = last_sent(OP_EXPECT);
	assert_path(x, 1, 1);
	exec_on(3, " 1 9");	/* held: its path is about to change */
	assert_int_equal(count_sent(OP_EXEC), 0);
	answer(x, REP_OK, NULL);
	const struct sent *mo = last_sent(OP_MOVE);
	assert_path(mo, 3, 1, 2, 3);
	assert_int_equal(count_sent(OP_EXEC), 0);
	answer(mo, REP_OK, NULL);
	assert_string_equal(printed(), "");
	hello(1, 3);	/* arrived under 1 */
	assert_string_equal(printed(), "Ok\n");
	assert_null(topo_get(fx.topo, 2));
	assert_int_equal(topo_get(fx.topo, 3)->parent, 1);
	assert_non_null(strstr(down.kills.data, "kill 2\n"));
	assert_false(waits_at(3));
	const struct sent *e = last_sent(OP_EXEC);
	assert_path(e, 2, 1, 3);
	answer(e, REP_OK, "9");
	assert_string_equal(printed(), "Ok:3: 9\n");
	fx_stop();
}

/* A move waits for the answers already on their way through the old path. */
static void test_move_waits_for_answers_in_flight(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	exec_on(3, " 1 1");
	const struct sent *e = last_sent(OP_EXEC);
	requests_remove(fx.rq, 2);
	settle();
	assert_int_equal(count_sent(OP_EXPECT), 0);
	answer(e, REP_OK, "1");
	assert_string_equal(printed(), "Ok:3: 1\n");
	assert_path(last_sent(OP_EXPECT), 1, 1);
	fx_stop();
}

/* The new parent of a move lost before it answered: the remove fails, nothing is held. */
static void test_move_to_lost_parent(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	requests_remove(fx.rq, 2);
	settle();
	assert_non_null(last_sent(OP_EXPECT));
	exec_on(3, " 1 2");
	lost(1);	/* and its subtree: answered top down */
	assert_string_equal(printed(),
			    "Error: Node is unavailable\nError:3: Node is unavailable\n");
	assert_false(waits_at(3));
	fx_stop();
}

/* list: a node created in the middle of the chain takes the old child over; the create is
 * answered once the child has moved, and the child's requests go by the new path. */
static void test_list_insertion(void **state)
{
	(void)state;
	fx_start(TOPO_LIST);
	up(1, TOPO_ROOT);
	up(2, 1);
	requests_create(fx.rq, 3, 1, 0);	/* 1 -> 3 -> 2 */
	settle();
	exec_on(2, " 1 6");	/* held until 2 has moved */
	/* an insertion fences the new node and the chain it takes over, nothing above */
	assert_true(waits_at(2));
	assert_true(waits_at(3));
	assert_false(waits_at(1));
	assert_true(requests_waits(fx.rq, RQ_CREATE, 4, 2));	/* below the chain */
	assert_true(requests_waits(fx.rq, RQ_CREATE, 4, 1));	/* takes over 3 -> 2 */
	assert_true(requests_waits(fx.rq, RQ_CREATE, 2, TOPO_ROOT));
	assert_false(requests_waits(fx.rq, RQ_CREATE, 4, TOPO_ROOT));	/* a chain of its own */
	const struct sent *c = last_sent(OP_CREATE);
	assert_path(c, 1, 1);
	spawned(c, 3);
	hello(1, 3);
	assert_string_equal(printed(), "");	/* not before 2 is under it */
	const struct sent *x = last_sent(OP_EXPECT);
	assert_path(x, 2, 1, 3);
	answer(x, REP_OK, NULL);
	const struct sent *mo = last_sent(OP_MOVE);
	assert_path(mo, 2, 1, 2);	/* where 2 is in fact */
	assert_int_equal(count_sent(OP_EXEC), 0);
	answer(mo, REP_OK, NULL);
	hello(1, 2);
	assert_string_equal(printed(), "Ok: 100003\n");
	assert_int_equal(topo_get(fx.topo, 2)->parent, 3);
	const struct sent *e = last_sent(OP_EXEC);
	assert_path(e, 3, 1, 3, 2);
	answer(e, REP_OK, "6");
	assert_string_equal(printed(), "Ok:2: 6\n");
	assert_false(waits_at(2));
	assert_false(requests_waits(fx.rq, RQ_CREATE, 4, 1));
	fx_stop();
}

/* list: an insertion right above one under way takes over the chain that one is moving, so
 * it waits; one above that, which moves nothing fenced, need not. */
static void test_insertions_next_to_each_other(void **state)
{
	(void)state;
	fx_start(TOPO_LIST);
	up(1, TOPO_ROOT);
	up(2, 1);
	up(3, 2);
	requests_create(fx.rq, 4, 2, 0);	/* 1 -> 2 -> 4 -> 3 */
	settle();
	assert_false(waits_at(2));
	assert_true(requests_waits(fx.rq, RQ_CREATE, 5, 1));	/* 1 -> 5 -> 2 -> 4 ... */
	assert_true(requests_waits(fx.rq, RQ_CREATE, 5, 2));
	assert_false(requests_waits(fx.rq, RQ_EXEC, 1, 0));
	fx_stop();
}

/* A node ended by kill is forgotten by its parent at once: the id is free there for the
 * next create, which goes down the same path after it. At depth 1 the id is free once the
 * connection is seen closed. */
static void test_kill_tells_the_parent(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, 1);
	requests_kill(fx.rq, 2);
	settle();
	assert_string_equal(printed(), "Ok\n");
	const struct sent *a = last_sent(OP_ABORT);
	assert_non_null(a);
	assert_path(a, 1, 1);
	assert_false(requests_waits(fx.rq, RQ_CREATE, 2, 1));
	requests_create(fx.rq, 2, 1, 0);
	settle();
	assert_path(last_sent(OP_CREATE), 1, 1);
	spawned(last_sent(OP_CREATE), 2);
	hello(1, 2);
	assert_string_equal(printed(), "Ok: 100002\n");
	/* a depth-1 node holds its id on our own link until its connection closes */
	fake_link_held = true;
	requests_kill(fx.rq, 1);
	settle();
	assert_string_equal(printed(), "Ok\n");
	assert_true(requests_waits(fx.rq, RQ_CREATE, 1, TOPO_ROOT));
	assert_false(requests_waits(fx.rq, RQ_CREATE, 3, TOPO_ROOT));
	requests_on_exit(fx.rq, FAKE_PID(1), "killed");
	assert_true(requests_waits(fx.rq, RQ_CREATE, 1, TOPO_ROOT));	/* reaped, link open */
	fake_link_held = false;
	assert_false(requests_waits(fx.rq, RQ_CREATE, 1, TOPO_ROOT));
	fx_stop();
}

/* News without a pid of a node nobody has started yet is about an earlier node of that id
 * (its parent failing to reach the one just ended): the new node's create goes on. */
static void test_stale_loss_of_a_node_not_started(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	requests_create(fx.rq, 2, 1, 0);
	settle();
	requests_on_lost(fx.rq, 2, 0);
	settle();
	assert_string_equal(printed(), "");
	spawned(last_sent(OP_CREATE), 2);
	hello(1, 2);
	assert_string_equal(printed(), "Ok: 100002\n");
	fx_stop();
}

/* A node that stops answering fails its started execs after --timeout, probed at half of
 * it; one that answers probes is busy, not lost. */
static void test_silent_node_times_out(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(1, TOPO_ROOT);
	up(2, TOPO_ROOT);
	exec_on(1, " 1 1");
	exec_on(2, " 1 2");
	const struct sent *e2 = last_sent(OP_EXEC);
	for (int i = 0; i < 40; i++) {	/* 1 answers its probes; 2 is silent */
		down.now += 25;
		requests_tick(fx.rq, down.now);
		settle();
		const struct sent *p = last_sent(OP_PING);
		if (p && p->path[0] == 1) {
			answer(p, REP_OK, NULL);
			down.sent[p - down.sent].op = 0;	/* answered */
		}
	}
	assert_string_equal(printed(), "Error:2: Node is unavailable\n");
	assert_int_equal(requests_pending(fx.rq) > 0, true);	/* 1's exec still awaited */
	answer(e2, REP_OK, "2");	/* too late */
	assert_string_equal(printed(), "");
	fx_stop();
}

/* pingall asks every node and lists the unavailable ones, ascending. */
static void test_pingall(void **state)
{
	(void)state;
	fx_start(TOPO_TREE);
	up(5, TOPO_ROOT);
	up(1, 5);
	up(3, TOPO_ROOT);
	requests_pingall(fx.rq);
	settle();
	assert_int_equal(count_sent(OP_PING), 3);
	const struct sent *last = NULL;
	for (size_t i = 0; i < down.nsent; i++) {
		const struct sent *p = &down.sent[i];
		if (p->op != OP_PING)
			continue;
		if (last)
			answer(last, last->path[last->npath - 1] == 3 ? REP_OK : REP_UNAVAIL, NULL);
		assert_string_equal(printed(), "");	/* not before the last one */
		last = p;
	}
	answer(last, last->path[last->npath - 1] == 3 ? REP_OK : REP_UNAVAIL, NULL);
	assert_string_equal(printed(), "Ok: 1;5\n");
	fx_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_node_in_order),
		cmocka_unit_test(test_queue_waits_for_create),
		cmocka_unit_test(test_create_on_another_host),
		cmocka_unit_test(test_host_down),
		cmocka_unit_test(test_answer_from_elsewhere_dropped),
		cmocka_unit_test(test_lost_subtree_fails_at_once),
		cmocka_unit_test(test_kill_barrier),
		cmocka_unit_test(test_kill_waits_for_subtree),
		cmocka_unit_test(test_remove_holds_and_releases),
		cmocka_unit_test(test_move_waits_for_answers_in_flight),
		cmocka_unit_test(test_move_to_lost_parent),
		cmocka_unit_test(test_list_insertion),
		cmocka_unit_test(test_kill_tells_the_parent),
		cmocka_unit_test(test_stale_loss_of_a_node_not_started),
		cmocka_unit_test(test_insertions_next_to_each_other),
		cmocka_unit_test(test_silent_node_times_out),
		cmocka_unit_test(test_pingall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
