/* Protocol: every builder's frame decodes back to what was put in; malformed frames are
 * rejected; messages cross a real ZeroMQ socket pair intact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "proto.h"

struct pair {
	void *ctx, *a, *b;
};

/* Two PAIR sockets over inproc: what one sends, the other receives. */
static int pair_setup(void **state)
{
	static struct pair p;
	p.ctx = zmq_ctx_new();
	p.a = zmq_socket(p.ctx, ZMQ_PAIR);
	p.b = zmq_socket(p.ctx, ZMQ_PAIR);
	assert_int_equal(zmq_bind(p.a, "inproc://t"), 0);
	assert_int_equal(zmq_connect(p.b, "inproc://t"), 0);
	*state = &p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;
	zmq_close(p->a);
	zmq_close(p->b);
	zmq_ctx_term(p->ctx);
	return 0;
}

static void recv_one(struct pair *p, zmq_msg_t *msg, struct msg *m)
{
	zmq_pollitem_t it = { p->b, 0, ZMQ_POLLIN, 0 };
	assert_int_equal(zmq_poll(&it, 1, 1000), 1);
	zmq_msg_init(msg);
	assert_int_equal(proto_recv(p->b, 0, NULL, msg, m), 0);
}

static void test_req_round_trip(void **state)
{
	struct pair *p = *state;
	int32_t path[] = { 7, 300000, 2147483647 };
	zmq_msg_t msg;
	struct msg m;
	assert_int_equal(proto_send_req(p->a, PROTO_NO_ROUTE, 0xdeadbeef, OP_EXEC,
					EXEC_FIRST | EXEC_LAST, path, 3, " 3 1 2 3", 8), 0);
	recv_one(p, &msg, &m);
	assert_int_equal(m.type, MSG_REQ);
	assert_int_equal(m.code, OP_EXEC);
	assert_int_equal(m.flags, EXEC_FIRST | EXEC_LAST);
	assert_int_equal(m.req, 0xdeadbeef);
	assert_int_equal(m.id, 2147483647);
	assert_int_equal(m.npath, 3);
	assert_int_equal(proto_path_at(&m, 1), 300000);
	assert_int_equal(m.body_len, 8);
	assert_memory_equal(m.body, " 3 1 2 3", 8);
	int32_t next;
	assert_int_equal(proto_next_hop(&m, 7, &next), 0);
	assert_int_equal(next, 300000);
	assert_int_equal(proto_next_hop(&m, 300000, &next), 0);
	assert_int_equal(next, 2147483647);
	assert_int_equal(proto_next_hop(&m, 2147483647, &next), -1);	/* the target */
	assert_int_equal(proto_next_hop(&m, 5, &next), -1);	/* not on the path */
	zmq_msg_close(&msg);
}

