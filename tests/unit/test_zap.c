/* The ZAP handler with real handshakes: a ROUTER CURVE server over tcp and DEALER clients in
 * one context, the handler run by the test's loop as a process's loop runs it. Allowed
 * clients' messages arrive carrying the user id allow() gave; a client with an unknown key, a
 * client without CURVE, and every client of a server with no handler deliver nothing (the
 * server's monitor shows their handshakes fail, so nothing is left to chance); one ROUTER
 * serves ipc without security and tcp with CURVE side by side; malformed requests are
 * answered "400" and the handler goes on answering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "keys.h"
#include "link.h"
#include "proto.h"
#include "zap.h"

#define DOMAIN "mqtree"
#define WAIT_MS 5000	/* for what must happen */
#define QUIET_MS 300	/* after a refusal: time a wrongly let in message would have had */
#define FAILED (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | \
		ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

struct env {
	void *ctx;
	struct zap *zap;
	struct keylist *allowed;
	struct keypair server, named, unnamed, stranger;
	int calls;		/* of allow() */
	char domain[64], address[64];
	char dir[64], ipc[128];
	void *router, *mon, *socks[4];	/* socks: every other socket, closed by teardown */
	size_t nsocks;
	/* What the server's loop saw. */
	int msgs, events;	/* events: those of endpoints starting with watch */
	const char *watch;
	char user[4][64];	/* User-Id of each message, "-" when it had none */
	bool echo_key;		/* allow() answers with the key it was given */
};

static const char *allow(void *arg, const char *domain, const char *address, const char *key)
{
	struct env *e = arg;
	e->calls++;
	snprintf(e->domain, sizeof e->domain, "%s", domain);
	snprintf(e->address, sizeof e->address, "%s", address);
	if (e->echo_key)
		return keys_list_find(e->allowed, key) ? key : NULL;
	return keys_list_find(e->allowed, key);
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof *e);
	assert_non_null(e);
	e->ctx = zmq_ctx_new();
	assert_non_null(e->ctx);
	struct keypair *kps[] = { &e->server, &e->named, &e->unnamed, &e->stranger };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(zmq_curve_keypair(kps[i]->pub, kps[i]->sec), 0);
	e->allowed = keys_list_new();
	assert_int_equal(keys_list_add(e->allowed, e->named.pub, "node-1"), 0);
	assert_int_equal(keys_list_add(e->allowed, e->unnamed.pub, NULL), 0);
	snprintf(e->dir, sizeof e->dir, "/tmp/mqtree-zap-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->ipc, sizeof e->ipc, "ipc://%s/s", e->dir);
	e->watch = "";
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	char path[128];
	/* Even after a failed assertion: zmq_ctx_term waits for every socket. */
	for (size_t i = 0; i < e->nsocks; i++)
		link_close(&e->socks[i]);
	link_unmonitor(e->router, &e->mon);
	link_close(&e->router);
	zap_close(&e->zap);
	assert_null(e->zap);
	assert_int_equal(zmq_ctx_term(e->ctx), 0);
	snprintf(path, sizeof path, "%s/s", e->dir);
	unlink(path);
	assert_int_equal(rmdir(e->dir), 0);
	keys_list_free(&e->allowed);
	free(e);
	return 0;
}

static void *router_new(struct env *e)
{
	int zero = 0;
	e->router = zmq_socket(e->ctx, ZMQ_ROUTER);
	assert_non_null(e->router);
	assert_int_equal(zmq_setsockopt(e->router, ZMQ_LINGER, &zero, sizeof zero), 0);
	e->mon = link_monitor(e->ctx, e->router, "zap-test", FAILED |
			      ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
	assert_non_null(e->mon);
	return e->router;
}

static void bind_tcp(struct env *e, char *endpoint, size_t size)
{
	assert_int_equal(zmq_bind(e->router, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(e->router, ZMQ_LAST_ENDPOINT, endpoint, &size), 0);
}

static void *sock_new(struct env *e, int type)
{
	void *s = zmq_socket(e->ctx, type);
	int zero = 0;
	assert_non_null(s);
	assert_true(e->nsocks < 4);
	e->socks[e->nsocks++] = s;
	assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero), 0);
	return s;
}

