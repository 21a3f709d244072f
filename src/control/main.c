/* main.c - `mqtree [OPTIONS]`: the control node. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "parse.h"
#include "topo.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mqtree [OPTIONS]\n"
		"Reads commands (type 'help') and runs them on a tree of compute nodes.\n"
		"  -t, --topology=list|tree|bst|balanced  how nodes are joined (default tree)\n"
		"  -e, --exec=%s         what exec does (default sum)\n"
		"  -T, --timeout=MS   silence after which a node is unavailable (default 1000)\n"
		"  -q, --quiet        no prompt and no banner\n"
		"  -o, --ordered      answers in the order the commands were given (the work\n"
		"                     stays concurrent)\n"
		"  -h, --help         this help\n"
		"  -V, --version      the version\n",
		cmdset_names());
}

/* A one-line reason, then the usage: exit status 2. */
static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "mqtree: %s '%s'\n", what, arg);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "exec", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "ordered", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct control_options c;
	memset(&c, 0, sizeof c);
	c.kind = TOPO_TREE;
	c.set = &cmdset_sum;
	c.timeout_ms = 1000;
	int opt;
	int64_t ms;
	opterr = 0;	/* our own one-line reasons */
	while ((opt = getopt_long(argc, argv, ":t:e:T:qohV", opts, NULL)) != -1) {
		struct word tok = { optarg, optarg ? strlen(optarg) : 0 };
		switch (opt) {
		case 't':
			if (topo_kind_parse(optarg, &c.kind) < 0)
				return bad("unknown topology", optarg);
			break;
		case 'e':
			if (!(c.set = cmdset_find(optarg)))
				return bad("unknown command set", optarg);
			break;
		case 'T':
			if (parse_uint(&tok, 86400000, &ms) < 0 || ms < 1)
				return bad("invalid timeout (milliseconds, 1 or more)", optarg);
			c.timeout_ms = (int)ms;
			break;
		case 'q':
			c.quiet = true;
			break;
		case 'o':
			c.ordered = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mqtree %s\n", MQTREE_VERSION);
			return 0;
		case ':':
			return bad("option needs a value", argv[optind - 1]);
		default:
			return bad("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument", argv[optind]);
	log_init("mqtree");
	c.interactive = !c.quiet && isatty(STDIN_FILENO);
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	return control_run(&c);
}
