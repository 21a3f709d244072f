/* The console reading a stream (not a terminal): lines handed on one at a time, an exec's
 * arguments streamed in pieces however long its line, a line that must wait held until it
 * may run, end of input. Standard input is a pipe the test writes to; the console's ops are
 * recorded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "console.h"

static struct buf calls;
static size_t fed;		/* bytes of exec arguments taken */
static bool busy;		/* `create` lines must wait */
static bool full;		/* the exec takes no more for now */

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&calls, fmt, ap);
	va_end(ap);
	buf_puts(&calls, "\n");
}

static bool on_line(void *arg, const char *line, size_t len, bool complete, uint32_t *stream,
		    int *extra)
{
	(void)arg;
	note("line [%.*s]%s", (int)(len > 40 ? 40 : len), line, complete ? "" : " head");
	if (len >= 4 && memcmp(line, "exec", 4) == 0) {
		*stream = 9;
		*extra = len >= 6 && memcmp(line, "exec 2", 6) == 0 ? 1 : 0;	/* joins a line */
		return true;
	}
	return false;
}

static bool waits(void *arg, const char *line, size_t len)
{
	(void)arg;
	return busy && len >= 6 && memcmp(line, "create", 6) == 0;
}

static void feed(void *arg, uint32_t req, const char *data, size_t len)
{
	(void)arg;
	assert_int_equal(req, 9);
	if (fed < 64)	/* the first bytes only: lines can be long */
		note("feed [%.*s]", (int)(len > 20 ? 20 : len), data);
	fed += len;
}

static void end(void *arg, uint32_t req)
{
	(void)arg;
	note("end %u", req);
}

static bool can_feed(void *arg, uint32_t req)
{
	(void)arg;
	(void)req;
	return !full;
}

static void eof(void *arg)
{
	(void)arg;
	note("eof");
}

static const struct console_ops ops = { on_line, waits, feed, end, can_feed, eof, NULL };
static int wfd = -1;

/* A console reading from a fresh pipe; wfd is its other end. */
static struct console *start(void)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	wfd = p[1];
	buf_reset(&calls);
	fed = 0;
	busy = full = false;
	struct console *con = console_new(false, "banner", &ops);
	assert_non_null(con);
	return con;
}

static void put(const char *text)
{
	size_t n = strlen(text);
	assert_int_equal(write(wfd, text, n), (ssize_t)n);
}

static void close_input(void)
{
	close(wfd);
	wfd = -1;
}

/* Reads until the console has seen end of input (or stops asking). */
static void drain(struct console *con)
{
	for (int i = 0; i < 10000 && console_wants_input(con); i++)
		console_read(con);
}

static const char *recorded(void)
{
	return calls.data ? calls.data : "";
}

static void test_lines_in_order(void **state)
{
	(void)state;
	struct console *con = start();
	put("ping 1\n   \t  pingall\n\nkill 3");	/* the last line has no newline */
	close_input();
	drain(con);
	assert_string_equal(recorded(), "line [ping 1]\nline [pingall]\nline []\nline [kill 3]\n"
					"eof\n");
	console_destroy(&con);
}

static void test_exec_streams_its_line(void **state)
{
	(void)state;
	struct console *con = start();
	put("exec 1 3 1 2 3\nexec 2 abab\nab\nping 1\n");
	close_input();
	drain(con);
	assert_string_equal(recorded(), "line [exec 1 3 1 2 3]\nend 9\n"
					"line [exec 2 abab]\nfeed [\n]\nfeed [ab]\nend 9\n"
					"line [ping 1]\neof\n");
	console_destroy(&con);
}

/* A line far longer than the console holds: its head is read as the command, the rest is
 * streamed as it comes, and the next line is a line again. */
static void test_long_exec_line(void **state)
{
	(void)state;
	struct console *con = start();
	char *big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, '7', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	put("exec 5 ");
	size_t total = 7;
	for (int i = 0; i < 4; i++) {	/* 4 MiB, written as the console reads */
		size_t off = 0, n = strlen(big);
		while (off < n) {
			ssize_t w = write(wfd, big + off, n - off > 16384 ? 16384 : n - off);
			assert_true(w > 0);
			off += (size_t)w;
			console_read(con);
		}
		total += n;
	}
	put("\nping 5\n");
	close_input();
	drain(con);
	assert_int_equal(fed + 4096, total);	/* all but the head */
	assert_non_null(strstr(recorded(), "line [exec 5 777"));
	assert_non_null(strstr(recorded(), " head\n"));
	assert_non_null(strstr(recorded(), "end 9\nline [ping 5]\neof\n"));
	free(big);
	console_destroy(&con);
}

/* A line that must wait is held, with everything after it, until it may run. */
static void test_waiting_line_is_held(void **state)
{
	(void)state;
	struct console *con = start();
	busy = true;
	put("ping 1\ncreate 4 1\nping 2\n");
	console_read(con);
	assert_string_equal(recorded(), "line [ping 1]\n");
	assert_false(console_wants_input(con));
	console_resume(con);
	assert_string_equal(recorded(), "line [ping 1]\n");
	busy = false;
	console_resume(con);
	assert_string_equal(recorded(), "line [ping 1]\nline [create 4 1]\nline [ping 2]\n");
	close_input();
	drain(con);
	console_destroy(&con);
}

/* While the exec takes no more, nothing more is read. */
static void test_exec_credit_pauses_input(void **state)
{
	(void)state;
	struct console *con = start();
	char head[6001];
	memset(head, '1', sizeof head - 1);
	head[sizeof head - 1] = '\0';
	put("exec 1 ");
	put(head);	/* longer than a line's head: streaming has begun */
	console_read(con);
	assert_non_null(strstr(recorded(), " head\n"));
	full = true;
	put("1 2 3\nping 1\n");
	console_read(con);
	assert_false(console_wants_input(con));
	assert_null(strstr(recorded(), "ping"));
	full = false;
	console_resume(con);
	assert_non_null(strstr(recorded(), "end 9\nline [ping 1]\n"));
	close_input();
	drain(con);
	console_destroy(&con);
}

static int teardown(void **state)
{
	(void)state;
	buf_free(&calls);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_in_order),
		cmocka_unit_test(test_exec_streams_its_line),
		cmocka_unit_test(test_long_exec_line),
		cmocka_unit_test(test_waiting_line_is_held),
		cmocka_unit_test(test_exec_credit_pauses_input),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
