/* requests_exec.c - exec: the arguments streamed to the node in pieces as they are read, within a
 * credit window, and the answer. */
#include "requests.h"
#include "requests_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heartbit.h"
#include "log.h"
#include "topo.h"

#define EXEC_PIECE (64 * 1024)		/* bytes of exec arguments per message */
#define EXEC_WINDOW 8			/* pieces in flight before a credit comes back */
#define EXEC_STAGE_MAX (1024 * 1024)	/* bytes held before input reading pauses */

/* Sends what it can of an exec: pieces of EXEC_PIECE bytes within the credit window. */
void requests_exec_pump(struct requests *rq, struct req *r)
{
	while (!r->done && r->inflight < EXEC_WINDOW) {
		size_t avail = r->stage.len - r->stage_off;
		if (avail < EXEC_PIECE && !r->ended)
			break;
		size_t n = avail < EXEC_PIECE ? avail : EXEC_PIECE;
		uint8_t flags = (r->started ? 0 : EXEC_FIRST) |
				(r->ended && n == avail ? EXEC_LAST : 0);
		if (!r->started) {
			struct nodeq *q = r->q;
			if (q->outstanding++ == 0) {
				q->quiet_since = requests_now(rq);
				reqlist_busy(&rq->l, q, true);
			}
		}
		r->started = true;
		if (requests_send_or_fail(rq, r, OP_EXEC, flags, r->stage.data + r->stage_off, n) <
		    0)
			return;
		r->stage_off += n;
		if (flags & EXEC_LAST) {
			r->sent = true;
			buf_free(&r->stage);
			r->stage_off = 0;
			return;
		}
		r->inflight++;
	}
	if (r->stage_off > EXEC_STAGE_MAX / 2) {	/* keep the stage from creeping */
		memmove(r->stage.data, r->stage.data + r->stage_off, r->stage.len - r->stage_off);
		r->stage.len -= r->stage_off;
		r->stage_off = 0;
	}
}

uint32_t requests_exec_begin(struct requests *rq, int32_t id)
{
	struct topo_node *n = topo_get(rq->topo, id);
	if (!n) {
		requests_printf(rq, "Error:%d: Not found", (int)id);
		return 0;
	}
	struct req *r = reqlist_new_req(&rq->l, RK_EXEC, id);
	uint32_t rid = r->id;
	requests_submit(rq, r, n);
	return rid;
}

void requests_exec_feed(struct requests *rq, uint32_t req, const char *data, size_t len)
{
	struct req *r = reqlist_get(&rq->l, req);
	if (!r || r->ended)
		return;
	if (buf_append(&r->stage, data, len) < 0)
		log_fatal("out of memory");
	if (r->q->send == r)
		requests_pump(rq, r->q);
}

void requests_exec_end(struct requests *rq, uint32_t req)
{
	struct req *r = reqlist_get(&rq->l, req);
	if (!r || r->ended)
		return;
	r->ended = true;
	requests_pump(rq, r->q);
}

bool requests_exec_can_feed(struct requests *rq, uint32_t req)
{
	struct req *r = reqlist_get(&rq->l, req);
	return !r || r->stage.len - r->stage_off < EXEC_STAGE_MAX;
}

void requests_exec_answer(struct requests *rq, struct req *r, const struct msg *m)
{
	switch (m->code) {
	case REP_CREDIT:
		if (r->inflight)
			r->inflight--;
		if (r->q->send == r)
			requests_pump(rq, r->q);
		return;
	case REP_UNAVAIL:
		log_debug("request %u to %d: a hop could not reach it", r->id, (int)r->node);
		requests_finish_unavailable(rq, r);
		return;
	}
	/* Results can be long (search positions): built without a fixed-size buffer. */
	buf_reset(&r->line);
	buf_printf(&r->line, m->code == REP_OK ? "Ok:%d" : "Error:%d", (int)r->node);
	if (m->body_len || m->code != REP_OK) {
		buf_puts(&r->line, ": ");
		buf_escape(&r->line, m->body, m->body_len);	/* one answer, one line */
	}
	requests_finish_line(rq, r);
}