static void test_rep_hello_lost(void **state)
{
	struct pair *p = *state;
	zmq_msg_t msg;
	struct msg m;
	pid_t pid;
	char ep[64];
	int32_t v;

	assert_int_equal(proto_send_rep(p->a, 42, 9, REP_ERR, "bad", 3), 0);
	recv_one(p, &msg, &m);
	assert_int_equal(m.type, MSG_REP);
	assert_int_equal(m.code, REP_ERR);
	assert_int_equal(m.req, 42);
	assert_int_equal(m.id, 9);
	assert_memory_equal(m.body, "bad", 3);
	zmq_msg_close(&msg);

	assert_int_equal(proto_send_hello(p->a, 5, 1234, "tcp://127.0.0.1:5555"), 0);
	recv_one(p, &msg, &m);
	assert_int_equal(proto_read_hello(&m, &pid, ep, sizeof ep), 0);
	assert_int_equal(pid, 1234);
	assert_string_equal(ep, "tcp://127.0.0.1:5555");
	assert_int_equal(proto_read_hello(&m, &pid, ep, 10), -1);	/* does not fit */
	zmq_msg_close(&msg);

	assert_int_equal(proto_send_lost(p->a, 3, 777, 12), 0);
	recv_one(p, &msg, &m);
	assert_int_equal(m.type, MSG_LOST);
	assert_int_equal(m.id, 3);
	assert_int_equal(proto_read_lost(&m, &pid, &v), 0);
	assert_int_equal(pid, 777);
	assert_int_equal(v, 12);
	assert_int_equal(proto_read_i32(&m, &v), -1);	/* not a 4-byte body */
	zmq_msg_close(&msg);

	int32_t ids[] = { 4, 2147483647, 0 };
	assert_int_equal(proto_send_beat(p->a, 9, ids, 3), 0);
	recv_one(p, &msg, &m);
	assert_int_equal(m.id, 9);	/* the sender, not the first id */
	assert_int_equal(proto_beat_count(&m), 3);
	assert_int_equal(proto_beat_id(&m, 1), 2147483647);
	assert_int_equal(proto_beat_id(&m, 2), 0);
	zmq_msg_close(&msg);

	/* A period is a body, the header's id its node. */
	assert_int_equal(proto_send_period(p->a, PROTO_NO_ROUTE, 250), 0);
	recv_one(p, &msg, &m);
	assert_int_equal(m.type, MSG_PERIOD);
	assert_int_equal(proto_read_period(&m, &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(proto_read_lost(&m, &pid, &v), -1);
	zmq_msg_close(&msg);
}

static void test_malformed(void **state)
{
	(void)state;
	struct msg m;
	unsigned char good[14 + 4] = { PROTO_VERSION, MSG_REQ, OP_PING, 0, 1, 0, 0, 0,
				       5, 0, 0, 0, 1, 0, 5, 0, 0, 0 };
	assert_int_equal(proto_decode(good, sizeof good, &m), 0);

	unsigned char bad[sizeof good];
	memcpy(bad, good, sizeof bad);
	bad[0] = PROTO_VERSION + 1;	/* another version */
	assert_int_equal(proto_decode(bad, sizeof bad, &m), -1);
	memcpy(bad, good, sizeof bad);
	bad[1] = 0;			/* unknown type */
	assert_int_equal(proto_decode(bad, sizeof bad, &m), -1);
	bad[1] = 99;
	assert_int_equal(proto_decode(bad, sizeof bad, &m), -1);
	memcpy(bad, good, sizeof bad);
	bad[2] = 77;			/* unknown op */
	assert_int_equal(proto_decode(bad, sizeof bad, &m), -1);
	memcpy(bad, good, sizeof bad);
	bad[12] = 2;			/* path longer than the frame */
	assert_int_equal(proto_decode(bad, sizeof bad, &m), -1);
	memcpy(bad, good, sizeof bad);
	bad[12] = 0;			/* empty path */
	assert_int_equal(proto_decode(bad, sizeof bad, &m), -1);
	memcpy(bad, good, sizeof bad);
	bad[8] = 6;			/* target is not the path's end */
	assert_int_equal(proto_decode(bad, sizeof bad, &m), -1);
	for (size_t n = 0; n < sizeof good; n++)	/* every truncation */
		assert_int_equal(proto_decode(good, n, &m), -1);
	unsigned char rep[12] = { PROTO_VERSION, MSG_REP, REP_MAX + 1 };
	assert_int_equal(proto_decode(rep, sizeof rep, &m), -1);
}

static void test_garbage_on_socket(void **state)
{
	struct pair *p = *state;
	zmq_msg_t msg;
	struct msg m;
	/* Garbage, then a two-frame message: both dropped, then a good one arrives. */
	zmq_send(p->a, "\xff\x00garbage", 9, 0);
	zmq_send(p->a, "x", 1, ZMQ_SNDMORE);
	zmq_send(p->a, "y", 1, 0);
	proto_send_rep(p->a, 1, 1, REP_OK, NULL, 0);
	zmq_pollitem_t it = { p->b, 0, ZMQ_POLLIN, 0 };
	int got = -2;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(zmq_poll(&it, 1, 1000), 1);
		zmq_msg_init(&msg);
		got = proto_recv(p->b, 0, NULL, &msg, &m);
		zmq_msg_close(&msg);
		if (i < 2)
			assert_int_equal(got, -1);
	}
	assert_int_equal(got, 0);
	assert_int_equal(m.type, MSG_REP);
}

static void test_route_id(void **state)
{
	(void)state;
	int32_t ids[] = { 0, 1, 255, 256, 65536, 2147483647 };
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		unsigned char rid[PROTO_ROUTE_LEN];
		int32_t back;
		proto_route_id(ids[i], rid);
		assert_int_not_equal(rid[0], 0);	/* ZeroMQ reserves ids starting with 0 */
		assert_int_equal(proto_route_parse(rid, sizeof rid, &back), 0);
		assert_int_equal(back, ids[i]);
		assert_int_equal(proto_route_parse(rid, sizeof rid - 1, &back), -1);
	}
	assert_int_equal(proto_route_parse("x1234", 5, &ids[0]), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_round_trip),
		cmocka_unit_test(test_rep_hello_lost),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_garbage_on_socket),
		cmocka_unit_test(test_route_id),
	};
	return cmocka_run_group_tests(tests, pair_setup, pair_teardown);
}
