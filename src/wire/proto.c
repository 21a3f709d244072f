/* proto.c - building and reading messages; the only code that knows the wire layout. */
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HDR 12
#define REQ_HDR (HDR + 2)

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

void proto_put_i32(unsigned char out[4], int32_t value)
{
	put_u32(out, (uint32_t)value);
}

int proto_decode(const void *data, size_t size, struct msg *m)
{
	const unsigned char *p = data;
	if (size < HDR || p[0] != PROTO_VERSION || p[1] < 1 || p[1] > MSG_TYPE_MAX)
		return -1;
	memset(m, 0, sizeof *m);
	m->type = p[1];
	m->code = p[2];
	m->flags = p[3];
	m->req = get_u32(p + 4);
	m->id = (int32_t)get_u32(p + 8);
	size_t off = HDR;
	if (m->type == MSG_REQ) {
		if (size < REQ_HDR || m->code < 1 || m->code > OP_MAX)
			return -1;
		m->npath = (uint16_t)(p[12] | p[13] << 8);
		if (m->npath == 0 || size - REQ_HDR < (size_t)m->npath * 4)
			return -1;
		m->path = p + REQ_HDR;
		off = REQ_HDR + (size_t)m->npath * 4;
		if (proto_path_at(m, m->npath - 1u) != m->id)
			return -1;
	} else if (m->type == MSG_REP && m->code > REP_MAX) {
		return -1;
	}
	m->body = (const char *)p + off;
	m->body_len = size - off;
	return 0;
}

int32_t proto_path_at(const struct msg *m, size_t i)
{
	return (int32_t)get_u32(m->path + i * 4);
}

int proto_next_hop(const struct msg *m, int32_t self, int32_t *next)
{
	for (size_t i = 0; i + 1 < m->npath; i++) {
		if (proto_path_at(m, i) == self) {
			*next = proto_path_at(m, i + 1);
			return 0;
		}
	}
	return -1;
}

void proto_route_id(int32_t id, unsigned char out[PROTO_ROUTE_LEN])
{
	uint32_t v = (uint32_t)id;
	out[0] = 'n';
	out[1] = (unsigned char)(v >> 24);
	out[2] = (unsigned char)(v >> 16);
	out[3] = (unsigned char)(v >> 8);
	out[4] = (unsigned char)v;
}

int proto_route_parse(const void *data, size_t size, int32_t *id)
{
	const unsigned char *p = data;
	if (size != PROTO_ROUTE_LEN || p[0] != 'n')
		return -1;
	*id = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
	return 0;
}

static int more(void *sock)
{
	int more = 0;
	size_t len = sizeof more;
	return zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more;
}

static void drain(void *sock, zmq_msg_t *msg)
{
	while (more(sock) && zmq_msg_recv(msg, sock, ZMQ_DONTWAIT) >= 0)
		;
}

int proto_recv(void *sock, int routed, int32_t *from, zmq_msg_t *msg, struct msg *m)
{
	if (zmq_msg_recv(msg, sock, ZMQ_DONTWAIT) < 0)
		return errno == EAGAIN ? 1 : -1;
	if (routed) {
		int ok = proto_route_parse(zmq_msg_data(msg), zmq_msg_size(msg), from) == 0;
		if (!ok || !more(sock)) {
			drain(sock, msg);
			return -1;
		}
		if (zmq_msg_recv(msg, sock, ZMQ_DONTWAIT) < 0)
			return -1;
	}
	if (more(sock)) {
		drain(sock, msg);
		return -1;
	}
	return proto_decode(zmq_msg_data(msg), zmq_msg_size(msg), m);
}

