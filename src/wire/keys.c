/* keys.c - CURVE key pairs and allowed-key lists in files (see keys.h for the formats). */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zmq.h>

#define KEYS_HEADER "# mqtree key pair\n"
#define KEYS_LINE_MAX 1024	/* longer lines are not ours: refused, not cut */
#define KEYS_BLANKS " \t"

static const char z85_digits[] =
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

struct keyentry {
	char key[KEYS_Z85];
	char *name;	/* NULL: none */
};

/* Sorted by key, so that a look-up during a handshake is a binary search. */
struct keylist {
	struct keyentry *v;
	size_t n, cap;
};

static int fail(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t size, const char *fmt, ...)
{
	if (err && size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int keys_z85_to_bin(const char *z85, uint8_t out[32])
{
	uint8_t bin[32];
	char back[KEYS_Z85];
	if (!z85 || strnlen(z85, KEYS_Z85) != KEYS_Z85 - 1 ||
	    strspn(z85, z85_digits) != KEYS_Z85 - 1 || !zmq_z85_decode(bin, z85))
		return -1;
	/* A group of five digits can exceed 32 bits: such text is not the encoding of a key. */
	if (!zmq_z85_encode(back, bin, sizeof bin) || strcmp(back, z85) != 0)
		return -1;
	if (out)
		memcpy(out, bin, sizeof bin);
	return 0;
}

void keys_bin_to_z85(const uint8_t in[32], char out[KEYS_Z85])
{
	zmq_z85_encode(out, in, 32);
}

/* Line reading shared by every format: blank lines and comments are skipped, and a line's
 * leading and trailing blanks (and its CR LF or LF) are dropped. */
struct reader {
	FILE *f;
	const char *file;
	char *buf;
	size_t cap;
	unsigned no;
	char *text;	/* the current line */
};

/* 1 with r->text, 0 at the end of the file, -1 with err. */
static int reader_next(struct reader *r, char *err, size_t errsize)
{
	ssize_t n;
	errno = 0;
	while ((n = getline(&r->buf, &r->cap, r->f)) >= 0) {
		r->no++;
		if (n > KEYS_LINE_MAX)
			return fail(err, errsize, "%s:%u: line too long", r->file, r->no);
		if (memchr(r->buf, '\0', (size_t)n))
			return fail(err, errsize, "%s:%u: not text", r->file, r->no);
		while (n > 0 && strchr(" \t\r\n", r->buf[n - 1]))
			r->buf[--n] = '\0';
		r->text = r->buf + strspn(r->buf, KEYS_BLANKS);
		if (*r->text && *r->text != '#')
			return 1;
		errno = 0;
	}
	if (ferror(r->f))
		return fail(err, errsize, "%s: %s", r->file, strerror(errno ? errno : EIO));
	return 0;
}

static void reader_done(struct reader *r)
{
	if (r->buf)
		explicit_bzero(r->buf, r->cap);	/* it may have held a secret key */
	free(r->buf);
	if (r->f)
		fclose(r->f);
	r->buf = NULL;
	r->f = NULL;
}

/* The first word of s as a key, NUL-terminated in key; *rest gets what follows it. 0, or -1
 * when that word is not a key. */
static int first_key(const char *s, char key[KEYS_Z85], const char **rest)
{
	size_t len = strcspn(s, KEYS_BLANKS);
	if (len != KEYS_Z85 - 1)
		return -1;
	memcpy(key, s, len);
	key[len] = '\0';
	if (rest)
		*rest = s + len + strspn(s + len, KEYS_BLANKS);
	return keys_z85_to_bin(key, NULL);
}

static int write_all(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes text to a new file (never an existing one) with exactly this mode, umask aside. */
static int write_new(const char *path, mode_t mode, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	int ok = fchmod(fd, mode) == 0 && write_all(fd, text) == 0 && fsync(fd) == 0;
	int saved = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	if (!ok) {
		unlink(path);
		errno = saved;
		return -1;
	}
	return 0;
}

int keys_generate(const char *file, const char *comment, char *err, size_t errsize)
{
	char pubfile[PATH_MAX], host[256], text[128], line[KEYS_LINE_MAX];
	struct keypair kp;
	struct stat st;
	if ((size_t)snprintf(pubfile, sizeof pubfile, "%s.pub", file) >= sizeof pubfile)
		return fail(err, errsize, "%s: path too long", file);
	if (!comment) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "unknown");
		host[sizeof host - 1] = '\0';
		comment = host;
	}
	if (strpbrk(comment, "\r\n") || strlen(comment) > KEYS_LINE_MAX - KEYS_Z85 - 2)
		return fail(err, errsize, "%s: the comment must be one short line", file);
	/* Both files are checked first, so that a refusal leaves nothing half written. */
	const char *exists = lstat(file, &st) == 0 ? file :
			     lstat(pubfile, &st) == 0 ? pubfile : NULL;
	if (exists)
		return fail(err, errsize, "%s: already exists (not overwritten)", exists);
	if (zmq_curve_keypair(kp.pub, kp.sec) != 0)
		return fail(err, errsize, "cannot make a key pair: %s", zmq_strerror(errno));
	snprintf(text, sizeof text, KEYS_HEADER "public %s\nsecret %s\n", kp.pub, kp.sec);
	snprintf(line, sizeof line, "%s %s\n", kp.pub, comment);
	explicit_bzero(&kp, sizeof kp);
	int rc = 0;
	if (write_new(file, 0600, text) != 0) {
		rc = fail(err, errsize, "%s: %s", file,
			  errno == EEXIST ? "already exists (not overwritten)" : strerror(errno));
	} else if (write_new(pubfile, 0644, line) != 0) {
		rc = fail(err, errsize, "%s: %s", pubfile,
			  errno == EEXIST ? "already exists (not overwritten)" : strerror(errno));
		unlink(file);
	}
	explicit_bzero(text, sizeof text);
	return rc;
}

/* The lines of a key pair file, `public Z85` and `secret Z85`, into kp. */
static int parse_pair(struct reader *r, struct keypair *kp, char *err, size_t errsize)
{
	unsigned pub_line = 0, sec_line = 0;
	int rc;
	while ((rc = reader_next(r, err, errsize)) == 1) {
		const char *s = r->text, *value;
		size_t len = strcspn(s, KEYS_BLANKS);
		unsigned *seen = len == 6 && !memcmp(s, "public", 6) ? &pub_line :
				 len == 6 && !memcmp(s, "secret", 6) ? &sec_line : NULL;
		if (!seen)
			return fail(err, errsize, "%s:%u: expected `public KEY` or `secret KEY`",
				    r->file, r->no);
		if (*seen)
			return fail(err, errsize, "%s:%u: %.6s key given twice", r->file, r->no, s);
		value = s + len + strspn(s + len, KEYS_BLANKS);
		if (first_key(value, seen == &pub_line ? kp->pub : kp->sec, &value) != 0 ||
		    *value)
			return fail(err, errsize, "%s:%u: not a Z85 key", r->file, r->no);
		*seen = r->no;
	}
	if (rc < 0)
		return -1;
	if (!pub_line || !sec_line)
		return fail(err, errsize, "%s: no %s key", r->file, pub_line ? "secret" : "public");
	return 0;
}

int keys_load(const char *file, struct keypair *kp, char *err, size_t errsize)
{
	struct reader r = { .file = file };
	struct stat st;
	char derived[KEYS_Z85];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errsize, "%s: %s", file, strerror(errno));
	/* Checked on the file opened, not on its name, which may change in between. */
	if (fstat(fd, &st) != 0) {
		fail(err, errsize, "%s: %s", file, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errsize, "%s: not a regular file", file);
	}
	if (st.st_mode & 077) {
		close(fd);
		return fail(err, errsize, "%s: permissions %04o are too open (must not be "
			    "readable or writable by group or others)", file,
			    (unsigned)(st.st_mode & 07777));
	}
	r.f = fdopen(fd, "r");
	if (!r.f) {
		close(fd);
		return fail(err, errsize, "%s: %s", file, strerror(errno));
	}
	int rc = parse_pair(&r, kp, err, errsize);
	reader_done(&r);
	if (rc == 0 && (zmq_curve_public(derived, kp->sec) != 0 || strcmp(derived, kp->pub)))
		rc = fail(err, errsize, "%s: the public key is not the secret key's", file);
	if (rc != 0)
		explicit_bzero(kp, sizeof *kp);
	return rc;
}

