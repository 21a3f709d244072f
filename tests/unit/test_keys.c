/* Key files: a generated pair loads back and matches its .pub file; files others may read or
 * write, existing files, mismatched and malformed keys are refused with a reason; allowed-key
 * lists parse, and name the line they cannot parse. Every file lives in a fresh temporary
 * directory, removed after each test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "keys.h"

struct dir {
	char path[64];
	char file[PATH_MAX];	/* scratch: a path in it */
	char err[512];
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof *d);
	assert_non_null(d);
	snprintf(d->path, sizeof d->path, "/tmp/mqtree-keys-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	DIR *dir = opendir(d->path);
	struct dirent *e;
	char path[PATH_MAX];
	assert_non_null(dir);
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof path, "%s/%s", d->path, e->d_name);
			assert_int_equal(unlink(path), 0);
		}
	closedir(dir);
	assert_int_equal(rmdir(d->path), 0);
	free(d);
	return 0;
}

static const char *in(struct dir *d, const char *name)
{
	snprintf(d->file, sizeof d->file, "%s/%s", d->path, name);
	return d->file;
}

static void write_file(const char *path, mode_t mode, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void read_file(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_generate_load(void **state)
{
	struct dir *d = *state;
	char file[PATH_MAX], pubfile[PATH_MAX], text[256], line[256], derived[KEYS_Z85];
	char pub[KEYS_Z85];
	struct keypair kp;
	snprintf(file, sizeof file, "%s", in(d, "node"));
	snprintf(pubfile, sizeof pubfile, "%s", in(d, "node.pub"));
	assert_int_equal(keys_generate(file, "node-7 at work", d->err, sizeof d->err), 0);
	assert_int_equal(mode_of(file), 0600);
	assert_int_equal(mode_of(pubfile), 0644);
	assert_int_equal(keys_load(file, &kp, d->err, sizeof d->err), 0);
	assert_int_equal(zmq_curve_public(derived, kp.sec), 0);
	assert_string_equal(derived, kp.pub);

	read_file(file, text, sizeof text);
	assert_true(strncmp(text, "# mqtree key pair\n", 18) == 0);
	read_file(pubfile, text, sizeof text);
	snprintf(line, sizeof line, "%s node-7 at work\n", kp.pub);
	assert_string_equal(text, line);

	assert_int_equal(keys_public(pubfile, pub, d->err, sizeof d->err), 0);
	assert_string_equal(pub, kp.pub);
	assert_int_equal(keys_public(kp.pub, pub, d->err, sizeof d->err), 0);
	assert_string_equal(pub, kp.pub);

	/* Binary and back. */
	uint8_t bin[32];
	assert_int_equal(keys_z85_to_bin(kp.pub, bin), 0);
	keys_bin_to_z85(bin, pub);
	assert_string_equal(pub, kp.pub);
}

static void test_default_comment(void **state)
{
	struct dir *d = *state;
	char host[256], text[512], *space;
	assert_int_equal(gethostname(host, sizeof host), 0);
	assert_int_equal(keys_generate(in(d, "k"), NULL, d->err, sizeof d->err), 0);
	read_file(in(d, "k.pub"), text, sizeof text);
	space = strchr(text, ' ');
	assert_non_null(space);
	assert_int_equal(space - text, KEYS_Z85 - 1);
	text[strlen(text) - 1] = '\0';
	assert_string_equal(space + 1, host);
}

static void test_no_overwrite(void **state)
{
	struct dir *d = *state;
	char file[PATH_MAX], before[256], after[256];
	snprintf(file, sizeof file, "%s", in(d, "k"));
	assert_int_equal(keys_generate(file, "a", d->err, sizeof d->err), 0);
	read_file(file, before, sizeof before);
	assert_int_equal(keys_generate(file, "b", d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "already exists"));
	assert_non_null(strstr(d->err, file));
	read_file(file, after, sizeof after);
	assert_string_equal(before, after);

	/* Only the .pub file there: refused too, and no key file is left behind. */
	write_file(in(d, "other.pub"), 0644, "x\n");
	snprintf(file, sizeof file, "%s", in(d, "other"));
	assert_int_equal(keys_generate(file, "c", d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "other.pub: already exists"));
	assert_int_equal(access(file, F_OK), -1);
}

static void test_too_open(void **state)
{
	struct dir *d = *state;
	static const mode_t modes[] = { 0640, 0604, 0620, 0602, 0644, 0660 };
	char file[PATH_MAX], want[PATH_MAX + 64];
	struct keypair kp;
	snprintf(file, sizeof file, "%s", in(d, "k"));
	assert_int_equal(keys_generate(file, "a", d->err, sizeof d->err), 0);
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		assert_int_equal(chmod(file, modes[i]), 0);
		assert_int_equal(keys_load(file, &kp, d->err, sizeof d->err), -1);
		snprintf(want, sizeof want, "%s: permissions %04o are too open", file,
			 (unsigned)modes[i]);
		assert_true(strncmp(d->err, want, strlen(want)) == 0);
	}
	assert_int_equal(chmod(file, 0400), 0);
	assert_int_equal(keys_load(file, &kp, d->err, sizeof d->err), 0);
}

static void test_mismatch_malformed(void **state)
{
	struct dir *d = *state;
	char a_pub[KEYS_Z85], a_sec[KEYS_Z85], b_pub[KEYS_Z85], b_sec[KEYS_Z85];
	char text[512], bad[KEYS_Z85];
	struct keypair kp;
	assert_int_equal(zmq_curve_keypair(a_pub, a_sec), 0);
	assert_int_equal(zmq_curve_keypair(b_pub, b_sec), 0);

	snprintf(text, sizeof text, "# mqtree key pair\npublic %s\nsecret %s\n", b_pub, a_sec);
	write_file(in(d, "k"), 0600, text);
	assert_int_equal(keys_load(d->file, &kp, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "the public key is not the secret key's"));

	/* Comments, blank lines, CR LF and either order are fine. */
	snprintf(text, sizeof text, "\n# c\r\n  secret %s \r\npublic\t%s\n", a_sec, a_pub);
	write_file(d->file, 0600, text);
	assert_int_equal(keys_load(d->file, &kp, d->err, sizeof d->err), 0);
	assert_string_equal(kp.pub, a_pub);
	assert_string_equal(kp.sec, a_sec);

	snprintf(bad, sizeof bad, "%s", a_sec);
	bad[7] = '"';	/* not a Z85 digit */
	snprintf(text, sizeof text, "public %s\nsecret %s\n", a_pub, bad);
	write_file(d->file, 0600, text);
	assert_int_equal(keys_load(d->file, &kp, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "k:2: not a Z85 key"));

	/* Z85 digits, but a group over 32 bits. */
	snprintf(text, sizeof text, "public %s\nsecret #%.39s\n", a_pub, a_sec);
	write_file(d->file, 0600, text);
	assert_int_equal(keys_load(d->file, &kp, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "k:2: not a Z85 key"));

	snprintf(text, sizeof text, "public %s\nsecret %.39s\n", a_pub, a_sec);
	write_file(d->file, 0600, text);
	assert_int_equal(keys_load(d->file, &kp, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "k:2: not a Z85 key"));

	snprintf(text, sizeof text, "public %s\n", a_pub);
	write_file(d->file, 0600, text);
	assert_int_equal(keys_load(d->file, &kp, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "no secret key"));

	snprintf(text, sizeof text, "public %s\npublic %s\nsecret %s\n", a_pub, a_pub, a_sec);
	write_file(d->file, 0600, text);
	assert_int_equal(keys_load(d->file, &kp, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "k:2: public key given twice"));

	snprintf(text, sizeof text, "public %s\nsecret %s\nport 5\n", a_pub, a_sec);
	write_file(d->file, 0600, text);
	assert_int_equal(keys_load(d->file, &kp, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "k:3: expected"));

	assert_int_equal(keys_load(in(d, "none"), &kp, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "none: No such file"));
}

static void test_public(void **state)
{
	struct dir *d = *state;
	char pub[KEYS_Z85], sec[KEYS_Z85], out[KEYS_Z85], text[256];
	assert_int_equal(zmq_curve_keypair(pub, sec), 0);

	snprintf(text, sizeof text, "# the control node\n\n%s control\n", pub);
	write_file(in(d, "control.pub"), 0644, text);
	assert_int_equal(keys_public(d->file, out, d->err, sizeof d->err), 0);
	assert_string_equal(out, pub);

	write_file(d->file, 0644, "# nothing\n");
	assert_int_equal(keys_public(d->file, out, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "no key"));

	snprintf(text, sizeof text, "public %s\n", pub);	/* the key pair file, not .pub */
	write_file(d->file, 0644, text);
	assert_int_equal(keys_public(d->file, out, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "control.pub:1: not a public key"));

	assert_int_equal(keys_public("tooshort", out, d->err, sizeof d->err), -1);
	assert_non_null(strstr(d->err, "tooshort: not a key"));
}

static void test_list(void **state)
{
	struct dir *d = *state;
	char k[4][KEYS_Z85], sec[KEYS_Z85], text[1024];
	struct keylist *l;
	for (int i = 0; i < 4; i++)
		assert_int_equal(zmq_curve_keypair(k[i], sec), 0);
	snprintf(text, sizeof text, "# allowed nodes\n\n%s node-1\n  %s\t node 2 at work \n"
		 "%s\n", k[0], k[1], k[2]);
	write_file(in(d, "allowed"), 0644, text);
	l = keys_list_load(d->file, d->err, sizeof d->err);
	assert_non_null(l);
	assert_int_equal(keys_list_count(l), 3);
	assert_string_equal(keys_list_find(l, k[0]), "node-1");
	assert_string_equal(keys_list_find(l, k[1]), "node 2 at work");
	assert_string_equal(keys_list_find(l, k[2]), k[2]);
	assert_null(keys_list_find(l, k[3]));
	assert_null(keys_list_find(l, "short"));

	/* Learned at run time. */
	assert_int_equal(keys_list_add(l, k[3], "late"), 0);
	assert_string_equal(keys_list_find(l, k[3]), "late");
	assert_int_equal(keys_list_add(l, k[3], NULL), 1);
	assert_string_equal(keys_list_find(l, k[3]), k[3]);
	assert_int_equal(keys_list_add(l, "not a key", NULL), -1);
	assert_int_equal(keys_list_count(l), 4);
	keys_list_free(&l);
	assert_null(l);

	/* Many keys, found again. */
	static char many[300][KEYS_Z85];
	l = keys_list_new();
	assert_non_null(l);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(zmq_curve_keypair(many[i], sec), 0);
		assert_int_equal(keys_list_add(l, many[i], i % 2 ? "odd" : NULL), 0);
	}
	for (int i = 0; i < 300; i++)
		assert_string_equal(keys_list_find(l, many[i]), i % 2 ? "odd" : many[i]);
	keys_list_free(&l);
}

