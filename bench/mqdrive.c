/* mqdrive.c - closed-loop driver for bench/bench.py: one command line at a time into a
 * running program's stdin, wait for its one answer line, repeat. Written in C so that the
 * driver adds as little as possible to the round trip being measured.
 *
 *   mqdrive lat WFD RFD COUNT WARMUP LINE EXPECT
 *       COUNT timed round trips (after WARMUP untimed ones) of LINE; every answer must equal
 *       EXPECT. Prints one line of statistics in microseconds.
 *   mqdrive kill WFD RFD PID LINE EXPECT
 *       kill -9 PID, then send LINE again and again, each after the previous answer, until an
 *       answer equals EXPECT. Prints the time from the kill to that answer.
 *
 * WFD is a pipe to the program's stdin, RFD a pipe from its stdout, both inherited from the
 * harness, which has read every earlier answer. Every answer is awaited with a deadline
 * (MQDRIVE_TIMEOUT_MS, default 10000): on a wrong answer or a missed deadline it says so on
 * stdout ("error ...") and exits 3, so the harness reports instead of hanging.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int wfd, rfd, timeout_ms = 10000;
static char rbuf[1 << 16];
static size_t rlen;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One line "error WHAT DETAIL" on stdout, and exit status 3. */
static void fail(const char *what, const char *detail)
{
	printf("error %s%s\n", what, detail);
	fflush(stdout);
	exit(3);
}

static void send_line(const char *line, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = write(wfd, line + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("write to the program: ", strerror(errno));
		}
		off += (size_t)n;
	}
}

/* The next answer line, without its newline, in ans (NUL-terminated). */
static void read_line(char *ans, size_t size)
{
	int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;
	for (;;) {
		char *nl = memchr(rbuf, '\n', rlen);
		if (nl) {
			size_t k = (size_t)(nl - rbuf);
			size_t c = k < size - 1 ? k : size - 1;
			memcpy(ans, rbuf, c);
			ans[c] = 0;
			memmove(rbuf, nl + 1, rlen - k - 1);
			rlen -= k + 1;
			return;
		}
		if (rlen == sizeof rbuf)
			rlen = 0;	/* an absurdly long line: keep its tail only */
		int left = (int)((end - now_ns()) / 1000000);
		if (left <= 0)
			fail("no answer within the deadline (ms): ",
			     getenv("MQDRIVE_TIMEOUT_MS") ? getenv("MQDRIVE_TIMEOUT_MS") : "10000");
		struct pollfd p = { rfd, POLLIN, 0 };
		int rc = poll(&p, 1, left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue;
		ssize_t n = read(rfd, rbuf + rlen, sizeof rbuf - rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("the program closed its stdout", "");
		rlen += (size_t)n;
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmd_lat(long count, long warmup, const char *cmd, const char *expect)
{
	size_t len = strlen(cmd);
	char *line = malloc(len + 2), ans[4096];
	int64_t *lat = malloc(sizeof *lat * (size_t)(count > 0 ? count : 1));
	memcpy(line, cmd, len);
	line[len++] = '\n';
	for (long i = -warmup; i < count; i++) {
		int64_t t0 = now_ns();
		send_line(line, len);
		read_line(ans, sizeof ans);
		int64_t dt = now_ns() - t0;
		if (strcmp(ans, expect) != 0)
			fail("wrong answer: ", ans);
		if (i >= 0)
			lat[i] = dt;
	}
	qsort(lat, (size_t)count, sizeof *lat, cmp_i64);
	double sum = 0;
	for (long i = 0; i < count; i++)
		sum += (double)lat[i];
	printf("lat n=%ld median_us=%.3f p10_us=%.3f p90_us=%.3f p99_us=%.3f min_us=%.3f "
	       "max_us=%.3f mean_us=%.3f\n",
	       count, lat[count / 2] / 1e3, lat[count / 10] / 1e3, lat[count * 9 / 10] / 1e3,
	       lat[count * 99 / 100] / 1e3, lat[0] / 1e3, lat[count - 1] / 1e3, sum / count / 1e3);
	fflush(stdout);
	return 0;
}

static int cmd_kill(pid_t pid, const char *cmd, const char *expect)
{
	size_t len = strlen(cmd);
	char *line = malloc(len + 2), ans[4096], first[4096] = "";
	long sent = 0, other = 0;
	memcpy(line, cmd, len);
	line[len++] = '\n';
	int64_t t0 = now_ns();
	if (kill(pid, SIGKILL) < 0)
		fail("kill: ", strerror(errno));
	for (;;) {
		int64_t s = now_ns();
		send_line(line, len);
		sent++;
		read_line(ans, sizeof ans);
		int64_t t = now_ns();
		if (strcmp(ans, expect) == 0) {
			printf("kill detect_us=%.3f requests=%ld other_answers=%ld last_rtt_us=%.3f "
			       "first_other='%s'\n",
			       (t - t0) / 1e3, sent, other, (t - s) / 1e3, first);
			fflush(stdout);
			return 0;
		}
		if (!other++)
			snprintf(first, sizeof first, "%s", ans);
		if (t - t0 > (int64_t)timeout_ms * 1000000)
			fail("no such answer long after the kill: ", expect);
	}
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (getenv("MQDRIVE_TIMEOUT_MS"))
		timeout_ms = atoi(getenv("MQDRIVE_TIMEOUT_MS"));
	if (argc == 8 && !strcmp(argv[1], "lat")) {
		wfd = atoi(argv[2]);
		rfd = atoi(argv[3]);
		return cmd_lat(atol(argv[4]), atol(argv[5]), argv[6], argv[7]);
	}
	if (argc == 7 && !strcmp(argv[1], "kill")) {
		wfd = atoi(argv[2]);
		rfd = atoi(argv[3]);
		return cmd_kill((pid_t)atol(argv[4]), argv[5], argv[6]);
	}
	fprintf(stderr, "usage: mqdrive lat WFD RFD COUNT WARMUP LINE EXPECT\n"
			"       mqdrive kill WFD RFD PID LINE EXPECT\n");
	return 2;
}