int keys_public(const char *text_or_file, char out[KEYS_Z85], char *err, size_t errsize)
{
	struct reader r = { .file = text_or_file };
	if (keys_z85_to_bin(text_or_file, NULL) == 0) {
		memcpy(out, text_or_file, KEYS_Z85);
		return 0;
	}
	r.f = fopen(text_or_file, "re");
	if (!r.f)
		return fail(err, errsize, "%s: not a key, and cannot be read: %s", text_or_file,
			    strerror(errno));
	int rc = reader_next(&r, err, errsize);
	if (rc == 0)
		rc = fail(err, errsize, "%s: no key in it", text_or_file);
	else if (rc == 1 && first_key(r.text, out, NULL) != 0)
		rc = fail(err, errsize, "%s:%u: not a public key", text_or_file, r.no);
	reader_done(&r);
	return rc < 0 ? -1 : 0;
}

struct keylist *keys_list_new(void)
{
	return calloc(1, sizeof(struct keylist));
}

/* Where key is in l, or would be inserted; *found tells which. */
static size_t list_at(const struct keylist *l, const char *key, int *found)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->v[mid].key, key);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

const char *keys_list_find(const struct keylist *l, const char *z85)
{
	int found;
	if (!l || !z85 || strnlen(z85, KEYS_Z85) != KEYS_Z85 - 1)
		return NULL;
	size_t i = list_at(l, z85, &found);
	if (!found)
		return NULL;
	return l->v[i].name ? l->v[i].name : l->v[i].key;
}

