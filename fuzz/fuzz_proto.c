/* fuzz_proto.c - a frame that decodes is consistent and every body reader stays inside it; and
 * what each builder sends, with arguments taken from the same input, decodes back to them.
 *
 * The builders only send on sockets, so the round trip goes through an inproc PAIR pair made
 * once in LLVMFuzzerInitialize (a routed send there is a routing frame, then the message).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <zmq.h>

#include "fuzz.h"
#include "proto.h"

static void *tx, *rx;
static volatile int32_t sink;	/* keeps reads that are only there for ASan */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	void *ctx = zmq_ctx_new();
	CHECK(ctx && zmq_ctx_set(ctx, ZMQ_IO_THREADS, 0) == 0);	/* inproc needs none */
	tx = zmq_socket(ctx, ZMQ_PAIR);
	rx = zmq_socket(ctx, ZMQ_PAIR);
	CHECK(tx && rx && zmq_bind(rx, "inproc://fuzz") == 0 &&
	      zmq_connect(tx, "inproc://fuzz") == 0);
	return 0;
}

/* The layout of proto.h: header, then for a REQ the path, then the body to the end. */
static void check_decoded(const unsigned char *p, size_t size, const struct msg *m)
{
	const unsigned char *body = (const unsigned char *)m->body;
	CHECK(m->type >= 1 && m->type <= MSG_TYPE_MAX && m->type == p[1]);
	CHECK(m->code == p[2] && m->flags == p[3]);
	CHECK(body >= p + 12 && body <= p + size && m->body_len == (size_t)(p + size - body));
	if (m->type == MSG_REQ) {
		CHECK(m->code >= 1 && m->code <= OP_MAX && m->npath >= 1);
		CHECK(m->path == p + 14 && body == m->path + 4 * (size_t)m->npath);
		CHECK(proto_path_at(m, m->npath - 1u) == m->id);
	} else {
		CHECK(m->npath == 0 && !m->path && body == p + 12);
		CHECK(m->type != MSG_REP || m->code <= REP_MAX);
	}
}

/* Every reader on a decoded message: what it accepts, and that it reads inside the frame. */
static void read_all(const struct msg *m)
{
	pid_t pid;
	int32_t v, next;
	char ep[257], small[8];
	if (proto_read_hello(m, &pid, ep, sizeof ep) == 0)
		CHECK(m->type == MSG_HELLO && pid > 0 && ep[m->body_len - 4] == '\0' &&
		      memcmp(ep, m->body + 4, m->body_len - 4) == 0);
	if (proto_read_hello(m, &pid, small, sizeof small) == 0)
		CHECK(m->body_len - 4 < sizeof small);
	if (proto_read_i32(m, &v) == 0)
		CHECK(m->body_len == 4);
	if (proto_read_lost(m, &pid, &v) == 0)
		CHECK((m->type == MSG_LOST || m->type == MSG_ORPHAN) && m->body_len == 8);
	long n = proto_beat_count(m);
	CHECK(n == (m->type == MSG_BEAT && m->body_len % 4 == 0 ? (long)(m->body_len / 4) : -1));
	for (long i = 0; i < n; i++)
		sink ^= proto_beat_id(m, (size_t)i);
	for (size_t i = 0; i < m->npath; i++)
		sink ^= proto_path_at(m, i);
	int32_t selves[] = { -1, 0, m->id, m->npath ? proto_path_at(m, 0) : 1,
			     m->npath ? proto_path_at(m, m->npath / 2u) : 2 };
	for (size_t k = 0; k < sizeof selves / sizeof selves[0]; k++) {
		size_t i = 0;
		while (i + 1 < m->npath && proto_path_at(m, i) != selves[k])
			i++;
		int r = proto_next_hop(m, selves[k], &next);
		CHECK(r == (i + 1 < m->npath ? 0 : -1) && (r < 0 || next == proto_path_at(m, i + 1)));
	}
}

/* The input as a builder's arguments: little-endian numbers, zero once it runs out. */
struct args {
	const uint8_t *p;
	size_t n;
};

static uint32_t take(struct args *a, int bytes)
{
	uint32_t v = 0;
	for (int i = 0; i < bytes && a->n; i++, a->p++, a->n--)
		v |= (uint32_t)*a->p << (8 * i);
	return v;
}

/* Receives what tx sent; 0 with m decoded from msg (the caller closes it), or -1. */
static int receive(int32_t to, zmq_msg_t *msg, struct msg *m)
{
	zmq_pollitem_t it = { rx, 0, ZMQ_POLLIN, 0 };
	int32_t from = to;
	CHECK(zmq_poll(&it, 1, 1000) == 1 && zmq_msg_init(msg) == 0);
	int r = proto_recv(rx, to != PROTO_NO_ROUTE, &from, msg, m);
	CHECK(r != 1 && from == to);
	if (r == 0) {
		check_decoded(zmq_msg_data(msg), zmq_msg_size(msg), m);
		read_all(m);
	}
	return r;
}

