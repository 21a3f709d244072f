/* main.c - `mqtree-node --id=ID --parent=ENDPOINT --exec=SET --dir=DIR`: started by the
 * control node or by a parent compute node, never by hand. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "node.h"
#include "parse.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mqtree-node --id=ID --parent=ENDPOINT --exec=%s --dir=DIR\n"
		"A compute node of mqtree; the control node (mqtree) starts it.\n",
		cmdset_names());
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "parent", required_argument, NULL, 'p' },
		{ "exec", required_argument, NULL, 'e' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct node n;
	const char *id = NULL;
	memset(&n, 0, sizeof n);
	n.set = &cmdset_sum;
	int c;
	while ((c = getopt_long(argc, argv, "i:p:e:d:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			id = optarg;
			break;
		case 'p':
			n.parent_endpoint = optarg;
			break;
		case 'd':
			n.dir = optarg;
			break;
		case 'e':
			n.set = cmdset_find(optarg);
			if (!n.set) {
				fprintf(stderr, "mqtree-node: unknown command set '%s'\n", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mqtree-node %s\n", MQTREE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	struct word t = { id, id ? strlen(id) : 0 };
	if (!id || parse_id(&t, &n.id) < 0 || !n.parent_endpoint || !n.dir || optind != argc) {
		fprintf(stderr, "mqtree-node: --id, --parent and --dir are required\n");
		usage(stderr);
		return 2;
	}
	char who[48];
	snprintf(who, sizeof who, "mqtree-node %d", (int)n.id);
	log_init(who);
	ssize_t len = readlink("/proc/self/exe", n.program, sizeof n.program - 1);
	if (len <= 0)
		log_fatal("cannot find own executable");
	n.program[len] = '\0';
	return node_run(&n);
}
