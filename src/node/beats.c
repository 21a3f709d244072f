/* beats.c - a node's heartbit reports, batched per hop without adding up over depth: a batch
 * waits only if one went up less than a gap ago, so reports that arrive together from below
 * travel on at once. */
#include "beats.h"

#include "log.h"
#include "proto.h"

static int64_t gap(const struct beats *b)
{
	return b->ms >= 16 ? b->ms / 16 : 1;
}

void beats_set_period(struct beats *b, int32_t ms, int64_t now)
{
	b->ms = ms > 0 ? ms : 0;
	buf_reset(&b->pending);
	if (b->ms)
		b->next = (now / b->ms + 1) * b->ms;
}

void beats_add(struct beats *b, const int32_t *ids, size_t count)
{
	if (b->ms && buf_append(&b->pending, ids, count * sizeof *ids) < 0)
		log_fatal("out of memory");
}

int64_t beats_due(struct beats *b, int32_t self, void *up, int64_t now)
{
	if (!b->ms)
		return INT64_MAX;
	if (now >= b->next) {
		beats_add(b, &self, 1);
		b->next = (now / b->ms + 1) * b->ms;
	}
	if (b->pending.len && now - b->sent >= gap(b)) {
		proto_send_beat(up, self, (const int32_t *)(void *)b->pending.data,
				b->pending.len / sizeof(int32_t));
		buf_reset(&b->pending);
		b->sent = now;
	}
	int64_t wake = b->next;
	if (b->pending.len && b->sent + gap(b) < wake)
		wake = b->sent + gap(b);
	return wake;
}

void beats_free(struct beats *b)
{
	buf_free(&b->pending);
}