/* One builder, chosen by the first byte, with the rest as its arguments and body. */
static void round_trip(const uint8_t *data, size_t size)
{
	struct args a = { data, size };
	int which = (int)(take(&a, 1) % 9);
	int32_t to = (int32_t)take(&a, 4), id = (int32_t)take(&a, 4), x = (int32_t)take(&a, 4);
	uint32_t req = take(&a, 4);
	uint8_t code = (uint8_t)take(&a, 1), flags = (uint8_t)take(&a, 1);
	int32_t ids[64];
	/* A REQ's path or a BEAT's ids, as they lie on the wire. */
	size_t n = which == 0 ? (size_t)x % 8 : which == 8 ? sizeof ids / sizeof ids[0] : 0;
	n = n < a.n / 4 ? n : a.n / 4;
	const uint8_t *raw = a.p;
	for (size_t i = 0; i < n; i++)
		ids[i] = (int32_t)take(&a, 4);
	char ep[300];
	unsigned char built[4 + sizeof ep], xb[4];
	size_t len = strnlen((const char *)a.p, a.n < sizeof ep - 1 ? a.n : sizeof ep - 1);
	memcpy(ep, a.p, len);
	ep[len] = '\0';
	struct msg want;
	int rc, ok = 1;
	switch (which) {
	case 0:
		want = (struct msg){ .type = MSG_REQ, .code = code, .flags = flags, .req = req,
				     .id = n ? ids[n - 1] : 0, .npath = (uint16_t)n,
				     .path = raw, .body = (const char *)a.p, .body_len = a.n };
		rc = proto_send_req(tx, to, req, code, flags, ids, n, a.p, a.n);
		ok = code >= 1 && code <= OP_MAX;
		break;
	case 1:
		want = (struct msg){ .type = MSG_REP, .code = code, .req = req, .id = id,
				     .body = (const char *)a.p, .body_len = a.n };
		rc = proto_send_rep(tx, req, id, code, a.p, a.n);
		to = PROTO_NO_ROUTE;
		ok = code <= REP_MAX;
		break;
	case 2:
		proto_put_i32(built, x);
		memcpy(built + 4, ep, len);
		want = (struct msg){ .type = MSG_HELLO, .id = id, .body = (char *)built,
				     .body_len = 4 + len };
		rc = proto_send_hello(tx, id, x, ep);
		to = PROTO_NO_ROUTE;
		break;
	case 3:
		proto_put_i32(built, x);
		proto_put_i32(built + 4, (int32_t)req);
		want = (struct msg){ .type = x & 1 ? MSG_ORPHAN : MSG_LOST, .id = id,
				     .body = (char *)built, .body_len = 8 };
		rc = x & 1 ? proto_send_orphan(tx, id, x, (int32_t)req)
			   : proto_send_lost(tx, id, x, (int32_t)req);
		to = PROTO_NO_ROUTE;
		break;
	case 4:
		want = (struct msg){ .type = MSG_BYE, .id = id };
		rc = proto_send_bye(tx, id);
		to = PROTO_NO_ROUTE;
		break;
	case 5:
		want = (struct msg){ .type = MSG_PROBE, .id = to };
		rc = proto_send_probe(tx, to);
		break;
	case 6:
		want = (struct msg){ .type = MSG_EXIT, .id = to };
		rc = proto_send_exit(tx, to);
		break;
	case 7:
		proto_put_i32(xb, x);
		want = (struct msg){ .type = MSG_PERIOD, .id = to, .body = (const char *)xb,
				     .body_len = 4 };
		rc = proto_send_period(tx, to, x);
		break;
	default:
		want = (struct msg){ .type = MSG_BEAT, .id = x,
				     .body = (const char *)raw, .body_len = 4 * n };
		rc = proto_send_beat(tx, x, ids, n);
		to = PROTO_NO_ROUTE;
		break;
	}
	if ((which == 0 && n == 0) || (which == 2 && len >= PROTO_ENDPOINT_MAX)) {
		CHECK(rc == -1 && errno == EINVAL);	/* refused, nothing sent */
		return;
	}
	CHECK(rc == 0);
	zmq_msg_t msg;
	struct msg m;
	int r = receive(to, &msg, &m);
	CHECK(r == (ok ? 0 : -1));
	if (r == 0) {
		CHECK(m.type == want.type && m.code == want.code && m.flags == want.flags);
		CHECK(m.req == want.req && m.id == want.id && m.npath == want.npath);
		CHECK(!m.npath || memcmp(m.path, want.path, 4 * (size_t)m.npath) == 0);
		CHECK(m.body_len == want.body_len &&
		      (!m.body_len || memcmp(m.body, want.body, m.body_len) == 0));
		pid_t pid;
		int32_t v;
		char got[sizeof ep];
		if (m.type == MSG_HELLO)
			CHECK(proto_read_hello(&m, &pid, got, sizeof got) == (x > 0 ? 0 : -1) &&
			      (x <= 0 || (pid == x && strcmp(got, ep) == 0)));
		if (m.type == MSG_LOST || m.type == MSG_ORPHAN)
			CHECK(proto_read_lost(&m, &pid, &v) == 0 && pid == x && v == (int32_t)req);
		if (m.type == MSG_PERIOD)
			CHECK(proto_read_period(&m, &v) == (x >= 0 ? 0 : -1) && (x < 0 || v == x));
		for (size_t i = 0; m.type == MSG_BEAT && i < n; i++)
			CHECK(proto_beat_count(&m) == (long)n && proto_beat_id(&m, i) == ids[i]);
	}
	zmq_msg_close(&msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m;
	if (proto_decode(data, size, &m) == 0) {
		check_decoded(data, size, &m);
		read_all(&m);
	}
	int32_t id;
	unsigned char rid[PROTO_ROUTE_LEN];
	int r = proto_route_parse(data, size, &id);
	CHECK(r == (size == PROTO_ROUTE_LEN && data[0] == 'n' ? 0 : -1));
	if (r == 0) {
		proto_route_id(id, rid);
		CHECK(memcmp(rid, data, sizeof rid) == 0);
	}
	/* libFuzzer's SIGALRM (its -timeout check) would break zmq calls with EINTR; it waits
	 * until the round trip is over, as mqtree's own signals wait for its signalfd. */
	sigset_t alarm, old;
	sigemptyset(&alarm);
	sigaddset(&alarm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alarm, &old);
	round_trip(data, size);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}
