/* console.c - reading commands. */
#include "console.h"

#include <histedit.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"

#define CON_BUF (256 * 1024)	/* bytes of input held at most */
#define HEAD_MAX 4096		/* a longer line is an exec being streamed, or an error */
#define FEED_MAX (64 * 1024)	/* streamed per step, so that credit is checked between */

enum mode { IN_LINE, IN_STREAM, IN_DISCARD };

struct console {
	struct console_ops ops;
	char *banner;
	bool interactive;
	bool stopped;
	bool eof;
	bool waiting;		/* the next line waits for a remove (commands_waits) */
	char *held;		/* interactive: that line */
	EditLine *el;		/* interactive only */
	FILE *tty;		/* where libedit draws: the terminal, not a redirected stdout */
	bool own_tty;		/* opened here, closed at stop */
	History *hist;
	bool in_line;		/* a line was just entered: the cursor is on a fresh line */
	enum mode mode;
	uint32_t stream;	/* the exec the input is forwarded to */
	int extra;		/* lines still to join to it */
	char *buf;
	size_t start, end;
};

struct console *console_new(bool interactive, const char *banner,
			    const struct console_ops *ops)
{
	struct console *con = calloc(1, sizeof *con);
	if (!con)
		return NULL;
	con->ops = *ops;
	con->interactive = interactive;
	if (!(con->banner = strdup(banner)) ||
	    (!con->interactive && !(con->buf = malloc(CON_BUF)))) {
		free(con->banner);
		free(con);
		return NULL;
	}
	return con;
}

void console_destroy(struct console **conp)
{
	struct console *con = *conp;
	if (!con)
		return;
	console_stop(con);
	free(con->held);
	free(con->banner);
	free(con->buf);
	free(con);
	*conp = NULL;
}

/* The end of a line of an exec being streamed: join the next line, or finish. */
static void stream_line_end(struct console *con)
{
	if (con->extra > 0) {
		con->extra--;
		con->ops.feed(con->ops.arg, con->stream, "\n", 1);
		return;
	}
	con->ops.end(con->ops.arg, con->stream);
	con->mode = IN_LINE;
}

/* A line, or the head of a longer one (complete == false). */
static void dispatch(struct console *con, const char *line, size_t len, bool complete)
{
	uint32_t req = 0;
	int extra = 0;
	if (con->ops.line(con->ops.arg, line, len, complete, &req, &extra)) {
		con->mode = IN_STREAM;
		con->stream = req;
		con->extra = extra;
		if (complete)
			stream_line_end(con);
	} else if (!complete) {
		con->mode = IN_DISCARD;
	}
}

static void at_eof(struct console *con)
{
	if (con->mode == IN_STREAM)
		con->ops.end(con->ops.arg, con->stream);
	con->mode = IN_LINE;
	con->stopped = true;
	con->ops.eof(con->ops.arg);
}

/* Works through buffered input until it needs more, or an exec waits for credit. */
static void process(struct console *con)
{
	while (!con->stopped) {
		char *p = con->buf + con->start;
		size_t avail = con->end - con->start;
		char *nl = avail ? memchr(p, '\n', avail) : NULL;
		if (avail == 0) {
			if (con->eof)
				at_eof(con);
			break;
		}
		if (con->mode == IN_STREAM) {
			if (!con->ops.can_feed(con->ops.arg, con->stream))
				break;
			size_t n = nl ? (size_t)(nl - p) : avail;
			bool ends = nl && n <= FEED_MAX;
			if (n > FEED_MAX)
				n = FEED_MAX;
			if (n)
				con->ops.feed(con->ops.arg, con->stream, p, n);
			con->start += n + ends;
			if (ends)
				stream_line_end(con);
		} else if (con->mode == IN_LINE && parse_is_space(*p)) {
			/* Leading blanks are not part of the line's head, however many. */
			while (con->start < con->end && parse_is_space(con->buf[con->start]))
				con->start++;
		} else if (con->mode == IN_DISCARD) {
			con->start = nl ? (size_t)(nl - con->buf) + 1 : con->end;
			if (nl)
				con->mode = IN_LINE;
		} else if (nl && (size_t)(nl - p) <= HEAD_MAX) {
			if ((con->waiting = con->ops.waits(con->ops.arg, p, (size_t)(nl - p))))
				break;
			con->start += (size_t)(nl - p) + 1;
			dispatch(con, p, (size_t)(nl - p), true);
		} else if (avail >= HEAD_MAX) {	/* the rest is streamed or discarded */
			if ((con->waiting = con->ops.waits(con->ops.arg, p, HEAD_MAX)))
				break;
			con->start += HEAD_MAX;
			dispatch(con, p, HEAD_MAX, false);
		} else if (con->eof) {	/* a last line without a newline */
			if ((con->waiting = con->ops.waits(con->ops.arg, p, avail)))
				break;
			con->start = con->end;
			dispatch(con, p, avail, true);
		} else {
			break;	/* a line still being read */
		}
	}
	if (con->start == con->end)
		con->start = con->end = 0;
}

/* A line typed at the terminal. */
static void on_line(struct console *con, const char *line, size_t len)
{
	HistEvent ev;
	con->in_line = true;
	if (con->mode == IN_STREAM) {	/* a line joined to an exec (search text, pattern) */
		con->ops.feed(con->ops.arg, con->stream, line, len);
		stream_line_end(con);
	} else {
		if (len)
			history(con->hist, &ev, H_ENTER, line);
		if ((con->waiting = con->ops.waits(con->ops.arg, line, len))) {
			free(con->held);
			if (!(con->held = strdup(line)))
				log_fatal("out of memory");
		} else {
			dispatch(con, line, len, true);
		}
	}
	con->in_line = false;
}

