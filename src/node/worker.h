/* worker.h - a compute node's exec worker thread: runs exec requests one after another, off
 * the node's loop. */
#ifndef MQTREE_WORKER_H
#define MQTREE_WORKER_H

#define WORKER_ENDPOINT_FMT "inproc://worker-%d"
#define WORKER_INLINE_MAX 4096	/* a whole exec this small may run in the loop */

#include <stdint.h>

struct cmdset;
struct msg;
struct worker;

/* Starts the worker for node id; *loop_sock gets the loop's end of their PAIR. NULL on
 * failure. */
struct worker *worker_new(void *ctx, int32_t id, const struct cmdset *set, void **loop_sock);
/* After zmq_ctx_shutdown: the worker's receive fails with ETERM, it ends and is joined. */
void worker_destroy(struct worker **w);
/* Runs one OP_EXEC piece and sends its answer on sock. The loop may call it for a small
 * whole exec while the worker is idle (worker_busy == 0): the state is then not in use. */
void worker_piece(struct worker *w, const struct msg *m, void *sock);

#endif
