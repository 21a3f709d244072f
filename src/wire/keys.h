/* keys.h - CURVE key pairs and lists of allowed keys, kept in files the way ssh keeps them.
 *
 * A key pair lives in two files written by keys_generate:
 *
 *   FILE (mode 0600)        # mqtree key pair
 *                           public Z85
 *                           secret Z85
 *   FILE.pub (mode 0644)    Z85 COMMENT
 *
 * keys_load refuses a FILE that group or others may read or write, as ssh does: a secret
 * key others could read is no longer secret.
 *
 * An allowed-keys list (like authorized_keys) has one key a line, `Z85 [NAME]`, NAME being the
 * rest of the line (a .pub file's line can be appended as it is). Blank lines and lines
 * starting with '#' are ignored: no key starts with '#', its first digit would overflow 32
 * bits.
 *
 * Keys are Z85 text, 40 characters: only text that decodes to 32 bytes and encodes back to
 * the same characters counts as a key. Functions that read files return -1 (or NULL) with a
 * one-line reason in err, naming the file (and line); the caller prints it.
 */
#ifndef MQTREE_KEYS_H
#define MQTREE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_Z85 41	/* 40 Z85 characters and the NUL */

struct keypair {
	char pub[KEYS_Z85];
	char sec[KEYS_Z85];
};

/* Writes a new key pair to FILE and its public key to FILE.pub; comment NULL: the host name.
 * Never overwrites: if either file exists, nothing is written. 0, or -1 with err. */
int keys_generate(const char *file, const char *comment, char *err, size_t errsize);
/* Reads the key pair in FILE into kp, checking its permissions, both keys, and that the
 * public key is the secret key's. 0, or -1 with err. */
int keys_load(const char *file, struct keypair *kp, char *err, size_t errsize);
/* A public key given as its 40 Z85 characters, or else the path of a .pub file (the first
 * word of its first line that is not a comment). 0 with out, or -1 with err. */
int keys_public(const char *text_or_file, char out[KEYS_Z85], char *err, size_t errsize);

struct keylist;

struct keylist *keys_list_new(void);	/* empty; NULL when out of memory */
/* Reads an allowed-keys file; a malformed line is an error naming the file and the line,
 * and so is a key listed twice. NULL with err. */
struct keylist *keys_list_load(const char *file, char *err, size_t errsize);
/* The name kept with key z85, the key itself when it has none, NULL when it is not listed. */
const char *keys_list_find(const struct keylist *l, const char *z85);
/* Adds a key (name NULL or "": none). 0 when added, 1 when it was there (its name is
 * replaced), -1 when z85 is not a key or memory ran out. */
int keys_list_add(struct keylist *l, const char *z85, const char *name);
size_t keys_list_count(const struct keylist *l);
void keys_list_free(struct keylist **l);	/* and sets *l to NULL */

/* 0 when z85 is a key (out may be NULL to only check it), else -1. */
int keys_z85_to_bin(const char *z85, uint8_t out[32]);
void keys_bin_to_z85(const uint8_t in[32], char out[KEYS_Z85]);

#endif