static const char *prompt(EditLine *el)
{
	(void)el;
	return "> ";
}

/* The terminal stdin is on, for the prompt, the echo and the banner: stdout when it is that
 * terminal, else (stdout is a file or a pipe that holds answers only) the terminal opened by
 * name, else stderr if it is one. NULL: none to draw on. */
static FILE *terminal_out(bool *own)
{
	const char *name;
	FILE *f;
	*own = false;
	if (isatty(STDOUT_FILENO))
		return stdout;
	if ((name = ttyname(STDIN_FILENO)) && (f = fopen(name, "we"))) {
		*own = true;
		return f;
	}
	return isatty(STDERR_FILENO) ? stderr : NULL;
}

void console_start(struct console *con)
{
	if (!con->interactive)
		return;
	HistEvent ev;
	if ((con->tty = terminal_out(&con->own_tty))) {
		fprintf(con->tty, "%s\n", con->banner);
		fflush(con->tty);
		con->hist = history_init();
		con->el = el_init("mqtree", stdin, con->tty, stderr);
	}
	if (!con->hist || !con->el) {
		log_warn("no line editing on this terminal");
		con->interactive = false;
		con->buf = malloc(CON_BUF);
		if (!con->buf)
			log_fatal("out of memory");
		return;
	}
	history(con->hist, &ev, H_SETSIZE, 1000);
	el_set(con->el, EL_EDITOR, "emacs");
	el_set(con->el, EL_SIGNAL, 0);	/* signals come through our signalfd */
	el_set(con->el, EL_HIST, history, con->hist);
	el_set(con->el, EL_PROMPT, prompt);
	/* Unbuffered: el_gets takes what is there and returns, so the loop never waits. */
	el_set(con->el, EL_UNBUFFERED, 1);
}

bool console_wants_input(struct console *con)
{
	if (con->stopped || con->eof || con->waiting)
		return false;
	if (con->interactive)
		return true;
	if (con->mode == IN_STREAM && !con->ops.can_feed(con->ops.arg, con->stream))
		return false;
	return con->end < CON_BUF || con->start > 0;
}

static void read_terminal(struct console *con)
{
	int n;
	const char *buf = el_gets(con->el, &n);
	if (!buf || n <= 0)
		return;
	if (n == 1 && buf[0] == '\x04') {	/* Ctrl-D on an empty line */
		fputs("\n", con->tty);
		at_eof(con);
		return;
	}
	if (buf[n - 1] != '\n' && buf[n - 1] != '\r')
		return;	/* still typing */
	char *line = strndup(buf, (size_t)n - 1);
	if (!line)
		log_fatal("out of memory");
	/* Buffered mode puts the terminal back for the answers; unbuffered again starts a
	 * fresh line and draws the prompt. */
	el_set(con->el, EL_UNBUFFERED, 0);
	on_line(con, line, (size_t)n - 1);
	free(line);
	if (!con->stopped)
		el_set(con->el, EL_UNBUFFERED, 1);
}

void console_read(struct console *con)
{
	if (con->interactive) {
		read_terminal(con);
		return;
	}
	if (con->end == CON_BUF && con->start > 0) {
		memmove(con->buf, con->buf + con->start, con->end - con->start);
		con->end -= con->start;
		con->start = 0;
	}
	ssize_t n = read(STDIN_FILENO, con->buf + con->end, CON_BUF - con->end);
	if (n > 0)
		con->end += (size_t)n;
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		con->eof = true;
	process(con);
}

void console_resume(struct console *con)
{
	if (con->stopped)
		return;
	if (con->held && !con->ops.waits(con->ops.arg, con->held, strlen(con->held))) {
		char *line = con->held;
		con->held = NULL;
		con->waiting = false;
		dispatch(con, line, strlen(line), true);
		free(line);
	} else if (!con->interactive && con->end > con->start) {
		process(con);
	}
}

bool console_interrupt(struct console *con)
{
	if (!con->el || con->stopped)
		return false;
	/* Leaving and re-entering unbuffered mode drops the line and draws a new prompt. */
	el_set(con->el, EL_UNBUFFERED, 0);
	fputs("\n", con->tty);	/* the terminal has echoed ^C */
	fflush(con->tty);
	el_set(con->el, EL_UNBUFFERED, 1);
	return true;
}

void console_stop(struct console *con)
{
	con->stopped = true;
	if (con->mode == IN_STREAM)	/* the exec being read gets what it has, and answers */
		con->ops.end(con->ops.arg, con->stream);
	con->mode = IN_LINE;
	if (con->el) {
		el_set(con->el, EL_UNBUFFERED, 0);	/* the terminal as it was */
		el_end(con->el);
		con->el = NULL;
	}
	if (con->hist) {
		history_end(con->hist);
		con->hist = NULL;
	}
	if (con->own_tty)
		fclose(con->tty);
	con->tty = NULL;
	con->own_tty = false;
}

bool console_print_above(struct console *con, const char *line, size_t len)
{
	if (!con || !con->el || con->tty != stdout)
		return false;	/* answers in a file or pipe: plain lines */
	if (con->in_line) {	/* libedit draws the next prompt after the line */
		printf("%.*s\n", (int)len, line);
		return true;
	}
	/* Clear the prompt line, print, then have libedit draw prompt and typing again. */
	printf("\r\033[K%.*s\n", (int)len, line);
	fflush(stdout);
	el_set(con->el, EL_REFRESH);
	return true;
}
