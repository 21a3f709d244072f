/* control.h - the control node: its options, and the loop (control.c) that wires the
 * downlink, the request engine (requests.h), moves, heartbit, the commands and the console
 * together and hands each event to them. */
#ifndef MQTREE_CONTROL_H
#define MQTREE_CONTROL_H

#include <limits.h>
#include <stdbool.h>

#include "cmdset.h"
#include "topo_types.h"

struct control_options {
	enum topo_kind kind;
	const struct cmdset *set;
	int timeout_ms;
	bool quiet;
	bool ordered;		/* answers print in the order the commands were given */
	bool heal;		/* a dead node's children live on, re-attached (requests_set_heal) */
	bool interactive;	/* stdin is a terminal and not --quiet: prompt, line editing */
	const char *listen;	/* ADDR:PORT agents of other hosts join on, or NULL */
	const char *key_file;	/* with listen: the control's key pair */
	const char *allow_file;	/* with listen: the keys of the hosts that may join */
};

/* Runs the control node until exit; its exit status. */
int control_run(const struct control_options *opt);

#endif
