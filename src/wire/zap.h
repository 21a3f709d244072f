/* zap.h - who may connect: a ZAP handler (RFC 27) for CURVE, run by a process's own poll
 * loop, and the socket options for CURVE servers and clients.
 *
 * libzmq asks the REP socket bound on inproc://zeromq.zap.01 in the socket's context about
 * every CURVE handshake on a socket with a ZAP domain; the handshake completes only on a "200"
 * answer, and every message received over that connection then carries the answer's user id
 * (zmq_msg_gets(msg, "User-Id")). The handler is not a thread: the loop polls zap_socket()
 * and calls zap_handle(), so allow() runs in the loop and may read its state. A handshake
 * waits while the loop does not answer (ZMQ_HANDSHAKE_IVL ends it).
 *
 * Security options are taken at zmq_bind and zmq_connect time, one endpoint at a time: a
 * ROUTER may bind an ipc:// endpoint with no security, then call zap_curve_server and bind a
 * tcp:// endpoint that only CURVE clients allowed by the handler can use.
 *
 * Without a handler bound, libzmq would let any CURVE client that knows the server's public
 * key in (encryption without authentication). zap_curve_server sets ZMQ_ZAP_ENFORCE_DOMAIN,
 * which turns that into a refusal; zmq.h declares it only with the draft API, but the
 * library takes it, and zap_curve_server fails when it does not.
 */
#ifndef MQTREE_ZAP_H
#define MQTREE_ZAP_H

#include "keys.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

/* The user id for a client (non-NULL: allowed, answered "200"), or NULL: refused ("400").
 * client_key_z85 is the client's CURVE public key; address its peer address (an IP for
 * tcp://). The string returned need only live until the call returns. */
typedef const char *zap_allow_fn(void *arg, const char *domain, const char *address,
				 const char *client_key_z85);

struct zap;

/* Binds the handler of ctx's sockets; one a context. NULL with errno (EADDRINUSE: ctx
 * already has one). */
struct zap *zap_open(void *ctx, zap_allow_fn *allow, void *arg);
void *zap_socket(struct zap *z);	/* for zmq_poll: ZMQ_POLLIN means requests wait */
/* Answers every request waiting, without blocking: how many, or -1 with errno when the
 * socket fails. Requests that are not well-formed CURVE requests of version 1.0 are refused,
 * and so are NULL mechanism ones (a socket with a ZAP domain and no security): a client
 * without a key is never let in. */
int zap_handle(struct zap *z);
/* Unbinds at once (handshakes from then on are refused) and sets *z to NULL. */
void zap_close(struct zap **z);

/* Makes sock a CURVE server with kp's secret key, its clients checked by the handler under
 * domain (not empty), and refused when there is no handler. For the endpoints bound after.
 * 0, or -1 with errno (ENOTSUP: this libzmq cannot refuse clients when no handler is bound). */
int zap_curve_server(void *sock, const struct keypair *kp, const char *domain);
/* Makes sock a CURVE client with key pair kp, of the server with public key server_pub_z85.
 * For the endpoints connected after. 0, or -1 with errno. */
int zap_curve_client(void *sock, const struct keypair *kp, const char *server_pub_z85);

#endif
