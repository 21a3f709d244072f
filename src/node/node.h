/* node.h - a compute node: one process, one loop, one worker thread for exec. */
#ifndef MQTREE_NODE_H
#define MQTREE_NODE_H

#include "node_types.h"

/* Runs the node until it ends; returns the exit status. */
int node_run(struct node *n);

#endif
