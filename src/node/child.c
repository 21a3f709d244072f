/* child.c - a compute node's records of its children (child.h). */
#include "child.h"

#include <stdlib.h>
#include <string.h>

#include "inflight.h"
#include "log.h"

/* Any record of child id, whatever its state. */
struct child *child_find(struct node *n, int32_t id)
{
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i].id == id)
			return &n->children[i];
	return NULL;
}

struct child *child_up(struct node *n, int32_t id)
{
	struct child *c = child_find(n, id);
	return c && c->state == CHILD_UP ? c : NULL;
}

struct child *child_by_pid(struct node *n, pid_t pid)
{
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i].spawned && n->children[i].pid == pid)
			return &n->children[i];
	return NULL;
}

struct child *child_add(struct node *n, int32_t id)
{
	if (n->nchildren == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 4;
		struct child *c = realloc(n->children, cap * sizeof *c);
		if (!c)
			log_fatal("out of memory");
		n->children = c;
		n->cap = cap;
	}
	struct child *c = &n->children[n->nchildren++];
	memset(c, 0, sizeof *c);
	c->id = id;
	return c;
}

void child_remove(struct node *n, struct child *c)
{
	inflight_drop_child(n->inflight, c->id);
	*c = n->children[--n->nchildren];
}
