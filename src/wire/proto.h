/* proto.h - the one module through which every mqtree message is built and read.
 *
 * A message is one ZeroMQ frame (after the routing frame a ROUTER adds or strips):
 *
 *   0  u8  version (PROTO_VERSION)    4  u32 request id (0: none), little endian
 *   1  u8  type (enum msg_type)       8  i32 node id: the target of a REQ, else the sender
 *   2  u8  code (op or status)           or subject of the message
 *   3  u8  flags
 *   REQ only: 12 u16 path length n, 14 n x i32 path (depth-1 node first, target last)
 *   then the body, to the end of the frame.
 *
 * Requests travel down one hop at a time along the path; everything else travels up, and a
 * node forwards what comes from below unchanged (zero copy). Anything that does not decode is
 * dropped by the receiver, never trusted.
 */
#ifndef MQTREE_PROTO_H
#define MQTREE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zmq.h>

#define PROTO_VERSION 2
#define PROTO_NO_ROUTE INT32_MIN	/* send without a routing frame (DEALER, PAIR) */
#define PROTO_ROUTE_LEN 5		/* routing id: 'n' + u32 big endian (never starts with 0) */
#define PROTO_MAX_PATH 65535
#define PROTO_ENDPOINT_MAX 256	/* bytes of an endpoint, its NUL included */
#define PROTO_KEY_LEN 40	/* a CURVE public key in Z85 */
#define PROTO_FIELDS_MAX 1024	/* bytes of a message's text fields, NULs included */

enum msg_type {
	MSG_HELLO = 1,	/* up: node `id` joined; body: i32 pid, endpoint */
	MSG_REQ = 2,	/* down along the path: request `req` for node `id` */
	MSG_REP = 3,	/* up: answer to request `req` from node `id` */
	MSG_LOST = 4,	/* up: child `id` is gone; body: i32 its pid (0: unknown), i32 the parent
			 * that lost it */
	MSG_PROBE = 5,	/* down one hop: checks a child link is still there; dropped */
	MSG_EXIT = 6,	/* down one hop: end this node (its subtree follows it) */
	MSG_BEAT = 7,	/* up one hop from node `id`: `heartbit` reports; body: i32 ids of the
			 * nodes reporting (it and its subtree) */
	MSG_PERIOD = 8,	/* down one hop to node `id`: report every MS ms from now on (0: stop);
			 * body: i32 MS */
	MSG_BYE = 9,	/* up one hop: the sender has moved to another parent; not forwarded */
	/* On the host link, between the control node and a host's agent: */
	MSG_JOIN = 10,	/* agent -> control: a host joins; id: the agent's pid; fields: its name,
			 * the address its nodes listen on for children elsewhere */
	MSG_WELCOME = 11,	/* control -> agent: code 0 joined, 1 refused; body: the reason */
	MSG_SPAWN = 12,	/* control -> agent: start node `id` for create `req`; fields: the
			 * parent's endpoint, its host's public key, the command set, --timeout in
			 * ms. Answered REP_SPAWNED (i32 pid) or REP_ERR; the node's end is told by
			 * MSG_LOST with parent -1 */
	MSG_KILL = 13,	/* control -> agent: end node `id` now; body: i32 its pid */
	MSG_ORPHAN = 14,	/* up: node `id`, whose parent died, came to the sender, its
				 * grandparent, as an orphan (--heal) and waits there (OP_EXPECT
				 * adopts it, OP_ABORT ends it); body as MSG_LOST's, the parent
				 * being the node it waits at */
	MSG_TYPE_MAX = 14,
};

enum req_op {
	OP_PING = 1,	/* answer REP_OK at once, from the node's loop */
	OP_EXEC = 2,	/* a piece of an exec's argument stream; flags below */
	OP_CREATE = 3,	/* start a child; body: i32 new id, and for a child on another host that
			 * host's public key (PROTO_KEY_LEN): answered REP_LISTEN, its agent
			 * starts it */
	OP_KILL = 4,	/* end the target and its subtree */
	OP_MOVE = 5,	/* join another parent; fields: its endpoint, its host's public key ("":
			 * the mover's host). The mover answers REP_OK up
			 * the old path as it leaves; the HELLO from the new place completes it */
	OP_EXPECT = 6,	/* a node is about to move here as a child; body: i32 its id, i32 its
			 * pid, and its host's public key if it is on another host. Answered
			 * REP_OK (REP_LISTEN from another host): only then may it say HELLO here;
			 * REP_ADOPTED if it is there already */
	OP_ABORT = 7,	/* a create was answered with an error: end and forget the child it may
			 * have started, or the orphan that waits there; body: i32 the child's
			 * id. Not answered */
	OP_MAX = 7,
};

enum { EXEC_FIRST = 1, EXEC_LAST = 2 };	/* OP_EXEC flags */

enum rep_code {
	REP_OK = 0,	/* body: result text */
	REP_ERR = 1,	/* body: reason */
	REP_UNAVAIL = 2,	/* the request could not reach its node */
	REP_CREDIT = 3,	/* one OP_EXEC piece consumed; send another */
	REP_SPAWNED = 4,	/* OP_CREATE: child process started; body: i32 pid */
	REP_LISTEN = 5,	/* OP_CREATE, OP_EXPECT of a node on another host: connect here; fields:
			 * the endpoint, this host's public key. Not final: the HELLO answers
			 * a create, REP_OK after it an expect */
	REP_ADOPTED = 6,	/* OP_EXPECT of a node that waits there as an orphan (MSG_ORPHAN): it
				 * is a child there now; no HELLO follows */
	REP_MAX = 6,
};

