/* proc.c - posix_spawn is fork+exec without copying the parent's page tables, which keeps
 * `create` fast in a node that holds a large search text. */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

extern char **environ;

int proc_node_program(char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	int len = snprintf(path, size, "%s/%s", self, PROC_NODE_NAME);
	return len < 0 || (size_t)len >= size ? -1 : 0;
}

int proc_spawn(const struct proc_node *node, pid_t *pid)
{
	/* --id first: is_our_node reads it */
	struct buf a_id = { 0 }, a_parent = { 0 }, a_set = { 0 }, a_dir = { 0 };
	if (buf_printf(&a_id, "--id=%d", (int)node->id) < 0 ||
	    buf_printf(&a_parent, "--parent=%s", node->parent) < 0 ||
	    buf_printf(&a_set, "--exec=%s", node->set) < 0 ||
	    buf_printf(&a_dir, "--dir=%s", node->dir) < 0)
		log_fatal("out of memory");
	char *argv[5 + PROC_EXTRA_MAX + 1] = { (char *)node->prog, a_id.data, a_parent.data,
					       a_set.data, a_dir.data };
	for (size_t i = 0; node->extra && node->extra[i] && i < PROC_EXTRA_MAX; i++)
		argv[5 + i] = (char *)node->extra[i];

	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, dflt;
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGCHLD);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGHUP);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);

	int rc = posix_spawn(pid, node->prog, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	buf_free(&a_id);
	buf_free(&a_parent);
	buf_free(&a_set);
	buf_free(&a_dir);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

/* A descriptor kept open to be given up when every other is in use: ending a node by pid
 * must work then too, and it needs one to read /proc. */
static int spare_fd = -1;
static size_t fd_base;	/* descriptors in use before the first link */

static size_t fds_in_use(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t used = 0;
	if (!d)
		return SIZE_MAX;
	for (struct dirent *e; (e = readdir(d));)
		used += e->d_name[0] != '.';
	closedir(d);
	return used - 1;	/* the directory's own */
}

void proc_keep_spare_fd(void)
{
	if (spare_fd < 0)
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void proc_fd_base(void)
{
	size_t n = fds_in_use();
	fd_base = n == SIZE_MAX ? 0 : n;
}

static int open_proc(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
		close(spare_fd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		spare_fd = -1;	/* taken again once that file is closed */
	}
	return fd;
}

bool proc_fd_room(size_t links)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    fd_base + links + 256 < rl.rlim_cur)
		return true;	/* far from the limit: no need to count */
	/* Links of nodes still starting are not open yet, but will be. */
	size_t used = fds_in_use();
	if (used < fd_base + links)
		used = fd_base + links;
	return used != SIZE_MAX && used + PROC_FD_SPARE < rl.rlim_cur;
}

/* Is pid our node `id`? Its command line is "PATH/mqtree-node\0--id=ID\0...". */
bool proc_is_node(pid_t pid, int32_t id)
{
	char path[64], cmd[512];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	int fd = open_proc(path);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, cmd, sizeof cmd - 1);
	close(fd);
	proc_keep_spare_fd();
	if (n <= 0)
		return false;	/* gone, or a zombie */
	cmd[n] = '\0';
	const char *base = strrchr(cmd, '/');
	base = base ? base + 1 : cmd;
	size_t arg0 = strlen(cmd) + 1;
	char want[32];
	snprintf(want, sizeof want, "--id=%d", (int)id);
	return strcmp(base, PROC_NODE_NAME) == 0 && (size_t)n > arg0 &&
	       strcmp(cmd + arg0, want) == 0;
}

void proc_kill(pid_t pid, int32_t id)
{
	if (pid > 0 && proc_is_node(pid, id)) {
		log_debug("ending node %d (pid %d)", (int)id, (int)pid);
		kill(pid, SIGKILL);	/* ends a stopped process too */
	}
}

void proc_status_text(int status, char *text, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(text, size, "killed by signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) == PROC_EXIT_NO_THREADS)
		snprintf(text, size, "%s", PROC_NO_THREADS);
	else if (WEXITSTATUS(status) == PROC_EXIT_NO_FILES)
		snprintf(text, size, "%s", strerror(EMFILE));
	else
		snprintf(text, size, "exited with status %d", WEXITSTATUS(status));
}

int proc_signalfd(const int *signals)
{
	sigset_t set;
	sigemptyset(&set);
	for (; *signals; signals++)
		sigaddset(&set, *signals);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void *no_work(void *arg)
{
	return arg;
}

bool proc_threads_ok(int n)
{
	pthread_t t[8];
	int started = 0;
	while (started < n && started < 8 && pthread_create(&t[started], NULL, no_work, NULL) == 0)
		started++;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	return started == n;
}

int proc_remote_args(struct proc_remote *r, const char *key_file, const char *address,
		     int timeout_ms, const char *server_key, const char *control,
		     const char *control_key)
{
	int n = 0;
	snprintf(r->key, sizeof r->key, "--key=%s", key_file);
	snprintf(r->address, sizeof r->address, "--address=%s", address);
	snprintf(r->timeout, sizeof r->timeout, "--timeout=%d", timeout_ms);
	r->argv[n++] = r->key;
	r->argv[n++] = r->address;
	r->argv[n++] = r->timeout;
	if (server_key) {
		snprintf(r->server, sizeof r->server, "--server-key=%s", server_key);
		r->argv[n++] = r->server;
	}
	if (control && control[0] && control_key) {
		snprintf(r->control, sizeof r->control, "--control=%s", control);
		snprintf(r->control_key, sizeof r->control_key, "--control-key=%s", control_key);
		r->argv[n++] = r->control;
		r->argv[n++] = r->control_key;
	}
	r->argv[n] = r->argv[n + 1] = NULL;
	return n;
}
