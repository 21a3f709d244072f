/* worker.c - exec work off the node's loop, so routing, pings and beats never wait behind a
 * sum of 10^8 numbers. The loop hands each OP_EXEC piece over an inproc PAIR (zero copy); the
 * worker answers REP_CREDIT for every piece but the last, and the result for the last. */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

#include "buf.h"
#include "clock.h"
#include "cmdset.h"
#include "link.h"
#include "proto.h"

struct worker {
	pthread_t thread;
	void *sock;
	const struct cmdset *set;
	void *state;
	int32_t id;
	struct buf out;
};

void worker_piece(struct worker *w, const struct msg *m, void *sock)
{
	if (m->flags & EXEC_FIRST)
		w->set->begin(w->state);
	if (m->body_len)
		w->set->feed(w->state, m->body, m->body_len);
	if (!(m->flags & EXEC_LAST)) {
		proto_send_rep(sock, m->req, w->id, REP_CREDIT, NULL, 0);
		return;
	}
	buf_reset(&w->out);
	int rc = w->set->end(w->state, &w->out);
	proto_send_rep(sock, m->req, w->id, rc == CMDSET_OK ? REP_OK : REP_ERR, w->out.data,
		       w->out.len);
	if (w->out.cap > (1u << 20))
		buf_free(&w->out);	/* an idle node does not keep a huge answer's buffer */
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	zmq_msg_t msg;
	struct msg m;
	zmq_msg_init(&msg);
	for (;;) {
		if (zmq_msg_recv(&msg, w->sock, 0) < 0) {
			if (errno == EINTR)
				continue;
			break;	/* ETERM: the node is ending */
		}
		if (proto_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &m) == 0 &&
		    m.type == MSG_REQ && m.code == OP_EXEC)
			worker_piece(w, &m, w->sock);
	}
	zmq_msg_close(&msg);
	link_close(&w->sock);
	return NULL;
}

struct worker *worker_new(void *ctx, int32_t id, const struct cmdset *set, void **loop_sock)
{
	char addr[64];
	int zero = 0;
	snprintf(addr, sizeof addr, WORKER_ENDPOINT_FMT, (int)id);
	struct worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->set = set;
	w->id = id;
	w->state = set->state_new(clock_ms);
	*loop_sock = zmq_socket(ctx, ZMQ_PAIR);
	w->sock = zmq_socket(ctx, ZMQ_PAIR);
	if (!w->state || !*loop_sock || !w->sock)
		goto fail;
	zmq_setsockopt(*loop_sock, ZMQ_SNDHWM, &zero, sizeof zero);
	zmq_setsockopt(*loop_sock, ZMQ_RCVHWM, &zero, sizeof zero);
	zmq_setsockopt(w->sock, ZMQ_SNDHWM, &zero, sizeof zero);
	zmq_setsockopt(w->sock, ZMQ_RCVHWM, &zero, sizeof zero);
	if (zmq_bind(*loop_sock, addr) < 0 || zmq_connect(w->sock, addr) < 0)
		goto fail;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		goto fail;
	return w;
fail:
	link_close(&w->sock);
	link_close(loop_sock);
	if (w->state)
		w->set->state_destroy(w->state);
	free(w);
	return NULL;
}

void worker_destroy(struct worker **wp)
{
	struct worker *w = *wp;
	if (!w)
		return;
	pthread_join(w->thread, NULL);
	w->set->state_destroy(w->state);
	buf_free(&w->out);
	free(w);
	*wp = NULL;
}
