/* zmq_pingpong.c - raw ZeroMQ baselines for bench/bench.py.
 *
 * Every figure mqtree is measured against comes from here, measured in the same run:
 *
 *   server                        ROUTER on ipc:// (as mqtree's local links; PINGPONG_BIND
 *                                 chooses another), echoes every message back
 *   relay ENDPOINT                ROUTER (front, bound) <-> DEALER (back, to ENDPOINT):
 *                                 one extra hop, forwarding like a tree node does
 *   client ENDPOINT COUNT WARMUP [SIZE]
 *                                 DEALER ping-pong, one message at a time; prints statistics
 *   pipeclient ENDPOINT           stdin lines -> DEALER -> replies -> stdout lines: the least a
 *                                 control node reading stdin and writing stdout must do
 *   spawn COUNT                   fork+exec of this program one at a time; the child opens a
 *                                 context, connects a DEALER and says hello; time to the hello
 *   spawnall COUNT [PAR [KEEP]]   the same for COUNT children, PAR starting at a time (default
 *                                 0: all at once); total time, and the memory of each child
 *                                 (KEEP 1, the default: all stay up until the last hello;
 *                                 KEEP 0: each is told to go as soon as it said hello)
 *   killdetect COUNT              kill -9 of a connected child: time until the ROUTER's monitor
 *                                 reports DISCONNECTED, and until a send to it fails
 *   sink sum|search               ROUTER that parses (sum) or stores and searches (search) the
 *                                 streamed bytes of an mqtree exec and answers the result
 *   stream ENDPOINT               stdin in 64 KiB chunks -> DEALER -> sink; prints the answer
 *
 * CURVE, as between mqtree's hosts: PINGPONG_CURVE_SECRET (Z85) makes the ROUTERs bound CURVE
 * servers with that secret key, PINGPONG_CURVE_SERVER (Z85) the DEALERs CURVE clients of the
 * server with that public key (with a key pair of their own).
 *
 * Processes that serve (server, relay, sink) print their endpoint on one line of stdout and
 * end when their stdin reaches end of file, so the harness that started them ends them by
 * closing a pipe (and by pid if that fails). Children of spawn* are reaped here; they also end
 * when this process dies (PR_SET_PDEATHSIG).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define CHUNK (64 * 1024)

static const char *self_exe;

static void die(const char *what)
{
	fprintf(stderr, "zmq_pingpong: %s: %s\n", what, zmq_strerror(errno));
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *new_ctx(void)
{
	void *ctx = zmq_ctx_new();
	if (!ctx)
		die("zmq_ctx_new");
	zmq_ctx_set(ctx, ZMQ_BLOCKY, 0);
	return ctx;
}

static void *new_socket(void *ctx, int type)
{
	void *s = zmq_socket(ctx, type);
	int zero = 0;
	if (!s)
		die("zmq_socket");
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	/* No high-water mark, as in mqtree: a ROUTER drops what it cannot queue, and the
	 * pipelined floor must lose nothing. (stream sets its own, for flow control.) */
	zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
	return s;
}

/* A ROUTER on the transport mqtree's local links use: an ipc:// socket (libzmq picks a new
 * path), or PINGPONG_BIND from the environment (e.g. tcp://127.0.0.1:*); its endpoint goes
 * to ep. */
static void *bound_router(void *ctx, char *ep, size_t size, int mandatory)
{
	void *s = new_socket(ctx, ZMQ_ROUTER);
	int one = 1;
	if (mandatory)
		zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
	const char *bind = getenv("PINGPONG_BIND");
	const char *secret = getenv("PINGPONG_CURVE_SECRET");
	if (secret && *secret &&
	    (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) < 0 ||
	     zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, secret, strlen(secret)) < 0))
		die("CURVE server");
	if (zmq_bind(s, bind && *bind ? bind : "ipc://*") < 0)
		die("zmq_bind");
	if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &size) < 0)
		die("ZMQ_LAST_ENDPOINT");
	return s;
}

