/* mqpoke.c - a stranger on an mqtree link, for the integration tests (test_forged.py).
 *
 *   mqpoke [-r R] ENDPOINT ROUTING_ID_HEX LISTEN_MS [FRAME_HEX ...]
 *
 * Connects a DEALER with routing id ROUTING_ID_HEX to ENDPOINT (a node's or the control
 * node's ROUTER), waits for the ZMTP handshake (at most 0.5 s; without it the frames are still
 * queued and sent if the connection comes up), then sends every FRAME_HEX as one frame, in
 * order, the way a DEALER talks to a ROUTER. With -r R the whole sequence is sent again every
 * R ms until LISTEN_MS have passed (a flood). For LISTEN_MS after the first send, every frame
 * received is printed on stdout as one line of hex. An empty FRAME_HEX is an empty frame.
 *
 * With MQPOKE_CURVE_SERVER set to a server's public key (Z85), it is a CURVE client of that
 * server with a key pair of its own: a stranger to every ZAP handler of mqtree.
 *
 * stderr gets one line "mqpoke: sending (handshake yes|no)" just before the first send, so
 * the caller knows when the stranger is on the wire, and "mqpoke: sent N received M" at the
 * end (with "not sent K (REASON)" when there was no connection to send on). Exit status 0; 2 on bad arguments, 1 when ZeroMQ fails.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define HANDSHAKE_WAIT_MS 500
#define LINGER_MS 200

struct frame {
	unsigned char *data;
	size_t len;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 0, or -1 when text is not an even number of hex digits. */
