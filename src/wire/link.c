/* link.c - socket set-up shared by the control node and compute nodes. */
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <zmq.h>

#include "log.h"
#include "proto.h"
#include "zap.h"

void *link_ctx_new(void)
{
	void *ctx = zmq_ctx_new();
	if (!ctx)
		log_fatal("zmq_ctx_new: %s", zmq_strerror(errno));
	zmq_ctx_set(ctx, ZMQ_BLOCKY, 0);	/* zmq_ctx_term must never wait on a socket */
	zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 64);
	return ctx;
}

/* Options every link socket shares: no hang on close, no silent drops on a full queue
 * (flow is bounded by credits at the application level instead). */
static int common_opts(void *s)
{
	int zero = 0;
	return zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) |
	       zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero) |
	       zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
}

void *link_router(void *ctx, const char *bind, char *endpoint, size_t size)
{
	void *s = zmq_socket(ctx, ZMQ_ROUTER);
	int one = 1;
	if (!s)
		return NULL;
	/* No ZMQ_ROUTER_HANDOVER: a second connection must never take a live child's routing
	 * id (it would receive that child's requests). */
	if (common_opts(s) || zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one) ||
	    (bind && link_bind(s, bind, endpoint, size) < 0))
		goto fail;
	return s;
fail:
	link_close(&s);
	return NULL;
}

/* A PING every quarter of the timeout, and the connection closed when nothing came back
 * for half of it: a peer gone silent is found within 3/4 of timeout_ms, with the slack left
 * for finding which child it was. (PINGs are answered by libzmq's I/O thread: a node busy
 * with a long exec still answers.) The peer is told to wait the whole timeout. */
static int heartbeats(void *s, int timeout_ms)
{
	int ivl = timeout_ms / 4 > 0 ? timeout_ms / 4 : 1;
	int wait = timeout_ms / 2 > 0 ? timeout_ms / 2 : 1;
	return zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl) |
	       zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &wait, sizeof wait) |
	       zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &timeout_ms, sizeof timeout_ms);
}

int link_serve_remote(void *sock, const struct keypair *kp, const char *domain, int timeout_ms)
{
	return zap_curve_server(sock, kp, domain) < 0 || heartbeats(sock, timeout_ms) ? -1 : 0;
}

const char *link_user(zmq_msg_t *msg)
{
	const char *user = zmq_msg_gets(msg, "User-Id");
	return user ? user : "";
}

void *link_dealer(void *ctx, int32_t id, const char *endpoint,
		  const struct link_remote *remote)
{
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	unsigned char rid[PROTO_ROUTE_LEN];
	if (!s)
		return NULL;
	proto_route_id(id, rid);
	if (remote && (zap_curve_client(s, remote->kp, remote->server) < 0 ||
		       heartbeats(s, remote->timeout_ms)))
		goto fail;
	if (common_opts(s) || zmq_setsockopt(s, ZMQ_ROUTING_ID, rid, sizeof rid) ||
	    zmq_connect(s, endpoint))
		goto fail;
	return s;
fail:
	link_close(&s);
	return NULL;
}

int link_bind(void *sock, const char *bind, char *endpoint, size_t size)
{
	return zmq_bind(sock, bind) || zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &size)
		       ? -1 : 0;
}

void *link_monitor(void *ctx, void *sock, const char *name, int events)
{
	char addr[64];
	snprintf(addr, sizeof addr, "inproc://monitor-%s", name);
	if (zmq_socket_monitor(sock, addr, events) < 0)
		return NULL;
	void *mon = zmq_socket(ctx, ZMQ_PAIR);
	if (mon && (common_opts(mon) || zmq_connect(mon, addr) < 0))
		link_close(&mon);
	if (!mon)
		zmq_socket_monitor(sock, NULL, 0);	/* no reader: see link_unmonitor */
	return mon;
}

int link_monitor_read(void *mon, int *event, char *endpoint, size_t size)
{
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, mon, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&msg);
		return errno == EAGAIN ? 1 : -1;
	}
	/* Frame 1: u16 event, u32 value; frame 2: the endpoint. */
	const unsigned char *p = zmq_msg_data(&msg);
	int ok = zmq_msg_size(&msg) == 6 && zmq_msg_more(&msg);
	uint16_t ev = 0;
	if (ok)
		memcpy(&ev, p, sizeof ev);
	endpoint[0] = '\0';
	if (zmq_msg_more(&msg) && zmq_msg_recv(&msg, mon, ZMQ_DONTWAIT) >= 0 && ok) {
		size_t n = zmq_msg_size(&msg) < size ? zmq_msg_size(&msg) : size - 1;
		memcpy(endpoint, zmq_msg_data(&msg), n);
		endpoint[n] = '\0';
	}
	zmq_msg_close(&msg);
	*event = ev;
	return ok ? 0 : -1;
}

void link_close(void **sock)
{
	if (!*sock)
		return;
	int zero = 0;
	zmq_setsockopt(*sock, ZMQ_LINGER, &zero, sizeof zero);
	zmq_close(*sock);
	*sock = NULL;
}

void link_unmonitor(void *sock, void **mon)
{
	if (sock)
		zmq_socket_monitor(sock, NULL, 0);
	link_close(mon);
}

void link_raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
