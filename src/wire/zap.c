/* zap.c - the ZAP handler a process's loop runs, and CURVE socket options (see zap.h).
 *
 * A request (RFC 27) is: version "1.0", request id, domain, address, routing id, mechanism,
 * then the mechanism's credentials: for CURVE one frame, the client's 32-byte public key.
 * The reply is: version, request id, status code, status text, user id, metadata.
 *
 * The REP socket allows nothing but recv, send, recv, send: so every request is read to its
 * last frame and answered exactly once, even one that makes no sense.
 */
#include "zap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Declared in zmq.h only with the draft API; libzmq 4.3 takes it all the same. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define ZAP_FRAMES 7		/* of a CURVE request */
#define ZAP_TEXT_MAX 256	/* bytes of a domain or an address, its NUL included */

struct zap {
	void *sock;
	zap_allow_fn *allow;
	void *arg;
};

struct request {
	zmq_msg_t part[ZAP_FRAMES];
	size_t n;		/* frames kept, at most ZAP_FRAMES */
	bool extra;		/* there were more */
};

struct zap *zap_open(void *ctx, zap_allow_fn *allow, void *arg)
{
	struct zap *z = calloc(1, sizeof *z);
	int zero = 0;
	if (!z)
		return NULL;
	z->allow = allow;
	z->arg = arg;
	z->sock = zmq_socket(ctx, ZMQ_REP);
	/* No high-water mark: a reply is never refused for a full queue halfway through, which
	 * would leave the REP socket unable to answer again. */
	if (!z->sock || zmq_setsockopt(z->sock, ZMQ_LINGER, &zero, sizeof zero) ||
	    zmq_setsockopt(z->sock, ZMQ_SNDHWM, &zero, sizeof zero) ||
	    zmq_setsockopt(z->sock, ZMQ_RCVHWM, &zero, sizeof zero) ||
	    zmq_bind(z->sock, ZAP_ENDPOINT)) {
		int saved = errno;
		zap_close(&z);
		errno = saved;
		return NULL;
	}
	return z;
}

void *zap_socket(struct zap *z)
{
	return z->sock;
}

void zap_close(struct zap **z)
{
	if (!*z)
		return;
	/* zmq_close frees the endpoint later, from the reaper thread; an unbind frees it now,
	 * so that a new handler can be bound at once. */
	if ((*z)->sock) {
		zmq_unbind((*z)->sock, ZAP_ENDPOINT);
		zmq_close((*z)->sock);
	}
	free(*z);
	*z = NULL;
}

static void request_free(struct request *r)
{
	for (size_t i = 0; i < r->n; i++)
		zmq_msg_close(&r->part[i]);
	r->n = 0;
}

/* Reads one whole request: 1, 0 when none is waiting, -1 when the socket failed. */
static int request_read(void *sock, struct request *r)
{
	zmq_msg_t skip;
	bool more;
	r->n = 0;
	r->extra = false;
	/* A message's frames arrive together: once the first is read, the rest is there. */
	do {
		zmq_msg_t *m = r->n < ZAP_FRAMES ? &r->part[r->n] : &skip;
		zmq_msg_init(m);
		if (zmq_msg_recv(m, sock, ZMQ_DONTWAIT) < 0) {
			int none = r->n == 0 && errno == EAGAIN, saved = errno;
			zmq_msg_close(m);
			request_free(r);
			errno = saved;
			return none ? 0 : -1;
		}
		more = zmq_msg_more(m);
		if (m == &skip) {
			zmq_msg_close(m);
			r->extra = true;
		} else {
			r->n++;
		}
	} while (more);
	return 1;
}

static bool frame_is(zmq_msg_t *m, const char *text)
{
	size_t len = strlen(text);
	return zmq_msg_size(m) == len && memcmp(zmq_msg_data(m), text, len) == 0;
}

