/* set_timer.c - `exec ID start|stop|time`: a stopwatch per node (README "Command sets").
 *
 * Time comes from the injected clock, so tests can drive it; the total is kept in whole
 * milliseconds of that monotonic clock, summed over every interval the timer ran.
 */
#include "cmdset.h"

#include <stdlib.h>
#include <string.h>

#include "token.h"

enum timer_cmd { TIMER_NONE, TIMER_START, TIMER_STOP, TIMER_TIME };

struct timer {
	clock_ms_fn now;
	int64_t total;		/* ms of finished intervals */
	int64_t since;		/* start of the running interval */
	int running;
	/* the request */
	struct token_split split;
	enum timer_cmd cmd;
	struct token_err err;
};

static void timer_begin(void *state)
{
	struct timer *t = state;
	token_split_reset(&t->split);
	t->cmd = TIMER_NONE;
	token_err_reset(&t->err);
}

static void *timer_state_new(clock_ms_fn now)
{
	struct timer *t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	t->now = now;
	t->total = 0;
	t->since = 0;
	t->running = 0;
	timer_begin(t);
	return t;
}

static void timer_state_destroy(void *state)
{
	free(state);
}

static void timer_token(void *ctx, const struct token *tok, size_t index)
{
	static const char *const words[] = {
		[TIMER_START] = "start", [TIMER_STOP] = "stop", [TIMER_TIME] = "time",
	};
	struct timer *t = ctx;
	if (index > 0)
		return;
	for (int i = TIMER_START; i <= TIMER_TIME; i++) {
		if (tok->len == strlen(words[i]) && memcmp(tok->text, words[i], tok->len) == 0) {
			t->cmd = (enum timer_cmd)i;
			return;
		}
	}
	token_err_set(&t->err, "Unknown timer command", tok->text, tok->len);
}

static void timer_feed(void *state, const char *data, size_t len)
{
	struct timer *t = state;
	token_split_feed(&t->split, data, len, timer_token, t);
}

static int timer_end(void *state, struct buf *out)
{
	struct timer *t = state;
	int r = CMDSET_ERR, fail = 0;
	token_split_end(&t->split, timer_token, t);
	buf_reset(out);
	if (t->split.count != 1) {
		fail = buf_puts(out, "Expected start, stop or time");
	} else if (t->err.what) {
		fail = token_err_write(&t->err, out);
	} else {
		int64_t now = t->now();
		r = CMDSET_OK;
		if (t->cmd == TIMER_START && !t->running) {
			t->running = 1;
			t->since = now;
		} else if (t->cmd == TIMER_STOP && t->running) {
			t->running = 0;
			t->total += now - t->since;
		} else if (t->cmd == TIMER_TIME) {
			fail = token_put_i128(out, t->total + (t->running ? now - t->since : 0));
		}
	}
	timer_begin(t);
	if (fail < 0) {
		token_oom(out);
		return CMDSET_ERR;
	}
	return r;
}

/* Running (1 byte) and the time so far (8 bytes): no time of one host's clock, so a state
 * saved on one host loads on another. A running timer goes on from the moment it is loaded:
 * saved when it is given back (from a copy kept running), it counts the time its node was
 * away, as if it had never stopped. */
static int timer_save(const void *state, struct buf *out)
{
	const struct timer *t = state;
	int64_t so_far = t->total + (t->running ? t->now() - t->since : 0);
	return buf_put_le(out, (uint64_t)t->running, 1) < 0 ||
	       buf_put_le(out, (uint64_t)so_far, 8) < 0 ? -1 : 0;
}

static int timer_load(void *state, const char *data, size_t len)
{
	struct timer *t = state;
	size_t pos = 0;
	uint64_t running, so_far;
	if (buf_get_le(data, len, &pos, 1, &running) < 0 || running > 1 ||
	    buf_get_le(data, len, &pos, 8, &so_far) < 0 || (int64_t)so_far < 0 || pos != len)
		return CMDSET_ERR;
	t->running = (int)running;
	t->total = (int64_t)so_far;
	t->since = running ? t->now() : 0;
	return CMDSET_OK;
}

const struct cmdset cmdset_timer = {
	.name = "timer",
	.usage = "exec ID start|stop|time",
	.bare_lines = 0,
	.state_new = timer_state_new,
	.state_destroy = timer_state_destroy,
	.begin = timer_begin,
	.feed = timer_feed,
	.end = timer_end,
	.save = timer_save,
	.load = timer_load,
};
