/* proc.h - starting compute node processes and ending them by pid. */
#ifndef MQTREE_PROC_H
#define MQTREE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_NODE_NAME "mqtree-node"

/* The node program: `mqtree-node` in the directory of the running executable (never looked
 * up through the current directory or PATH). 0, or -1. */
int proc_node_program(char *path, size_t size);

/* What a compute node is started with. */
struct proc_node {
	const char *prog;
	int32_t id;
	const char *parent;	/* its parent's endpoint */
	const char *set;	/* its command set */
	const char *dir;	/* the instance's run directory on this host (rundir.h) */
	const char *const *extra;	/* more arguments, NULL-terminated; may be NULL */
};

#define PROC_EXTRA_MAX 8

/* The options of a node that may have a parent or children on other hosts: its host's key
 * pair file (an absolute path), the address it listens on for them, --timeout, and (with a
 * parent elsewhere) that parent's public key. argv ends with a NULL and has room for one
 * more option before it. */
struct proc_remote {
	char key[4096 + 8], address[80], timeout[32], server[64], control[300], control_key[64];
	const char *argv[8];
};
/* Fills r; returns how many options r->argv holds (room is left for one more). control: where
 * an orphan on another host asks the control node (--heal), with its key; NULL on its host. */
int proc_remote_args(struct proc_remote *r, const char *key_file, const char *address,
		     int timeout_ms, const char *server_key, const char *control,
		     const char *control_key);

/* Starts `prog --id=ID --parent=ENDPOINT --exec=SET --dir=DIR [extra...]` with stdin and
 * stdout on /dev/null (stdout carries only the control node's answers), default signal
 * handling and its own process group (a Ctrl-C at the terminal is for the control node
 * alone). 0 with *pid, or -1 with errno (exec failures included: posix_spawn reports them). */
int proc_spawn(const struct proc_node *node, pid_t *pid);

/* Blocks the given signals (0-terminated list) and returns a non-blocking signalfd that
 * reads them, so signals are handled in the loop, never in a handler; -1 on failure. */
int proc_signalfd(const int *signals);

/* "exited with status N" or "killed by signal N", for a waitpid status. */
void proc_status_text(int status, char *text, size_t size);

/* SIGKILLs pid if, and only if, it is still our node with this id (pids are reused). It
 * works with every descriptor in use when proc_keep_spare_fd was called at start. */
void proc_kill(pid_t pid, int32_t id);
/* Whether pid is still a running compute node `id` of ours: false once it has died (a
 * zombie, or gone), or when the pid is another process's now. */
bool proc_is_node(pid_t pid, int32_t id);
void proc_keep_spare_fd(void);

/* Whether one more link fits under RLIMIT_NOFILE with PROC_FD_SPARE descriptors to spare,
 * for a process that holds `links` links already (counted only when near the limit). */
#define PROC_FD_SPARE 16
bool proc_fd_room(size_t links);
/* Notes the descriptors in use before any link (at the end of set-up). */
void proc_fd_base(void);

/* Whether n (at most 8) threads can be started now. libzmq aborts the process when it cannot
 * start its own, so this is asked first, to say why instead. */
bool proc_threads_ok(int n);

/* Exit statuses of a node that could not start, and why (proc_status_text says it). */
#define PROC_NO_THREADS "no more threads or processes allowed (ulimit -u)"
#define PROC_EXIT_NO_THREADS 3	/* no thread could be started */
#define PROC_EXIT_NO_FILES 4	/* no descriptor left */

#endif