/* A DEALER that says hello to endpoint, with CURVE when kp is given. */
static void client(struct env *e, const struct keypair *kp, const char *endpoint)
{
	void *s = sock_new(e, ZMQ_DEALER);
	if (kp)
		assert_int_equal(zap_curve_client(s, kp, e->server.pub), 0);
	assert_int_equal(zmq_connect(s, endpoint), 0);
	assert_int_equal(zmq_send(s, "hello", 5, ZMQ_DONTWAIT), 5);
}

static void read_message(struct env *e)
{
	zmq_msg_t rid, body;
	zmq_msg_init(&rid);
	zmq_msg_init(&body);
	assert_true(zmq_msg_recv(&rid, e->router, ZMQ_DONTWAIT) >= 0);
	assert_true(zmq_msg_more(&rid));
	assert_int_equal(zmq_msg_recv(&body, e->router, ZMQ_DONTWAIT), 5);
	assert_memory_equal(zmq_msg_data(&body), "hello", 5);
	const char *user = zmq_msg_gets(&body, "User-Id");
	assert_true(e->msgs < 4);
	snprintf(e->user[e->msgs++], sizeof e->user[0], "%s", user ? user : "-");
	zmq_msg_close(&rid);
	zmq_msg_close(&body);
}

/* The server's loop: answers the handler's requests, reads messages and monitor events,
 * until msgs messages came, or an event of mask was seen (0: neither), or ms passed. */
static void run(struct env *e, int msgs, int mask, int ms)
{
	int64_t end = clock_ms() + ms;
	int64_t now;
	while ((now = clock_ms()) < end) {
		if ((msgs && e->msgs >= msgs) || (e->events & mask))
			return;
		zmq_pollitem_t it[3] = {
			{ e->router, 0, ZMQ_POLLIN, 0 },
			{ e->mon, 0, ZMQ_POLLIN, 0 },
			{ e->zap ? zap_socket(e->zap) : NULL, 0, ZMQ_POLLIN, 0 },
		};
		assert_true(zmq_poll(it, e->zap ? 3 : 2, (long)(end - now)) >= 0);
		if (it[0].revents & ZMQ_POLLIN)
			read_message(e);
		if (it[1].revents & ZMQ_POLLIN) {
			int event;
			char endpoint[PROTO_ENDPOINT_MAX];
			while (link_monitor_read(e->mon, &event, endpoint, sizeof endpoint) == 0)
				if (!strncmp(endpoint, e->watch, strlen(e->watch)))
					e->events |= event;
		}
		if (e->zap && (it[2].revents & ZMQ_POLLIN))
			assert_true(zap_handle(e->zap) >= 0);
	}
}

/* A refusal on a "tcp" or "ipc" endpoint: the handshake fails, and then nothing arrives. */
static void refused(struct env *e, const char *watch, int event)
{
	int msgs = e->msgs;
	e->watch = watch;
	e->events = 0;
	run(e, 0, FAILED, WAIT_MS);
	assert_int_equal(e->events & FAILED, event);
	run(e, msgs + 1, 0, QUIET_MS);
	assert_int_equal(e->msgs, msgs);
}

static void curve_server(struct env *e, char *endpoint, size_t size)
{
	router_new(e);
	assert_int_equal(zap_curve_server(e->router, &e->server, DOMAIN), 0);
	bind_tcp(e, endpoint, size);
}

static void test_allowed(void **state)
{
	struct env *e = *state;
	char ep[PROTO_ENDPOINT_MAX];
	e->zap = zap_open(e->ctx, allow, e);
	assert_non_null(e->zap);
	curve_server(e, ep, sizeof ep);
	client(e, &e->named, ep);
	run(e, 1, 0, WAIT_MS);
	assert_int_equal(e->msgs, 1);
	assert_string_equal(e->user[0], "node-1");
	assert_string_equal(e->domain, DOMAIN);
	assert_string_equal(e->address, "127.0.0.1");
	client(e, &e->unnamed, ep);
	run(e, 2, 0, WAIT_MS);
	assert_int_equal(e->msgs, 2);
	assert_string_equal(e->user[1], e->unnamed.pub);
	/* Every later message of a connection carries it too. */
	assert_int_equal(zmq_send(e->socks[0], "hello", 5, ZMQ_DONTWAIT), 5);
	run(e, 3, 0, WAIT_MS);
	assert_int_equal(e->msgs, 3);
	assert_string_equal(e->user[2], "node-1");
	assert_int_equal(e->calls, 2);
}