static void *connected_dealer(void *ctx, const char *ep)
{
	void *s = new_socket(ctx, ZMQ_DEALER);
	const char *server = getenv("PINGPONG_CURVE_SERVER");
	char pub[41], sec[41];
	if (server && *server &&
	    (zmq_curve_keypair(pub, sec) < 0 ||
	     zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, strlen(server)) < 0 ||
	     zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40) < 0 ||
	     zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40) < 0))
		die("CURVE client");
	if (zmq_connect(s, ep) < 0)
		die("zmq_connect");
	return s;
}

static void announce(const char *ep)
{
	printf("%s\n", ep);
	fflush(stdout);
}

/* Moves one whole multi-part message from one socket to another, zero copy. */
static int forward(void *from, void *to)
{
	zmq_msg_t m;
	int more;
	zmq_msg_init(&m);
	do {
		if (zmq_msg_recv(&m, from, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return errno == EAGAIN ? 0 : -1;
		}
		more = zmq_msg_more(&m);
		if (zmq_msg_send(&m, to, more ? ZMQ_SNDMORE : 0) < 0) {
			zmq_msg_close(&m);
			return -1;
		}
	} while (more);
	zmq_msg_close(&m);
	return 1;
}

/* True when stdin has reached end of file (the harness closed our pipe). */
static int stdin_closed(short revents)
{
	char b[256];
	if (!(revents & (ZMQ_POLLIN | ZMQ_POLLERR)))
		return 0;
	ssize_t n = read(0, b, sizeof b);
	return n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* One line of key=value statistics, in microseconds. */
static void print_stats(const char *tag, int64_t *v, size_t n)
{
	double sum = 0;
	if (n == 0) {
		printf("%s n=0\n", tag);
		return;
	}
	qsort(v, n, sizeof *v, cmp_i64);
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	printf("%s n=%zu median_us=%.3f p10_us=%.3f p90_us=%.3f p99_us=%.3f min_us=%.3f "
	       "max_us=%.3f mean_us=%.3f\n",
	       tag, n, v[n / 2] / 1e3, v[n / 10] / 1e3, v[n * 9 / 10] / 1e3, v[n * 99 / 100] / 1e3,
	       v[0] / 1e3, v[n - 1] / 1e3, sum / (double)n / 1e3);
	fflush(stdout);
}

/* ---- server, relay ---- */

static int cmd_server(void)
{
	char ep[256];
	void *ctx = new_ctx();
	void *r = bound_router(ctx, ep, sizeof ep, 0);
	announce(ep);
	for (;;) {
		zmq_pollitem_t it[2] = { { r, 0, ZMQ_POLLIN, 0 }, { NULL, 0, ZMQ_POLLIN, 0 } };
		if (zmq_poll(it, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("zmq_poll");
		}
		if (it[0].revents & ZMQ_POLLIN)
			while (forward(r, r) > 0)
				;
		if (stdin_closed(it[1].revents))
			break;
	}
	zmq_close(r);
	zmq_ctx_term(ctx);
	return 0;
}

static int cmd_relay(const char *next)
{
	char ep[256];
	void *ctx = new_ctx();
	void *front = bound_router(ctx, ep, sizeof ep, 0);
	void *back = connected_dealer(ctx, next);
	announce(ep);
	for (;;) {
		zmq_pollitem_t it[3] = { { front, 0, ZMQ_POLLIN, 0 },
					 { back, 0, ZMQ_POLLIN, 0 },
					 { NULL, 0, ZMQ_POLLIN, 0 } };
		if (zmq_poll(it, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("zmq_poll");
		}
		if (it[0].revents & ZMQ_POLLIN)
			while (forward(front, back) > 0)
				;
		if (it[1].revents & ZMQ_POLLIN)
			while (forward(back, front) > 0)
				;
		if (stdin_closed(it[2].revents))
			break;
	}
	zmq_close(front);
	zmq_close(back);
	zmq_ctx_term(ctx);
	return 0;
}

/* ---- client: closed-loop ping-pong ---- */

static int cmd_client(const char *ep, long count, long warmup, size_t size)
{
	void *ctx = new_ctx();
	void *d = connected_dealer(ctx, ep);
	char *buf = calloc(1, size + 1), *in = malloc(size + 64);
	int64_t *lat = malloc(sizeof *lat * (size_t)(count > 0 ? count : 1));
	memset(buf, 'x', size);
	for (long i = -warmup; i < count; i++) {
		int64_t t0 = now_ns();
		if (zmq_send(d, buf, size, 0) < 0)
			die("zmq_send");
		zmq_pollitem_t it = { d, 0, ZMQ_POLLIN, 0 };
		int rc = zmq_poll(&it, 1, 10000);
		if (rc <= 0) {
			fprintf(stderr, "zmq_pingpong: no echo within 10 s\n");
			return 3;
		}
		int n = zmq_recv(d, in, size + 64, 0);
		if (n != (int)size)
			die("zmq_recv: wrong size");
		if (i >= 0)
			lat[i] = now_ns() - t0;
	}
	print_stats("rtt", lat, (size_t)count);
	zmq_close(d);
	zmq_ctx_term(ctx);
	return 0;
}

/* ---- pipeclient: stdin lines <-> DEALER <-> stdout lines ---- */

static int cmd_pipeclient(const char *ep)
{
	void *ctx = new_ctx();
	void *d = connected_dealer(ctx, ep);
	size_t cap = 1 << 20, len = 0, ocap = 1 << 20;
	char *in = malloc(cap), *out = malloc(ocap);
	int eof = 0;
	long pending = 0;
	while (!eof || pending > 0) {
		zmq_pollitem_t it[2] = { { d, 0, ZMQ_POLLIN, 0 },
					 { NULL, 0, eof ? 0 : ZMQ_POLLIN, 0 } };
		if (zmq_poll(it, 2, eof ? 5000 : -1) < 0) {
			if (errno == EINTR)
				continue;
			die("zmq_poll");
		}
		if (eof && !(it[0].revents & ZMQ_POLLIN))
			break;
		if (it[1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
			ssize_t n = read(0, in + len, cap - len);
			if (n <= 0 && !(n < 0 && errno == EINTR)) {
				eof = 1;
			} else if (n > 0) {
				len += (size_t)n;
				size_t s = 0;
				for (char *nl; (nl = memchr(in + s, '\n', len - s)); s = (size_t)(nl - in) + 1) {
					if (zmq_send(d, in + s, (size_t)(nl - in) - s, 0) < 0)
						die("zmq_send");
					pending++;
				}
				memmove(in, in + s, len - s);
				len -= s;
				if (len == cap)
					len = 0;	/* a line longer than 1 MiB: dropped */
			}
		}
		if (it[0].revents & ZMQ_POLLIN) {
			size_t olen = 0;
			for (;;) {
				zmq_msg_t m;
				zmq_msg_init(&m);
				if (zmq_msg_recv(&m, d, ZMQ_DONTWAIT) < 0) {
					zmq_msg_close(&m);
					break;
				}
				size_t ml = zmq_msg_size(&m);
				if (olen + ml + 1 > ocap) {
					if (write(1, out, olen) < 0)
						return 1;
					olen = 0;
				}
				memcpy(out + olen, zmq_msg_data(&m), ml < ocap - 1 ? ml : ocap - 1);
				olen += ml < ocap - 1 ? ml : ocap - 1;
				out[olen++] = '\n';
				zmq_msg_close(&m);
				pending--;
			}
			for (size_t w = 0; w < olen;) {
				ssize_t n = write(1, out + w, olen - w);
				if (n < 0) {
					if (errno == EINTR)
						continue;
					return 1;
				}
				w += (size_t)n;
			}
		}
	}
	zmq_close(d);
	zmq_ctx_term(ctx);
	return 0;
}

/* ---- spawn, spawnall, killdetect: fork+exec of a child that says hello ---- */

static int cmd_child(const char *ep)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	void *ctx = new_ctx();
	void *d = connected_dealer(ctx, ep);
	char hello[32];
	int n = snprintf(hello, sizeof hello, "%d", (int)getpid());
	if (zmq_send(d, hello, (size_t)n, 0) < 0)
		die("zmq_send");
	char b[16];
	zmq_recv(d, b, sizeof b, 0);	/* "bye", or the parent's death */
	zmq_close(d);
	zmq_ctx_term(ctx);
	return 0;
}

static pid_t start_child(const char *ep)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl(self_exe, self_exe, "child", ep, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		die("fork");
	return pid;
}

/* Waits for one hello; its routing id goes to rid. Returns the child's pid, or -1. */
static pid_t recv_hello(void *r, char *rid, size_t *ridlen, int timeout_ms)
{
	zmq_pollitem_t it = { r, 0, ZMQ_POLLIN, 0 };
	char b[32];
	if (zmq_poll(&it, 1, timeout_ms) <= 0)
		return -1;
	int n = zmq_recv(r, rid, *ridlen, 0);
	if (n < 0)
		return -1;
	*ridlen = (size_t)n;
	n = zmq_recv(r, b, sizeof b - 1, 0);
	if (n < 0)
		return -1;
	b[n] = 0;
	return (pid_t)atoi(b);
}

static void say_bye(void *r, const char *rid, size_t ridlen)
{
	zmq_send(r, rid, ridlen, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(r, "bye", 3, ZMQ_DONTWAIT);
}

/* Reaps pid within a deadline; kills it by pid if it does not end. */
static void reap(pid_t pid, int timeout_ms)
{
	int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;
	while (now_ns() < end) {
		pid_t w = waitpid(pid, NULL, WNOHANG);
		if (w == pid || (w < 0 && errno == ECHILD))
			return;
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);	/* polling a condition with a deadline */
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A "Key: N kB" figure of /proc/PID/FILE, or -1. */
static long proc_kib(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	long kib = -1;
	size_t klen = strlen(key);
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kib = atol(line + klen + 1);
			break;
		}
	fclose(f);
	return kib;
}

static int cmd_spawn(long count)
{
	char ep[256], rid[256];
	void *ctx = new_ctx();
	void *r = bound_router(ctx, ep, sizeof ep, 1);
	int64_t *lat = malloc(sizeof *lat * (size_t)count);
	for (long i = 0; i < count; i++) {
		size_t ridlen = sizeof rid;
		int64_t t0 = now_ns();
		pid_t pid = start_child(ep);
		pid_t said = recv_hello(r, rid, &ridlen, 10000);
		lat[i] = now_ns() - t0;
		if (said != pid) {
			fprintf(stderr, "zmq_pingpong: child %d did not say hello\n", (int)pid);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 3;
		}
		say_bye(r, rid, ridlen);
		reap(pid, 2000);
	}
	print_stats("spawn", lat, (size_t)count);
	zmq_close(r);
	zmq_ctx_term(ctx);
	return 0;
}

static int cmd_spawnall(long count, long par, int keep)
{
	char ep[256];
	void *ctx = new_ctx();
	void *r = bound_router(ctx, ep, sizeof ep, 1);
	pid_t *pids = calloc((size_t)count, sizeof *pids);
	char(*rids)[256] = calloc((size_t)count, 256);
	size_t *ridlen = calloc((size_t)count, sizeof *ridlen);
	int64_t *rss = calloc((size_t)count, sizeof *rss);
	long got = 0;
	long started = 0;
	int64_t t0 = now_ns();
	/* at most par children starting at once (par <= 0: all of them) */
	while (got < count) {
		while (started < count && (par <= 0 || started - got < par))
			pids[started++] = start_child(ep);
		ridlen[got] = sizeof rids[got];
		if (recv_hello(r, rids[got], &ridlen[got], 30000) < 0)
			break;
		if (!keep) {	/* it may go at once; reap whoever has gone */
			say_bye(r, rids[got], ridlen[got]);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
		got++;
	}
	int64_t total = now_ns() - t0;
	/* VmRSS counts the shared library pages in every process; Pss shares them out;
	 * RssAnon is what each process holds privately. */
	static const char *what[3][2] = { { "status", "VmRSS" }, { "smaps_rollup", "Pss" },
					  { "status", "RssAnon" } };
	printf("spawnall n=%ld par=%ld hellos=%ld total_ms=%.3f", count, par, got, total / 1e6);
	for (int w = 0; w < 3; w++) {
		long sum = 0;
		for (long i = 0; i < count; i++) {
			rss[i] = i < started ? proc_kib(pids[i], what[w][0], what[w][1]) : -1;
			sum += rss[i] > 0 ? rss[i] : 0;
		}
		qsort(rss, (size_t)count, sizeof *rss, cmp_i64);
		printf(" %s_sum_kib=%ld %s_median_kib=%" PRId64, what[w][1], sum, what[w][1],
		       rss[count / 2]);
	}
	printf("\n");
	fflush(stdout);
	for (long i = 0; i < got && keep; i++)
		say_bye(r, rids[i], ridlen[i]);
	for (long i = 0; i < started; i++)
		reap(pids[i], 5000);
	zmq_close(r);
	zmq_ctx_term(ctx);
	return got == count ? 0 : 3;
}

static int cmd_killdetect(long count)
{
	char ep[256], rid[256];
	void *ctx = new_ctx();
	void *r = bound_router(ctx, ep, sizeof ep, 1);
	if (zmq_socket_monitor(r, "inproc://killdetect", ZMQ_EVENT_DISCONNECTED) < 0)
		die("zmq_socket_monitor");
	void *mon = new_socket(ctx, ZMQ_PAIR);
	if (zmq_connect(mon, "inproc://killdetect") < 0)
		die("zmq_connect monitor");
	int64_t *ev = malloc(sizeof *ev * (size_t)count), *unreach = malloc(sizeof *ev * (size_t)count);
	for (long i = 0; i < count; i++) {
		size_t ridlen = sizeof rid;
		pid_t pid = start_child(ep);
		if (recv_hello(r, rid, &ridlen, 10000) != pid) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fprintf(stderr, "zmq_pingpong: child did not say hello\n");
			return 3;
		}
		int64_t t0 = now_ns();
		kill(pid, SIGKILL);
		/* Until a send to it fails (ROUTER_MANDATORY: EHOSTUNREACH), probing every 20 us:
		 * a busy loop here would take the CPU the dying process needs to end. */
		unreach[i] = ev[i] = -1;
		zmq_pollitem_t it = { mon, 0, ZMQ_POLLIN, 0 };
		while (now_ns() - t0 < 5000000000LL && (unreach[i] < 0 || ev[i] < 0)) {
			if (unreach[i] < 0) {
				if (zmq_send(r, rid, ridlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
					unreach[i] = now_ns() - t0;
				else
					zmq_send(r, "x", 1, ZMQ_DONTWAIT);
			}
			/* the monitor: DISCONNECTED */
			while (ev[i] < 0 && zmq_poll(&it, 1, 0) > 0) {
				zmq_msg_t m;
				zmq_msg_init(&m);
				zmq_msg_recv(&m, mon, 0);
				uint16_t event = 0;
				if (zmq_msg_size(&m) >= 2)
					memcpy(&event, zmq_msg_data(&m), 2);
				int more = zmq_msg_more(&m);
				zmq_msg_close(&m);
				if (more) {
					zmq_msg_init(&m);
					zmq_msg_recv(&m, mon, 0);
					zmq_msg_close(&m);
				}
				if (event == ZMQ_EVENT_DISCONNECTED)
					ev[i] = now_ns() - t0;
			}
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
		waitpid(pid, NULL, 0);
		if (ev[i] < 0 || unreach[i] < 0) {
			fprintf(stderr, "zmq_pingpong: death not seen within 5 s\n");
			return 3;
		}
	}
	print_stats("disconnected", ev, (size_t)count);
	print_stats("unreachable", unreach, (size_t)count);
	zmq_close(mon);
	zmq_close(r);
	zmq_ctx_term(ctx);
	return 0;
}

/* ---- sink and stream: the floor for sum and search of 10^8 ---- */

struct sink {
	int search;		/* else sum */
	int line;		/* 0: "exec ..." head, 1: text/numbers, 2: pattern, 3: done */
	int tokens;		/* head tokens skipped (sum) */
	int in_num, neg;
	int64_t num;
	__int128 sum;
	long count;
	char *text, *pat;
	size_t tlen, tcap, plen, pcap;
};

static void grow(char **b, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 1 << 20;
	while (c < need)
		c *= 2;
	*b = realloc(*b, c);
	if (!*b)
		die("realloc");
	*cap = c;
}

static void sink_sum(struct sink *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n && s->line < 3; i++) {
		char ch = p[i];
		if (ch >= '0' && ch <= '9') {
			s->num = s->num * 10 + (ch - '0');
			s->in_num = 1;
			continue;
		}
		if (s->in_num) {
			if (s->tokens >= 3) {
				s->sum += s->neg ? -s->num : s->num;
				s->count++;
			}
			s->tokens++;
		} else if (ch != ' ' && ch != '-' && ch != '\n' && s->tokens < 2) {
			/* "exec": a word token */
			while (i + 1 < n && p[i + 1] != ' ')
				i++;
			s->tokens++;
			continue;
		}
		s->neg = ch == '-';
		s->in_num = 0;
		s->num = 0;
		if (ch == '\n')
			s->line = 3;
	}
}

static void sink_search(struct sink *s, const char *p, size_t n)
{
	while (n > 0 && s->line < 3) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		if (s->line == 1) {
			grow(&s->text, &s->tcap, s->tlen + k);
			memcpy(s->text + s->tlen, p, k);
			s->tlen += k;
		} else if (s->line == 2) {
			grow(&s->pat, &s->pcap, s->plen + k + 1);
			memcpy(s->pat + s->plen, p, k);
			s->plen += k;
		}
		if (!nl)
			return;
		s->line++;
		p += k + 1;
		n -= k + 1;
	}
}

static int cmd_sink(const char *mode)
{
	char ep[256];
	void *ctx = new_ctx();
	void *r = bound_router(ctx, ep, sizeof ep, 0);
	struct sink s;
	memset(&s, 0, sizeof s);
	s.search = strcmp(mode, "search") == 0;
	announce(ep);
	for (;;) {
		zmq_pollitem_t it[2] = { { r, 0, ZMQ_POLLIN, 0 }, { NULL, 0, ZMQ_POLLIN, 0 } };
		if (zmq_poll(it, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("zmq_poll");
		}
		if (stdin_closed(it[1].revents))
			break;
		while (it[0].revents & ZMQ_POLLIN) {
			zmq_msg_t id, m;
			zmq_msg_init(&id);
			zmq_msg_init(&m);
			if (zmq_msg_recv(&id, r, ZMQ_DONTWAIT) < 0 || zmq_msg_recv(&m, r, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&id);
				zmq_msg_close(&m);
				break;
			}
			const char *p = zmq_msg_data(&m);
			size_t n = zmq_msg_size(&m);
			if (s.search)
				sink_search(&s, p, n);
			else
				sink_sum(&s, p, n);
			zmq_msg_close(&m);
			if (s.line == 3) {
				char out[256];
				int len;
				if (s.search) {
					long hits = 0;
					size_t first = (size_t)-1;
					for (const char *q = s.text; s.plen > 0;) {
						q = memmem(q, s.tlen - (size_t)(q - s.text), s.pat, s.plen);
						if (!q)
							break;
						if (!hits)
							first = (size_t)(q - s.text);
						hits++;
						q++;
					}
					len = snprintf(out, sizeof out, "hits=%ld first=%zd textlen=%zu", hits,
						       hits ? (ssize_t)first : (ssize_t)-1, s.tlen);
				} else {
					unsigned __int128 u = s.sum < 0 ? -(unsigned __int128)s.sum : (unsigned __int128)s.sum;
					char dig[64];
					int k = 0;
					do {
						dig[k++] = (char)('0' + (int)(u % 10));
						u /= 10;
					} while (u);
					len = snprintf(out, sizeof out, "count=%ld sum=%s", s.count, s.sum < 0 ? "-" : "");
					while (k > 0)
						out[len++] = dig[--k];
				}
				zmq_msg_send(&id, r, ZMQ_SNDMORE);
				zmq_send(r, out, (size_t)len, 0);
				free(s.text);
				free(s.pat);
				memset(&s, 0, sizeof s);
				s.search = strcmp(mode, "search") == 0;
			}
			zmq_msg_close(&id);
		}
	}
	zmq_close(r);
	zmq_ctx_term(ctx);
	return 0;
}

static int cmd_stream(const char *ep)
{
	void *ctx = new_ctx();
	void *d = new_socket(ctx, ZMQ_DEALER);
	int hwm = 256;	/* 16 MiB in flight at most: zmq_send blocks, the flow control */
	zmq_setsockopt(d, ZMQ_SNDHWM, &hwm, sizeof hwm);
	if (zmq_connect(d, ep) < 0)
		die("zmq_connect");
	char *buf = malloc(CHUNK);
	int eof = 0;
	int64_t end = 0;
	/* stdin may stay open after the input (the harness does not close it): the answer,
	 * whenever it comes, ends the run */
	for (;;) {
		zmq_pollitem_t it[2] = { { d, 0, ZMQ_POLLIN, 0 }, { NULL, 0, eof ? 0 : ZMQ_POLLIN, 0 } };
		if (eof && !end)
			end = now_ns() + 120000000000LL;
		if (eof && now_ns() > end) {
			fprintf(stderr, "zmq_pingpong: no answer from the sink\n");
			return 3;
		}
		if (zmq_poll(it, 2, eof ? 1000 : -1) < 0) {
			if (errno == EINTR)
				continue;
			die("zmq_poll");
		}
		if (it[0].revents & ZMQ_POLLIN)
			break;
		if (!(it[1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)))
			continue;
		ssize_t n = read(0, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = 1;
			continue;
		}
		if (zmq_send(d, buf, (size_t)n, 0) < 0)	/* blocks at the high-water mark */
			die("zmq_send");
	}
	int n = zmq_recv(d, buf, CHUNK - 1, 0);
	if (n < 0)
		die("zmq_recv");
	buf[n] = 0;
	printf("%s\n", buf);
	fflush(stdout);
	zmq_close(d);
	zmq_ctx_term(ctx);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: zmq_pingpong server | relay ENDPOINT | client ENDPOINT COUNT WARMUP [SIZE]\n"
		"       | pipeclient ENDPOINT | spawn COUNT | spawnall COUNT [PAR [KEEP]] | killdetect COUNT\n"
		"       | sink sum|search | stream ENDPOINT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		die("readlink /proc/self/exe");
	exe[n] = 0;
	self_exe = exe;
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		usage();
	const char *m = argv[1];
	if (!strcmp(m, "server") && argc == 2)
		return cmd_server();
	if (!strcmp(m, "relay") && argc == 3)
		return cmd_relay(argv[2]);
	if (!strcmp(m, "client") && (argc == 5 || argc == 6))
		return cmd_client(argv[2], atol(argv[3]), atol(argv[4]),
				  argc == 6 ? (size_t)atol(argv[5]) : 16);
	if (!strcmp(m, "pipeclient") && argc == 3)
		return cmd_pipeclient(argv[2]);
	if (!strcmp(m, "child") && argc == 3)
		return cmd_child(argv[2]);
	if (!strcmp(m, "spawn") && argc == 3)
		return cmd_spawn(atol(argv[2]));
	if (!strcmp(m, "spawnall") && argc >= 3 && argc <= 5)
		return cmd_spawnall(atol(argv[2]), argc >= 4 ? atol(argv[3]) : 0,
				    argc == 5 ? atoi(argv[4]) : 1);
	if (!strcmp(m, "killdetect") && argc == 3)
		return cmd_killdetect(atol(argv[2]));
	if (!strcmp(m, "sink") && argc == 3)
		return cmd_sink(argv[2]);
	if (!strcmp(m, "stream") && argc == 3)
		return cmd_stream(argv[2]);
	usage();
	return 2;
}
