/* topo_types.h - a node of the control node's tree model (topo.h), on its own so that the
 * model's private layout (topo_impl.h) can use it without the model's interface. */
#ifndef MQTREE_TOPO_TYPES_H
#define MQTREE_TOPO_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

#define TOPO_ROOT (-1)	/* the control node, as a parent */
#define TOPO_NONE (-2)	/* no node */
#define TOPO_DEAD (-3)	/* as a parent: a dead node whose children were healed away */
#define TOPO_ID_MAX 2147483647

enum topo_kind { TOPO_LIST, TOPO_TREE, TOPO_BST, TOPO_BALANCED };

enum node_state {
	NODE_PENDING,	/* create sent, HELLO not yet seen */
	NODE_UP,	/* joined and reachable as far as we know */
	NODE_LOST,	/* dead, or below a dead node: unavailable */
};

struct topo_node {
	int32_t id;
	int32_t parent;		/* TOPO_ROOT for the control node's own children */
	int side;		/* bst and balanced: 0 left, 1 right child of parent; else 0 */
	enum node_state state;
	pid_t pid;		/* 0 until known */
	int host;		/* the host it runs on (hosts.h; 0: the control's) */
	char endpoint[PROTO_ENDPOINT_MAX];	/* where its children connect; "" until known */
	int32_t *children;	/* ordered: list/tree by insertion; bst/balanced left before right */
	size_t nchildren;
	size_t cap;
	size_t size;		/* nodes in its subtree, itself included */
	int32_t root;		/* the depth-1 node it is below (itself at depth 1): the control
				 * node's link that its messages arrive on */
	void *user;		/* the control node's own per-node data */
};

#endif
