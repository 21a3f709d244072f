/* log.h - diagnostics on stderr, never on stdout (stdout carries answers only). */
#ifndef MQTREE_LOG_H
#define MQTREE_LOG_H

/* Name shown before every diagnostic, e.g. "mqtree" or "mqtree-node 5". */
void log_init(const char *who);
/* MQTREE_DEBUG=1 in the environment turns on log_debug. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For what cannot be survived: prints and exits with status 1.
 *
 * Running out of memory is handled this one way: the data structures (common/, topo, idmap,
 * inflight) return failure to their caller, and the process's own parts (control/, node/)
 * then end with log_fatal("out of memory"). A control node that cannot allocate cannot keep
 * its promises, and its status tells a script so; a compute node that ends is reported lost
 * by its parent, which is a fault the tree already survives. Only an exec's input too large
 * to hold is answered, as that request's error (token_oom). */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
