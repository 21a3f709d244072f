/* requests_live.c - liveness: ping and pingall, news of lost nodes and ended processes, and
 * silent nodes found by probes at --timeout. */
#include "requests.h"
#include "requests_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heartbit.h"
#include "idmap.h"
#include "log.h"
#include "topo.h"

struct find_pid {
	pid_t pid;
	struct topo_node *found;
};

struct pingall_walk {
	struct requests *rq;
	struct pingall *g;
};

void requests_ping(struct requests *rq, int32_t id)
{
	requests_node_request(rq, RK_PING, id);
}

static void pingall_one(struct topo_node *n, void *arg)
{
	struct pingall_walk *w = arg;
	struct req *r = reqlist_new_req(&w->rq->l, RK_PINGALL, n->id);
	r->group = w->g;
	w->g->waiting++;
	requests_submit(w->rq, r, n);
}

void requests_pingall(struct requests *rq)
{
	struct pingall *g = calloc(1, sizeof *g);
	if (!g)
		log_fatal("out of memory");
	g->waiting = 1;	/* held until every probe is out */
	g->tag = rq->l.tag;
	struct pingall_walk w = { rq, g };
	requests_walk_sorted(rq, pingall_one, &w);
	if (--g->waiting == 0)
		requests_pingall_done(rq, g);
}

void requests_pingall_done(struct requests *rq, struct pingall *g)
{
	size_t n = g->down.len / sizeof(int32_t);
	struct buf line = { 0 };
	buf_puts(&line, n ? "Ok: " : "Ok: -1");
	if (n)
		qsort(g->down.data, n, sizeof(int32_t), idmap_cmp_i32);
	for (size_t i = 0; i < n; i++) {
		int32_t id;
		memcpy(&id, g->down.data + i * sizeof id, sizeof id);
		buf_printf(&line, i ? ";%d" : "%d", (int)id);
	}
	requests_print(rq, g->tag, line.data, line.len);
	buf_free(&line);
	buf_free(&g->down);
	free(g);
}

void requests_heard(struct requests *rq, int32_t id)
{
	struct topo_node *n = topo_get(rq->topo, id);
	if (n && n->user)
		((struct nodeq *)n->user)->last_heard = requests_now(rq);
}

void requests_on_lost(struct requests *rq, int32_t id, pid_t pid)
{
	struct topo_node *n = topo_get(rq->topo, id);
	if (!n || n->state == NODE_LOST || (pid && n->pid != pid))
		return;	/* stale news of a node taken out (and maybe created again) */
	if (!pid && !n->pid && n->state == NODE_PENDING)
		return;	/* nobody has started it yet: news of a node of that id before it */
	log_debug("node %d lost", (int)id);
	if (requests_heal_lost(rq, n))
		return;
	struct walk w = { rq, LOST };
	requests_walk(rq, id, requests_lose_one, &w);
}

bool requests_may_report_lost(struct requests *rq, int32_t id, pid_t pid, int32_t parent)
{
	struct topo_node *n = topo_get(rq->topo, id);
	struct nodeq *q = n ? n->user : NULL;
	if (!n)
		return false;
	/* Its parent, the parent it is moving to, or (by the exit status of its process) the
	 * node that started it. */
	return n->parent == parent ||
	       (pid && pid == n->pid && q && q->spawner == parent);
}

static void match_pid(struct topo_node *n, void *arg)
{
	struct find_pid *f = arg;
	if (n->pid == f->pid && n->host == 0)	/* a pid of this host */
		f->found = n;
}

void requests_on_exit(struct requests *rq, pid_t pid, const char *why)
{
	/* One of the depth-1 nodes started here, or an orphan whose starter is gone: as a
	 * subreaper this process is then its parent. */
	struct find_pid f = { pid, NULL };
	requests_walk(rq, TOPO_ROOT, match_pid, &f);
	struct topo_node *n = f.found;
	if (!n)
		return;	/* taken out already */
	struct nodeq *q = n->user;
	struct req *r = q ? reqlist_get(&rq->l, q->create_req) : NULL;
	if (n->state == NODE_PENDING && r)
		requests_finish(rq, r, "Error: Cannot start node: %s", why);
	else
		requests_on_lost(rq, n->id, pid);
}