/* allow() may answer with the very key string it was given (a host is its key): that string
 * lives only during the call, so the handler must copy it (found by AddressSanitizer as a
 * use after scope, and in a build without it as a user id of garbage). */
static void test_user_id_is_the_key(void **state)
{
	struct env *e = *state;
	char ep[PROTO_ENDPOINT_MAX];
	e->echo_key = true;
	e->zap = zap_open(e->ctx, allow, e);
	assert_non_null(e->zap);
	curve_server(e, ep, sizeof ep);
	client(e, &e->named, ep);
	run(e, 1, 0, WAIT_MS);
	assert_int_equal(e->msgs, 1);
	assert_string_equal(e->user[0], e->named.pub);
}

static void test_unknown_key(void **state)
{
	struct env *e = *state;
	char ep[PROTO_ENDPOINT_MAX];
	e->zap = zap_open(e->ctx, allow, e);
	curve_server(e, ep, sizeof ep);
	client(e, &e->stranger, ep);
	refused(e, "tcp", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
	assert_true(e->calls >= 1);
	/* The same server still lets an allowed client in, and only it. */
	client(e, &e->named, ep);
	run(e, 1, 0, WAIT_MS);
	run(e, 2, 0, QUIET_MS);
	assert_int_equal(e->msgs, 1);
	assert_string_equal(e->user[0], "node-1");
}

static void test_no_curve(void **state)
{
	struct env *e = *state;
	char ep[PROTO_ENDPOINT_MAX];
	e->zap = zap_open(e->ctx, allow, e);
	curve_server(e, ep, sizeof ep);
	client(e, NULL, ep);
	refused(e, "tcp", ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);	/* NULL meets CURVE */
	assert_int_equal(e->calls, 0);
}

/* A socket with a ZAP domain and no security has its NULL clients asked about: refused. */
static void test_null_mechanism(void **state)
{
	struct env *e = *state;
	char ep[PROTO_ENDPOINT_MAX];
	e->zap = zap_open(e->ctx, allow, e);
	router_new(e);
	assert_int_equal(zmq_setsockopt(e->router, ZMQ_ZAP_DOMAIN, DOMAIN, strlen(DOMAIN)), 0);
	bind_tcp(e, ep, sizeof ep);
	client(e, NULL, ep);
	refused(e, "tcp", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
	assert_int_equal(e->calls, 0);
}

/* Without a handler libzmq would let in any client that knows the server's key. */
static void test_no_handler(void **state)
{
	struct env *e = *state;
	char ep[PROTO_ENDPOINT_MAX];
	curve_server(e, ep, sizeof ep);
	client(e, &e->named, ep);
	refused(e, "tcp", ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
}

/* Security options are taken per bind: ipc without, then tcp with CURVE, on one ROUTER. */
static void test_per_bind(void **state)
{
	struct env *e = *state;
	char ep[PROTO_ENDPOINT_MAX];
	e->zap = zap_open(e->ctx, allow, e);
	router_new(e);
	assert_int_equal(zmq_bind(e->router, e->ipc), 0);
	assert_int_equal(zap_curve_server(e->router, &e->server, DOMAIN), 0);
	bind_tcp(e, ep, sizeof ep);

	client(e, NULL, e->ipc);
	run(e, 1, 0, WAIT_MS);
	assert_int_equal(e->msgs, 1);
	assert_string_equal(e->user[0], "-");	/* no handshake asked the handler */
	assert_int_equal(e->calls, 0);

	client(e, &e->named, ep);
	run(e, 2, 0, WAIT_MS);
	assert_int_equal(e->msgs, 2);
	assert_string_equal(e->user[1], "node-1");
	assert_int_equal(e->calls, 1);

	client(e, NULL, ep);
	refused(e, "tcp", ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
	client(e, &e->named, e->ipc);	/* CURVE meets NULL */
	refused(e, "ipc", ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
	assert_int_equal(e->calls, 1);
}

/* Sends the first n frames as a request from a REQ socket, and checks the reply: 6 frames,
 * the request id echoed, this status and user id. */
static void ask(struct env *e, void *req, const char *const *frames, const size_t *lens,
		size_t n, const char *status, const char *user)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(zmq_send(req, frames[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0),
				 (int)lens[i]);
	zmq_pollitem_t it[2] = { { zap_socket(e->zap), 0, ZMQ_POLLIN, 0 },
				 { req, 0, ZMQ_POLLIN, 0 } };
	int64_t end = clock_ms() + WAIT_MS;
	while (!(it[1].revents & ZMQ_POLLIN) && clock_ms() < end) {
		assert_true(zmq_poll(it, 2, 100) >= 0);
		if (it[0].revents & ZMQ_POLLIN)
			assert_int_equal(zap_handle(e->zap), 1);
	}
	assert_true(it[1].revents & ZMQ_POLLIN);
	char part[6][64];
	int len[6], more = 1;
	size_t k = 0;
	for (; more; k++) {
		assert_true(k < 6);
		len[k] = zmq_recv(req, part[k], sizeof part[k], 0);
		assert_true(len[k] >= 0 && len[k] < 64);
		part[k][len[k]] = '\0';
		size_t size = sizeof more;
		assert_int_equal(zmq_getsockopt(req, ZMQ_RCVMORE, &more, &size), 0);
	}
	assert_int_equal(k, 6);
	assert_string_equal(part[0], "1.0");
	assert_string_equal(part[1], n > 1 && lens[1] < 64 ? frames[1] : "");
	assert_string_equal(part[2], status);
	assert_string_equal(part[4], user);
	assert_int_equal(len[5], 0);
}

static void test_malformed_requests(void **state)
{
	struct env *e = *state;
	uint8_t key[32], named[32];
	e->zap = zap_open(e->ctx, allow, e);
	assert_non_null(e->zap);
	void *req = sock_new(e, ZMQ_REQ);
	assert_int_equal(zmq_connect(req, ZAP_ENDPOINT), 0);
	assert_int_equal(keys_z85_to_bin(e->named.pub, named), 0);
	memcpy(key, named, 32);
	const char *f[9] = { "1.0", "7", DOMAIN, "127.0.0.1", "", "CURVE", (char *)key, "x", "y" };
	size_t l[9] = { 3, 1, 6, 9, 0, 5, 32, 1, 1 };

	ask(e, req, f, l, 7, "200", "node-1");
	ask(e, req, f, l, 1, "400", "");		/* the version alone */
	ask(e, req, f, l, 6, "400", "");		/* no key */
	ask(e, req, f, l, 9, "400", "");		/* frames after the key */
	l[6] = 31;
	ask(e, req, f, l, 7, "400", "");		/* a key too short */
	l[6] = 32;
	f[0] = "2.0";
	ask(e, req, f, l, 7, "400", "");
	f[0] = "1.0";
	f[5] = "PLAIN";
	ask(e, req, f, l, 7, "400", "");
	f[5] = "NULL";
	ask(e, req, f, l, 6, "400", "");		/* NULL has no credentials */
	f[5] = "CURVE";
	l[2] = 3;
	f[2] = "a\0b";
	ask(e, req, f, l, 7, "400", "");		/* a NUL in the domain */
	f[2] = DOMAIN;
	l[2] = 6;
	key[0] ^= 1;
	ask(e, req, f, l, 7, "400", "");		/* not an allowed key */
	memcpy(key, named, 32);
	ask(e, req, f, l, 7, "200", "node-1");	/* and still answering */
	assert_int_equal(e->calls, 3);
}

static void test_open_close(void **state)
{
	struct env *e = *state;
	e->zap = zap_open(e->ctx, allow, e);
	assert_non_null(e->zap);
	errno = 0;
	assert_null(zap_open(e->ctx, allow, e));
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(zap_handle(e->zap), 0);	/* nothing waiting: no block */
	zap_close(&e->zap);
	assert_null(e->zap);
	zap_close(&e->zap);
	e->zap = zap_open(e->ctx, allow, e);
	assert_non_null(e->zap);

	void *s = sock_new(e, ZMQ_ROUTER);
	errno = 0;
	assert_int_equal(zap_curve_server(s, &e->server, ""), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(zap_curve_client(s, &e->named, "not a key"), -1);
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_allowed, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_user_id_is_the_key, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_no_curve, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_null_mechanism, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_no_handler, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_per_bind, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_requests, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_open_close, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
