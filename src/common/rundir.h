/* rundir.h - the private directory that one instance's local links live in.
 *
 * On one host every link is an ipc:// socket in a directory that the control node (or a
 * host's agent) makes with mkdtemp: mode 0700, so the filesystem lets no other user connect
 * to any of them, and two instances never share one. Each process that binds there holds a
 * shared flock on DIR/lock for its lifetime; the process that leaves with nobody else holding
 * it is the last one out and removes the directory, with whatever a killed process left in
 * it. So the directory is gone after `exit`, and after `kill -9` of the control node too,
 * once its nodes have ended.
 */
#ifndef MQTREE_RUNDIR_H
#define MQTREE_RUNDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "ipc://" + the directory + "/" + a node's socket name must fit a sockaddr_un path. */
#define RUNDIR_MAX 80

struct rundir {
	char path[RUNDIR_MAX];
	int lock;	/* holds the shared flock; -1 when none */
};

/* Makes a new directory under $XDG_RUNTIME_DIR, else $TMPDIR, else /tmp (the first that is
 * usable and short enough) and joins it. 0, or -1 with errno. */
int rundir_create(struct rundir *d);
/* Joins the directory another process of the instance made. -1 with errno when it is gone
 * or being removed (the instance is ending). */
int rundir_join(struct rundir *d, const char *path);
/* The endpoint of socket `name` in the directory. 0, or -1 when it does not fit. */
int rundir_endpoint(const struct rundir *d, const char *name, char *out, size_t size);
/* A node's socket name: its id and pid, so that a node ending late, whose socket file
 * ZeroMQ unlinks as it closes, never removes the file of a newer node with its id. */
int rundir_node_endpoint(const struct rundir *d, int32_t id, pid_t pid, char *out,
			 size_t size);
/* --heal: where the node whose socket is `endpoint` (in this directory) links up to, kept in a
 * file beside the socket, so that its children find their grandparent if it dies, even by
 * kill -9 (the file stays until the directory goes). The node opens it (a descriptor, or -1
 * with errno) and writes each new uplink there (0, or -1 with errno); a child gets it into
 * out (size bytes), or -1 when there is none. */
#define RUNDIR_UP_MAX 256
int rundir_open_up(const struct rundir *d, const char *endpoint);
int rundir_write_up(int fd, const char *up);
int rundir_get_up(const struct rundir *d, const char *endpoint, char *out, size_t size);
void rundir_clear_up(const struct rundir *d, const char *endpoint);
/* Leaves; the last one out removes the directory. Safe to call on a rundir never joined. */
void rundir_leave(struct rundir *d);

#endif