void requests_dropped(struct requests *rq, const char *what, int32_t id, int32_t from)
{
	rq->dropped++;
	log_debug("%s naming node %d on link %d: not from where it may come, dropped (%lu so far)",
		  what, (int)id, (int)from, rq->dropped);
}

static int64_t tick_period(struct requests *rq)
{
	int64_t p = rq->timeout_ms / 8;
	return p < 5 ? 5 : p;
}

static void fail_started_exec(struct req *r, void *arg)
{
	if (r->kind == RK_EXEC && r->started)
		requests_finish_unavailable(arg, r);
}

/* A node with execs outstanding and silent for a while gets a probe; silent for --timeout,
 * its requests fail. Being busy is not silence: the node's loop answers probes. */
static void check_busy(struct requests *rq, struct nodeq *q, int64_t now)
{
	int64_t since = q->last_heard > q->quiet_since ? q->last_heard : q->quiet_since;
	int64_t silent = now - since;
	if (silent >= rq->timeout_ms) {
		log_debug("node %d silent for %lld ms", (int)q->id, (long long)silent);
		requests_queue_each(rq, q, fail_started_exec, rq);
		return;
	}
	if (silent >= rq->timeout_ms / 2 &&
	    (!q->probe || now - q->probe_at >= rq->timeout_ms / 2)) {
		if (q->probe) {	/* lost on the way (a hop ended): forget it */
			struct req *old = reqlist_get(&rq->l, q->probe);
			q->probe = 0;
			if (old)
				requests_finish(rq, old, "%s", "");
		}
		q->probe_at = now;
		struct topo_node *n = topo_get(rq->topo, q->id);
		struct req *r = reqlist_new_req(&rq->l, RK_PROBE, q->id);
		reqlist_put(&rq->l, r);
		q->probe = r->id;
		r->sent = r->started = true;
		requests_deadline_set(rq, r);	/* its answer may never come: exit waits for it */
		if (n && requests_send(rq, r, OP_PING, 0, NULL, 0) == 0)
			return;
		q->probe = 0;
		requests_finish(rq, r, "%s", "");
	}
}

void requests_tick(struct requests *rq, int64_t now)
{
	if (rq->dying.len)
		requests_dying(rq, TOPO_NONE);
	while (TAILQ_FIRST(&rq->l.deadlines) && TAILQ_FIRST(&rq->l.deadlines)->deadline <= now) {
		struct req *r = TAILQ_FIRST(&rq->l.deadlines);
		struct topo_node *n = topo_get(rq->topo, r->node);
		if (r->kind == RK_CREATE && n && n->pid) {
			rq->ops.kill(rq->ops.arg, n->pid, n->id);
			requests_finish(rq, r, "Error: Cannot start node: no answer from it");
		} else {
			requests_finish_unavailable(rq, r);
		}
	}
	for (struct nodeq *q = TAILQ_FIRST(&rq->l.busy), *next; q; q = next) {
		next = TAILQ_NEXT(q, blink);
		check_busy(rq, q, now);
	}
	rq->next_tick = !TAILQ_EMPTY(&rq->l.busy) ? now + tick_period(rq) : INT64_MAX;
}

int64_t requests_next_wake(struct requests *rq)
{
	int64_t wake =
		TAILQ_FIRST(&rq->l.deadlines) ? TAILQ_FIRST(&rq->l.deadlines)->deadline : INT64_MAX;
	if (!TAILQ_EMPTY(&rq->l.busy) && rq->next_tick == INT64_MAX)
		rq->next_tick = requests_now(rq) + tick_period(rq);
	if (rq->dying.len)	/* until the links of ended nodes are seen closed */
		wake = requests_now(rq) + 5 < wake ? requests_now(rq) + 5 : wake;
	return rq->next_tick < wake ? rq->next_tick : wake;
}