static void list_refused(struct dir *d, const char *text, const char *want)
{
	write_file(in(d, "allowed"), 0644, text);
	assert_null(keys_list_load(d->file, d->err, sizeof d->err));
	assert_non_null(strstr(d->err, d->file));
	assert_non_null(strstr(d->err, want));
}

static void test_list_malformed(void **state)
{
	struct dir *d = *state;
	char k[KEYS_Z85], sec[KEYS_Z85], text[1024];
	assert_int_equal(zmq_curve_keypair(k, sec), 0);
	snprintf(text, sizeof text, "%s a\n\n# c\nnotakey b\n", k);
	list_refused(d, text, "allowed:4: expected `KEY [NAME]`");
	snprintf(text, sizeof text, "%s a\n%.39s\n", k, k);
	list_refused(d, text, "allowed:2: expected");
	snprintf(text, sizeof text, "# c\n%sx\n", k);
	list_refused(d, text, "allowed:2: expected");
	snprintf(text, sizeof text, "%s a\n  %s b\n", k, k);
	list_refused(d, text, "allowed:2: key listed twice");
	assert_null(keys_list_load(in(d, "none"), d->err, sizeof d->err));
	assert_non_null(strstr(d->err, "none: No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generate_load, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_default_comment, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_no_overwrite, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_too_open, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_mismatch_malformed, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_public, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_list, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_list_malformed, dir_setup, dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
