/* commands.h - the terminal commands: `create`, `exec`, `ping`, ... read from a line and
 * handed to the request engine (or the loop) through commands_ops. Every bad form of a command
 * is answered here, with one line. */
#ifndef MQTREE_COMMANDS_H
#define MQTREE_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdset.h"
#include "hosts.h"
#include "requests.h"
#include "topo_types.h"

struct output;
struct topo;
struct commands;

/* What a command does, once read. Every call gets `arg`. */
struct commands_ops {
	void (*create)(void *arg, int32_t id, int64_t parent, int host);
	void (*ping)(void *arg, int32_t id);
	void (*pingall)(void *arg);
	void (*kill)(void *arg, int32_t id);
	void (*remove)(void *arg, int32_t id);
	/* exec: the request the arguments stream to (0: answered already), and a piece of
	 * them. */
	uint32_t (*exec_begin)(void *arg, int32_t id);
	void (*exec_feed)(void *arg, uint32_t req, const char *data, size_t len);
	/* Whether the command must wait for a remove, kill or insertion under way
	 * (requests_waits). */
	bool (*waits)(void *arg, enum requests_cmd cmd, int32_t id, int64_t parent);
	void (*heartbit)(void *arg, int32_t ms);
	/* A command is given: what it asks answers this tag (output_begin). */
	void (*tag)(void *arg, uint64_t tag);
	void (*quit)(void *arg);
	/* --heal switched on (1) or off (0), or left (-1): whether it is on now. */
	bool (*heal)(void *arg, int on);
	void *arg;
};

/* `tree` reads topo, `hosts` and `@HOST` hosts; errors and `help` go to out. */
struct commands *commands_new(const struct topo *topo, const struct hosts *hosts,
			      enum topo_kind kind, const struct cmdset *set, struct output *out,
			      const struct commands_ops *ops);
void commands_destroy(struct commands **cm);

/* Runs one command line. `complete` is false when only the line's head is given (the line is
 * longer than the console holds); an exec then streams the rest. Returns true when the rest of
 * the line (and *extra_lines more lines) belong to an exec being streamed: *stream_req. */
bool commands_line(struct commands *cm, const char *line, size_t len, bool complete,
		   uint32_t *stream_req, int *extra_lines);
/* True when the line must wait before it runs: its answer depends on how a remove, kill or
 * list insertion under way ends (requests_waits). A malformed line never waits. */
bool commands_waits(struct commands *cm, const char *line, size_t len);

#endif
