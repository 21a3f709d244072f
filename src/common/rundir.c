/* rundir.c - the private directory of one instance's local links (rundir.h). */
#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_NAME "lock"

static int lock_open(struct rundir *d, int flags)
{
	char file[RUNDIR_MAX + sizeof LOCK_NAME + 1];
	snprintf(file, sizeof file, "%s/%s", d->path, LOCK_NAME);
	d->lock = open(file, O_RDWR | O_CLOEXEC | O_NOFOLLOW | flags, 0600);
	if (d->lock < 0)
		return -1;
	/* Another process is removing the directory: the instance is ending. */
	struct stat st;
	if (flock(d->lock, LOCK_SH | LOCK_NB) < 0 || fstat(d->lock, &st) < 0 || st.st_nlink == 0) {
		close(d->lock);
		d->lock = -1;
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/* The first base that takes a new directory whose sockets' paths fit. */
int rundir_create(struct rundir *d)
{
	const char *bases[] = { getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp" };
	int err = ENAMETOOLONG;
	d->lock = -1;
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		const char *base = bases[i];
		if (!base || base[0] != '/')
			continue;
		int n = snprintf(d->path, sizeof d->path, "%s/mqtree-XXXXXX", base);
		if (n < 0 || (size_t)n >= sizeof d->path)
			continue;
		if (!mkdtemp(d->path)) {
			err = errno;
			continue;
		}
		if (lock_open(d, O_CREAT | O_EXCL) == 0)
			return 0;
		err = errno;
		rmdir(d->path);
	}
	d->path[0] = '\0';
	errno = err;
	return -1;
}

int rundir_join(struct rundir *d, const char *path)
{
	d->lock = -1;
	int n = snprintf(d->path, sizeof d->path, "%s", path);
	if (n < 0 || (size_t)n >= sizeof d->path || path[0] != '/') {
		d->path[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return lock_open(d, 0);
}

int rundir_endpoint(const struct rundir *d, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "ipc://%s/%s", d->path, name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int rundir_node_endpoint(const struct rundir *d, int32_t id, pid_t pid, char *out,
			 size_t size)
{
	char name[32];
	snprintf(name, sizeof name, "%d.%d", (int)id, (int)pid);
	return rundir_endpoint(d, name, out, size);
}

/* The file beside socket `endpoint`, one of this directory's, that says where its node links
 * up to. */
static int up_file(const struct rundir *d, const char *endpoint, char *out, size_t size)
{
	size_t len = strlen(d->path);
	if (strncmp(endpoint, "ipc://", 6) != 0 || strncmp(endpoint + 6, d->path, len) != 0 ||
	    endpoint[6 + len] != '/' || strchr(endpoint + 7 + len, '/'))
		return -1;
	int n = snprintf(out, size, "%s.up", endpoint + 6);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int rundir_open_up(const struct rundir *d, const char *endpoint)
{
	char path[PATH_MAX];
	if (up_file(d, endpoint, path, sizeof path) < 0) {
		errno = EINVAL;
		return -1;
	}
	return open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

/* One record written in place: no directory entry changes, so the many orphans of a heal
 * that note their new parents at once do not queue on the directory's lock. */
int rundir_write_up(int fd, const char *up)
{
	char rec[RUNDIR_UP_MAX] = { 0 };
	size_t len = strlen(up);
	if (len >= sizeof rec) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(rec, up, len);
	return pwrite(fd, rec, sizeof rec, 0) == (ssize_t)sizeof rec ? 0 : -1;
}

int rundir_get_up(const struct rundir *d, const char *endpoint, char *out, size_t size)
{
	char path[PATH_MAX];
	if (size == 0 || up_file(d, endpoint, path, sizeof path) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char rec[RUNDIR_UP_MAX];
	ssize_t n = pread(fd, rec, sizeof rec, 0);
	close(fd);
	/* whole, and ended: a record read as it was being written is taken as none */
	if (n != (ssize_t)sizeof rec || !memchr(rec, '\0', sizeof rec) || !rec[0] ||
	    strlen(rec) >= size)
		return -1;
	memcpy(out, rec, strlen(rec) + 1);
	return 0;
}

void rundir_clear_up(const struct rundir *d, const char *endpoint)
{
	char path[PATH_MAX];
	if (up_file(d, endpoint, path, sizeof path) == 0)
		unlink(path);
}

/* Everything in it: sockets of processes that are gone, and the lock. */
static void remove_all(const char *path)
{
	DIR *dir = opendir(path);
	if (dir) {
		struct dirent *e;
		while ((e = readdir(dir)))
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(dir), e->d_name, 0);
		closedir(dir);
	}
	rmdir(path);
}

void rundir_leave(struct rundir *d)
{
	if (d->lock < 0)
		return;
	/* Converting to exclusive drops the shared lock first, so of two processes leaving at
	 * once the second always finds the first gone. */
	if (flock(d->lock, LOCK_EX | LOCK_NB) == 0)
		remove_all(d->path);
	close(d->lock);
	d->lock = -1;
}
