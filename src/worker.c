/* worker.c - exec work off the node's loop, so routing, pings and beats never wait behind a
 * sum of 10^8 numbers. The loop hands each OP_EXEC piece over an inproc PAIR (zero copy); the
 * worker answers REP_CREDIT for every piece but the last, and the result for the last. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

#include "log.h"
#include "node.h"
#include "proto.h"

struct worker {
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

int worker_start(struct node *n)
{
	char addr[64];
	int zero = 0;
	snprintf(addr, sizeof addr, WORKER_ENDPOINT_FMT, (int)n->id);
	struct worker *w = calloc(1, sizeof *w);
	if (!w)
		return -1;
	w->set = n->set;
	w->id = n->id;
	w->state = n->set->state_new(clock_ms);
	n->work = zmq_socket(n->ctx, ZMQ_PAIR);
	w->sock = zmq_socket(n->ctx, ZMQ_PAIR);
	if (!w->state || !n->work || !w->sock)
		goto fail;
	zmq_setsockopt(n->work, ZMQ_SNDHWM, &zero, sizeof zero);
	zmq_setsockopt(n->work, ZMQ_RCVHWM, &zero, sizeof zero);
	zmq_setsockopt(w->sock, ZMQ_SNDHWM, &zero, sizeof zero);
	zmq_setsockopt(w->sock, ZMQ_RCVHWM, &zero, sizeof zero);
	if (zmq_bind(n->work, addr) < 0 || zmq_connect(w->sock, addr) < 0)
		goto fail;
	if (pthread_create(&n->thread, NULL, worker_main, w) != 0)
		goto fail;
	n->worker = w;
	n->worker_started = true;
	return 0;
fail:
	link_close(&w->sock);
	link_close(&n->work);
	if (w->state)
		w->set->state_destroy(w->state);
	free(w);
	return -1;
}

/* Called after zmq_ctx_shutdown: the worker's receive fails with ETERM and it ends. */
void worker_stop(struct node *n)
{
	struct worker *w = n->worker;
	if (n->worker_started)
		pthread_join(n->thread, NULL);
	n->worker_started = false;
	if (w) {
		w->set->state_destroy(w->state);
		buf_free(&w->out);
		free(w);
		n->worker = NULL;
	}
}
