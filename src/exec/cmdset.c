/* cmdset.c - the table of command sets; a new set is one file and one line here. */
#include "cmdset.h"

#include <string.h>

static const struct cmdset *const cmdset_table[] = {
	&cmdset_sum, &cmdset_dict, &cmdset_timer, &cmdset_search,
};

const struct cmdset *cmdset_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cmdset_table) / sizeof(cmdset_table[0]); i++)
		if (strcmp(cmdset_table[i]->name, name) == 0)
			return cmdset_table[i];
	return NULL;
}

const char *cmdset_names(void)
{
	/* Spelled out rather than built, so it needs no lock; test_cmdset checks it against the
	 * table. */
	return "sum|dict|timer|search";
}