int keys_list_add(struct keylist *l, const char *z85, const char *name)
{
	int found;
	char *copy = NULL;
	if (keys_z85_to_bin(z85, NULL) != 0)
		return -1;
	if (name && *name && !(copy = strdup(name)))
		return -1;
	size_t i = list_at(l, z85, &found);
	if (found) {
		free(l->v[i].name);
		l->v[i].name = copy;
		return 1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct keyentry *v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			free(copy);
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof *l->v);
	memcpy(l->v[i].key, z85, KEYS_Z85);
	l->v[i].name = copy;
	l->n++;
	return 0;
}

size_t keys_list_count(const struct keylist *l)
{
	return l ? l->n : 0;
}

void keys_list_free(struct keylist **l)
{
	if (!*l)
		return;
	for (size_t i = 0; i < (*l)->n; i++)
		free((*l)->v[i].name);
	free((*l)->v);
	free(*l);
	*l = NULL;
}

struct keylist *keys_list_load(const char *file, char *err, size_t errsize)
{
	struct reader r = { .file = file };
	struct keylist *l = keys_list_new();
	char key[KEYS_Z85];
	const char *name;
	int rc;
	if (!l) {
		fail(err, errsize, "%s: out of memory", file);
		return NULL;
	}
	r.f = fopen(file, "re");
	if (!r.f) {
		fail(err, errsize, "%s: %s", file, strerror(errno));
		keys_list_free(&l);
		return NULL;
	}
	while ((rc = reader_next(&r, err, errsize)) == 1) {
		if (first_key(r.text, key, &name) != 0) {
			rc = fail(err, errsize, "%s:%u: expected `KEY [NAME]`, KEY being 40 Z85 "
				  "characters", file, r.no);
			break;
		}
		if (keys_list_find(l, key)) {
			rc = fail(err, errsize, "%s:%u: key listed twice", file, r.no);
			break;
		}
		if (keys_list_add(l, key, name) != 0) {
			rc = fail(err, errsize, "%s: out of memory", file);
			break;
		}
	}
	reader_done(&r);
	if (rc < 0)
		keys_list_free(&l);
	return l;
}