static int parse_hex(const char *text, struct frame *f)
{
	size_t n = strlen(text);
	if (n % 2)
		return -1;
	f->len = n / 2;
	f->data = malloc(f->len ? f->len : 1);
	if (!f->data)
		return -1;
	for (size_t i = 0; i < f->len; i++) {
		int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		f->data[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: mqpoke [-r R] ENDPOINT ROUTING_ID_HEX LISTEN_MS [FRAME_HEX ...]\n");
	exit(2);
}

/* Waits until the monitor reports a finished handshake, at most ms. */
static int wait_handshake(void *mon, int ms)
{
	int64_t end = now_ms() + ms;
	for (;;) {
		int64_t left = end - now_ms();
		if (left <= 0)
			return 0;
		zmq_pollitem_t item = { mon, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(&item, 1, (long)left) <= 0)
			continue;
		zmq_msg_t ev;
		zmq_msg_init(&ev);
		if (zmq_msg_recv(&ev, mon, 0) < 0) {
			zmq_msg_close(&ev);
			return 0;
		}
		uint16_t event = 0;
		if (zmq_msg_size(&ev) >= 2)
			memcpy(&event, zmq_msg_data(&ev), sizeof event);
		int more = zmq_msg_more(&ev);
		zmq_msg_close(&ev);
		while (more) {	/* the endpoint frame */
			zmq_msg_init(&ev);
			if (zmq_msg_recv(&ev, mon, 0) < 0)
				more = 0;
			else
				more = zmq_msg_more(&ev);
			zmq_msg_close(&ev);
		}
		if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
			return 1;
	}
}

static long sent, unsent;
static int send_errno;

/* A frame that cannot go (no connection: the peer refused us) is counted, not retried. */
static void send_all(void *s, const struct frame *frames, int n)
{
	for (int i = 0; i < n; i++) {
		if (zmq_send(s, frames[i].data, frames[i].len, ZMQ_DONTWAIT) >= 0) {
			sent++;
		} else {
			unsent++;
			send_errno = errno;
		}
	}
}

static void print_frame(const zmq_msg_t *msg)
{
	const unsigned char *p = zmq_msg_data((zmq_msg_t *)msg);
	size_t n = zmq_msg_size((zmq_msg_t *)msg);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int repeat_ms = 0;
	int arg = 1;
	if (arg + 1 < argc && strcmp(argv[arg], "-r") == 0) {
		repeat_ms = atoi(argv[arg + 1]);
		if (repeat_ms <= 0)
			usage();
		arg += 2;
	}
	if (argc - arg < 3)
		usage();
	const char *endpoint = argv[arg];
	struct frame rid;
	if (parse_hex(argv[arg + 1], &rid) < 0 || rid.len == 0 || rid.len > 255)
		usage();
	char *end;
	long listen_ms = strtol(argv[arg + 2], &end, 10);
	if (*end || listen_ms < 0)
		usage();
	int nframes = argc - arg - 3;
	struct frame *frames = calloc((size_t)nframes + 1, sizeof *frames);
	if (!frames)
		return 1;
	for (int i = 0; i < nframes; i++)
		if (parse_hex(argv[arg + 3 + i], &frames[i]) < 0)
			usage();

	void *ctx = zmq_ctx_new();
	void *s = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
	int linger = LINGER_MS, zero = 0;
	if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) ||
	    zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero) ||
	    zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero) ||
	    zmq_setsockopt(s, ZMQ_ROUTING_ID, rid.data, rid.len) ||
	    zmq_socket_monitor(s, "inproc://mqpoke-monitor", ZMQ_EVENT_HANDSHAKE_SUCCEEDED)) {
		fprintf(stderr, "mqpoke: %s\n", zmq_strerror(errno));
		return 1;
	}
	const char *server = getenv("MQPOKE_CURVE_SERVER");
	char pub[41], sec[41];
	if (server && *server &&
	    (zmq_curve_keypair(pub, sec) || zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 40) ||
	     zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40) ||
	     zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40))) {
		fprintf(stderr, "mqpoke: CURVE: %s\n", zmq_strerror(errno));
		return 1;
	}
	void *mon = zmq_socket(ctx, ZMQ_PAIR);
	if (!mon || zmq_connect(mon, "inproc://mqpoke-monitor") || zmq_connect(s, endpoint)) {
		fprintf(stderr, "mqpoke: %s: %s\n", endpoint, zmq_strerror(errno));
		return 1;
	}
	int shaken = wait_handshake(mon, HANDSHAKE_WAIT_MS);
	fprintf(stderr, "mqpoke: sending (handshake %s)\n", shaken ? "yes" : "no");
	fflush(stderr);

	int64_t start = now_ms(), stop = start + listen_ms;
	long received = 0;
	send_all(s, frames, nframes);
	int64_t next = repeat_ms ? start + repeat_ms : INT64_MAX;
	for (;;) {
		int64_t now = now_ms();
		if (now >= next && now < stop) {
			send_all(s, frames, nframes);
			next += repeat_ms;
			if (next <= now)
				next = now + repeat_ms;	/* fell behind: no burst to catch up */
		}
		if (now >= stop)
			break;
		int64_t wake = next < stop ? next : stop;
		zmq_pollitem_t item = { s, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(&item, 1, (long)(wake - now)) < 0 && errno != EINTR)
			break;
		while (item.revents & ZMQ_POLLIN) {
			zmq_msg_t msg;
			zmq_msg_init(&msg);
			if (zmq_msg_recv(&msg, s, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&msg);
				break;
			}
			print_frame(&msg);
			received++;
			zmq_msg_close(&msg);
		}
	}
	fprintf(stderr, "mqpoke: sent %ld received %ld", sent, received);
	if (unsent)
		fprintf(stderr, " not sent %ld (%s)", unsent, zmq_strerror(send_errno));
	fputc('\n', stderr);
	zmq_socket_monitor(s, NULL, 0);
	zmq_close(mon);
	zmq_close(s);	/* queued frames get LINGER_MS to leave */
	zmq_ctx_term(ctx);
	for (int i = 0; i < nframes; i++)
		free(frames[i].data);
	free(frames);
	free(rid.data);
	return 0;
}