/* A frame as a string: false when it is too long or holds a NUL. */
static bool frame_text(zmq_msg_t *m, char out[ZAP_TEXT_MAX])
{
	size_t len = zmq_msg_size(m);
	if (len >= ZAP_TEXT_MAX || memchr(zmq_msg_data(m), '\0', len))
		return false;
	memcpy(out, zmq_msg_data(m), len);
	out[len] = '\0';
	return true;
}

/* The user id for a request, copied to uid (allow() may return one of the strings it was
 * given, which live here only), or NULL (refused); *malformed tells why it was refused. */
static const char *judge(struct zap *z, struct request *r, bool *malformed,
			 char uid[ZAP_TEXT_MAX])
{
	char domain[ZAP_TEXT_MAX], address[ZAP_TEXT_MAX], key[KEYS_Z85];
	zmq_msg_t *p = r->part;
	*malformed = true;
	/* NULL requests come from a socket with a ZAP domain and no security: no key to judge
	 * by, so refused with the rest. */
	if (r->extra || r->n != ZAP_FRAMES || !frame_is(&p[0], "1.0") ||
	    !frame_is(&p[5], "CURVE") || zmq_msg_size(&p[6]) != 32 ||
	    !frame_text(&p[2], domain) || !frame_text(&p[3], address))
		return NULL;
	*malformed = false;
	keys_bin_to_z85(zmq_msg_data(&p[6]), key);
	const char *user = z->allow(z->arg, domain, address, key);
	if (!user)
		return NULL;
	snprintf(uid, ZAP_TEXT_MAX, "%s", user);
	return uid;
}

static int send_part(void *sock, const void *data, size_t len, bool more)
{
	int flags = ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0);
	return zmq_send(sock, data, len, flags) < 0 ? -1 : 0;
}

static int reply(struct zap *z, struct request *r)
{
	bool malformed;
	char user[ZAP_TEXT_MAX];
	const char *uid = judge(z, r, &malformed, user);
	const char *code = uid ? "200" : "400";
	const char *text = uid ? "OK" : malformed ? "Malformed request" : "Not allowed";
	const void *id = r->n > 1 ? zmq_msg_data(&r->part[1]) : "";
	size_t id_len = r->n > 1 ? zmq_msg_size(&r->part[1]) : 0;
	if (!uid)
		uid = "";
	if (send_part(z->sock, "1.0", 3, true) || send_part(z->sock, id, id_len, true) ||
	    send_part(z->sock, code, 3, true) || send_part(z->sock, text, strlen(text), true) ||
	    send_part(z->sock, uid, strlen(uid), true) || send_part(z->sock, "", 0, false))
		return -1;
	return 0;
}

int zap_handle(struct zap *z)
{
	struct request r;
	int n = 0, rc;
	while ((rc = request_read(z->sock, &r)) == 1) {
		rc = reply(z, &r);
		request_free(&r);
		if (rc != 0)
			return -1;
		n++;
	}
	return rc < 0 ? -1 : n;
}

int zap_curve_server(void *sock, const struct keypair *kp, const char *domain)
{
	int one = 1, value = 0;
	size_t size = sizeof value;
	if (!domain || !*domain || keys_z85_to_bin(kp->sec, NULL) != 0) {
		errno = EINVAL;
		return -1;
	}
	/* Without it, no handler bound would mean every CURVE client is let in. */
	if (zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0 ||
	    zmq_getsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &value, &size) != 0 || value != 1) {
		if (errno == EINVAL || value != 1)
			errno = ENOTSUP;
		return -1;
	}
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, kp->sec, KEYS_Z85 - 1) != 0 ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0)
		return -1;
	return 0;
}

int zap_curve_client(void *sock, const struct keypair *kp, const char *server_pub_z85)
{
	if (keys_z85_to_bin(server_pub_z85, NULL) != 0 || keys_z85_to_bin(kp->pub, NULL) != 0 ||
	    keys_z85_to_bin(kp->sec, NULL) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_pub_z85, KEYS_Z85 - 1) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, kp->pub, KEYS_Z85 - 1) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, kp->sec, KEYS_Z85 - 1) != 0)
		return -1;
	return 0;
}