static int send_route(void *sock, int32_t to)
{
	if (to == PROTO_NO_ROUTE)
		return 0;
	unsigned char rid[PROTO_ROUTE_LEN];
	proto_route_id(to, rid);
	return zmq_send(sock, rid, sizeof rid, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

int proto_forward(void *sock, int32_t to, zmq_msg_t *msg)
{
	return send_route(sock, to) < 0 || zmq_msg_send(msg, sock, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

size_t proto_recv_each(void *sock, int routed, size_t max, proto_handler *fn, void *arg)
{
	size_t n = 0;
	for (bool more = true; more && n < max; n++) {
		zmq_msg_t msg;
		struct msg m;
		int32_t from = PROTO_NO_ROUTE;
		zmq_msg_init(&msg);
		int rc = proto_recv(sock, routed, &from, &msg, &m);
		if (rc == 0)
			more = fn(arg, from, &msg, &m);	/* malformed (-1): dropped, read on */
		zmq_msg_close(&msg);
		if (rc == 1)
			break;
	}
	return n;
}

static void write_header(unsigned char *p, const struct msg *m)
{
	p[0] = PROTO_VERSION;
	p[1] = m->type;
	p[2] = m->code;
	p[3] = m->flags;
	put_u32(p + 4, m->req);
	put_u32(p + 8, (uint32_t)m->id);
}

/* Builds header, path and body into one frame and sends it. */
static int send_parts(void *sock, int32_t to, const struct msg *m, const int32_t *path,
		      const void *body, size_t body_len)
{
	size_t off = m->type == MSG_REQ ? REQ_HDR + m->npath * (size_t)4 : HDR;
	zmq_msg_t msg;
	if (zmq_msg_init_size(&msg, off + body_len) < 0)
		return -1;
	unsigned char *p = zmq_msg_data(&msg);
	write_header(p, m);
	if (m->type == MSG_REQ) {
		p[12] = (unsigned char)m->npath;
		p[13] = (unsigned char)(m->npath >> 8);
		for (size_t i = 0; i < m->npath; i++)
			put_u32(p + REQ_HDR + i * 4, (uint32_t)path[i]);
	}
	if (body_len)
		memcpy(p + off, body, body_len);
	return proto_forward(sock, to, &msg);
}

int proto_send_req(void *sock, int32_t to, uint32_t req, uint8_t op, uint8_t flags,
		   const int32_t *path, size_t npath, const void *body, size_t body_len)
{
	if (npath == 0 || npath > PROTO_MAX_PATH)
		return errno = EINVAL, -1;
	struct msg m = { .type = MSG_REQ, .code = op, .flags = flags, .req = req,
			 .id = path[npath - 1], .npath = (uint16_t)npath };
	return send_parts(sock, to, &m, path, body, body_len);
}

int proto_send_rep(void *sock, uint32_t req, int32_t id, uint8_t code, const void *body,
		   size_t body_len)
{
	struct msg m = { .type = MSG_REP, .code = code, .req = req, .id = id };
	return send_parts(sock, PROTO_NO_ROUTE, &m, NULL, body, body_len);
}

int proto_send_hello(void *sock, int32_t id, pid_t pid, const char *endpoint)
{
	size_t len = strlen(endpoint);
	unsigned char body[4 + PROTO_ENDPOINT_MAX];
	if (len >= PROTO_ENDPOINT_MAX)
		return errno = EINVAL, -1;
	put_u32(body, (uint32_t)pid);
	memcpy(body + 4, endpoint, len);
	struct msg m = { .type = MSG_HELLO, .id = id };
	return send_parts(sock, PROTO_NO_ROUTE, &m, NULL, body, 4 + len);
}

static int send_bare(void *sock, int32_t to, uint8_t type, int32_t id)
{
	struct msg m = { .type = type, .id = id };
	return send_parts(sock, to, &m, NULL, NULL, 0);
}

static int send_node(void *sock, uint8_t type, int32_t id, pid_t pid, int32_t parent)
{
	unsigned char body[8];
	struct msg m = { .type = type, .id = id };
	put_u32(body, (uint32_t)pid);
	put_u32(body + 4, (uint32_t)parent);
	return send_parts(sock, PROTO_NO_ROUTE, &m, NULL, body, sizeof body);
}

int proto_send_lost(void *sock, int32_t id, pid_t pid, int32_t parent)
{
	return send_node(sock, MSG_LOST, id, pid, parent);
}

int proto_send_orphan(void *sock, int32_t id, pid_t pid, int32_t at)
{
	return send_node(sock, MSG_ORPHAN, id, pid, at);
}

int proto_send_bye(void *sock, int32_t id)
{
	return send_bare(sock, PROTO_NO_ROUTE, MSG_BYE, id);
}

int proto_read_lost(const struct msg *m, pid_t *pid, int32_t *parent)
{
	if ((m->type != MSG_LOST && m->type != MSG_ORPHAN) || m->body_len != 8)
		return -1;
	*pid = (pid_t)get_u32((const unsigned char *)m->body);
	*parent = (int32_t)get_u32((const unsigned char *)m->body + 4);
	return 0;
}

int proto_send_probe(void *sock, int32_t to)
{
	return send_bare(sock, to, MSG_PROBE, to);
}

int proto_send_exit(void *sock, int32_t to)
{
	return send_bare(sock, to, MSG_EXIT, to);
}

int proto_send_beat(void *sock, int32_t from, const int32_t *ids, size_t n)
{
	struct msg m = { .type = MSG_BEAT, .id = from };
	zmq_msg_t msg;
	if (zmq_msg_init_size(&msg, HDR + n * 4) < 0)
		return -1;
	unsigned char *p = zmq_msg_data(&msg);
	write_header(p, &m);
	for (size_t i = 0; i < n; i++)
		put_u32(p + HDR + i * 4, (uint32_t)ids[i]);
	return proto_forward(sock, PROTO_NO_ROUTE, &msg);
}

int proto_send_period(void *sock, int32_t to, int32_t ms)
{
	unsigned char body[4];
	struct msg m = { .type = MSG_PERIOD, .id = to };
	put_u32(body, (uint32_t)ms);
	return send_parts(sock, to, &m, NULL, body, sizeof body);
}

int proto_send_kill(void *sock, int32_t to, int32_t id, pid_t pid)
{
	unsigned char body[4];
	struct msg m = { .type = MSG_KILL, .id = id };
	put_u32(body, (uint32_t)pid);
	return send_parts(sock, to, &m, NULL, body, sizeof body);
}

int proto_read_period(const struct msg *m, int32_t *ms)
{
	if (m->type != MSG_PERIOD || m->body_len != 4)
		return -1;
	*ms = (int32_t)get_u32((const unsigned char *)m->body);
	return *ms >= 0 ? 0 : -1;
}

long proto_beat_count(const struct msg *m)
{
	return m->type == MSG_BEAT && m->body_len % 4 == 0 ? (long)(m->body_len / 4) : -1;
}

int32_t proto_beat_id(const struct msg *m, size_t i)
{
	return (int32_t)get_u32((const unsigned char *)m->body + i * 4);
}

int proto_read_hello(const struct msg *m, pid_t *pid, char *endpoint, size_t size)
{
	if (m->type != MSG_HELLO || m->body_len < 4 || m->body_len - 4 >= size)
		return -1;
	int32_t v = (int32_t)get_u32((const unsigned char *)m->body);
	if (v <= 0)
		return -1;
	*pid = v;
	memcpy(endpoint, m->body + 4, m->body_len - 4);
	endpoint[m->body_len - 4] = '\0';
	return 0;
}

/* A key after the fixed part of a body, or none. */
static int read_key(const struct msg *m, size_t fixed, char key[PROTO_KEY_LEN + 1])
{
	key[0] = '\0';
	if (m->body_len == fixed)
		return 0;
	if (m->body_len != fixed + PROTO_KEY_LEN)
		return -1;
	memcpy(key, m->body + fixed, PROTO_KEY_LEN);
	key[PROTO_KEY_LEN] = '\0';
	return strlen(key) == PROTO_KEY_LEN ? 0 : -1;
}

static size_t put_key(unsigned char *p, const char *key)
{
	if (!key || strlen(key) != PROTO_KEY_LEN)
		return 0;
	memcpy(p, key, PROTO_KEY_LEN);
	return PROTO_KEY_LEN;
}

size_t proto_create_body(unsigned char out[PROTO_MOVER_MAX], int32_t id, const char *key)
{
	put_u32(out, (uint32_t)id);
	return 4 + put_key(out + 4, key);
}

size_t proto_expect_body(unsigned char out[PROTO_MOVER_MAX], int32_t id, pid_t pid,
			 const char *key)
{
	put_u32(out, (uint32_t)id);
	put_u32(out + 4, (uint32_t)pid);
	return 8 + put_key(out + 8, key);
}

int proto_read_create(const struct msg *m, int32_t *id, char key[PROTO_KEY_LEN + 1])
{
	if (m->type != MSG_REQ || m->code != OP_CREATE || m->body_len < 4)
		return -1;
	*id = (int32_t)get_u32((const unsigned char *)m->body);
	return *id >= 0 ? read_key(m, 4, key) : -1;
}

int proto_read_expect(const struct msg *m, int32_t *id, pid_t *pid,
		      char key[PROTO_KEY_LEN + 1])
{
	if (m->type != MSG_REQ || m->code != OP_EXPECT || m->body_len < 8)
		return -1;
	*id = (int32_t)get_u32((const unsigned char *)m->body);
	*pid = (pid_t)get_u32((const unsigned char *)m->body + 4);
	return *id >= 0 && *pid > 0 ? read_key(m, 8, key) : -1;
}

size_t proto_fields_body(char out[PROTO_FIELDS_MAX], const char *const *fields, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(fields[i]);
		if (len + k + 1 > PROTO_FIELDS_MAX)
			return 0;
		memcpy(out + len, fields[i], k + 1);
		len += k + 1;
	}
	return len;
}

int proto_send_fields(void *sock, int32_t to, uint8_t type, uint8_t code, uint32_t req,
		      int32_t id, const char *const *fields, size_t n)
{
	char body[PROTO_FIELDS_MAX];
	size_t len = proto_fields_body(body, fields, n);
	if (n && !len)
		return errno = EINVAL, -1;
	struct msg m = { .type = type, .code = code, .req = req, .id = id };
	return send_parts(sock, to, &m, NULL, body, len);
}

int proto_read_fields(const struct msg *m, char *buf, const char **fields, size_t n)
{
	if (m->body_len == 0 || m->body_len > PROTO_FIELDS_MAX || m->body[m->body_len - 1])
		return -1;
	memcpy(buf, m->body, m->body_len);
	size_t i = 0;
	for (size_t off = 0; off < m->body_len; i++) {
		if (i == n)
			return -1;
		fields[i] = buf + off;
		off += strlen(buf + off) + 1;
	}
	return i == n ? 0 : -1;
}

int proto_read_i32(const struct msg *m, int32_t *value)
{
	if (m->body_len != 4)
		return -1;
	*value = (int32_t)get_u32((const unsigned char *)m->body);
	return 0;
}