/* A decoded message; pointers point into the frame it was decoded from. */
struct msg {
	uint8_t type;
	uint8_t code;
	uint8_t flags;
	uint32_t req;
	int32_t id;
	uint16_t npath;
	const unsigned char *path;
	const char *body;
	size_t body_len;
};

/* 0, or -1 when the frame is not a well-formed message of this version. */
int proto_decode(const void *data, size_t size, struct msg *m);
int32_t proto_path_at(const struct msg *m, size_t i);
/* The hop after `self` on a REQ's path: 0 with *next set; -1 if self is not on the path
 * before its end. */
int proto_next_hop(const struct msg *m, int32_t self, int32_t *next);

/* Receiving. Reads one message (routing frame first when from a ROUTER: *from gets the
 * sender's id) into msg, which the caller closes, and decodes it into m. Returns 0, 1 when
 * nothing is waiting, or -1 when what came was malformed (it is drained and dropped) or the
 * socket failed. */
int proto_recv(void *sock, int routed, int32_t *from, zmq_msg_t *msg, struct msg *m);
/* Every peer's loop reads through this: hands each well-formed message waiting on sock to
 * fn, at most max of them, and closes it after (fn may have forwarded it). from is the
 * sender's id when routed. fn returns false to stop reading for now. Returns how many were
 * read. */
typedef bool proto_handler(void *arg, int32_t from, zmq_msg_t *msg, const struct msg *m);
size_t proto_recv_each(void *sock, int routed, size_t max, proto_handler *fn, void *arg);

/* Sending. `to` is the routing id of a ROUTER's peer, or PROTO_NO_ROUTE. All sends are
 * non-blocking. Return 0, or -1 with errno (EHOSTUNREACH: that peer is not connected). */
int proto_forward(void *sock, int32_t to, zmq_msg_t *msg);	/* msg is empty once sent */
int proto_send_req(void *sock, int32_t to, uint32_t req, uint8_t op, uint8_t flags,
		   const int32_t *path, size_t npath, const void *body, size_t body_len);
int proto_send_rep(void *sock, uint32_t req, int32_t id, uint8_t code, const void *body,
		   size_t body_len);
int proto_send_hello(void *sock, int32_t id, pid_t pid, const char *endpoint);
int proto_send_lost(void *sock, int32_t id, pid_t pid, int32_t parent);
int proto_send_orphan(void *sock, int32_t id, pid_t pid, int32_t at);
int proto_send_bye(void *sock, int32_t id);
int proto_send_probe(void *sock, int32_t to);
int proto_send_exit(void *sock, int32_t to);
int proto_send_beat(void *sock, int32_t from, const int32_t *ids, size_t n);
int proto_send_period(void *sock, int32_t to, int32_t ms);
int proto_send_kill(void *sock, int32_t to, int32_t id, pid_t pid);	/* to an agent */

/* A body of text fields, each ended by a NUL (MSG_JOIN, MSG_SPAWN, REP_LISTEN, OP_MOVE):
 * its length, 0 when they do not fit. */
size_t proto_fields_body(char out[PROTO_FIELDS_MAX], const char *const *fields, size_t n);
/* A message whose body is such fields. */
int proto_send_fields(void *sock, int32_t to, uint8_t type, uint8_t code, uint32_t req,
		      int32_t id, const char *const *fields, size_t n);

/* Bodies. Readers return 0, or -1 when the body is malformed. */
int proto_read_hello(const struct msg *m, pid_t *pid, char *endpoint, size_t size);
int proto_read_i32(const struct msg *m, int32_t *value);	/* OP_ABORT, REP_SPAWNED, MSG_KILL */
/* Exactly n fields: copied into buf (PROTO_FIELDS_MAX bytes), fields[i] pointing there. */
int proto_read_fields(const struct msg *m, char *buf, const char **fields, size_t n);
/* OP_CREATE and OP_EXPECT bodies; key is "" for a node on the sender's host, else the
 * PROTO_KEY_LEN characters of its host's key. Builders return the body's length. */
#define PROTO_MOVER_MAX (8 + PROTO_KEY_LEN)
size_t proto_create_body(unsigned char out[PROTO_MOVER_MAX], int32_t id, const char *key);
size_t proto_expect_body(unsigned char out[PROTO_MOVER_MAX], int32_t id, pid_t pid,
			 const char *key);
int proto_read_create(const struct msg *m, int32_t *id, char key[PROTO_KEY_LEN + 1]);
int proto_read_expect(const struct msg *m, int32_t *id, pid_t *pid,
		      char key[PROTO_KEY_LEN + 1]);
int proto_read_lost(const struct msg *m, pid_t *pid, int32_t *parent);	/* and MSG_ORPHAN */
void proto_put_i32(unsigned char out[4], int32_t value);
int proto_read_period(const struct msg *m, int32_t *ms);	/* MSG_PERIOD: ms >= 0 */
/* MSG_BEAT: how many ids (-1: malformed), and the i-th. */
long proto_beat_count(const struct msg *m);
int32_t proto_beat_id(const struct msg *m, size_t i);

void proto_route_id(int32_t id, unsigned char out[PROTO_ROUTE_LEN]);
int proto_route_parse(const void *data, size_t size, int32_t *id);

#endif
