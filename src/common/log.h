/* log.h - diagnostics on stderr, never on stdout (stdout carries answers only). */
#ifndef MQTREE_LOG_H
#define MQTREE_LOG_H

/* Name shown before every diagnostic, e.g. "mqtree" or "mqtree-node 5". */
void log_init(const char *who);
/* MQTREE_DEBUG=1 in the environment turns on log_debug. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For what cannot be survived: prints and exits with status 1. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
