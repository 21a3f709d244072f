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
		"      --heal         when a node dies, its children re-attach where 'remove'\n"
		"                     would put them, and keep their state ('heal on|off')\n"
		"      --listen=ADDR:PORT  let agents on other hosts join (mqtree-node --join):\n"
		"                     ADDR is this host's address as the others reach it\n"
		"      --key=FILE     this host's key pair, with --listen (mqtree-node keygen FILE)\n"
		"      --allow=FILE   the public keys of the hosts that may join, one a line\n"
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

/* ADDR:PORT with a port, and an address the nodes of other hosts can be told to connect to
 * (not a wildcard). */
static bool listen_ok(const char *arg)
{
	const char *colon = strrchr(arg, ':');
	struct word port = { colon ? colon + 1 : "", colon ? strlen(colon + 1) : 0 };
	int64_t p;
	return colon && colon > arg && parse_uint(&port, 65535, &p) == 0 && p > 0 &&
	       strncmp(arg, "*:", 2) != 0 && strncmp(arg, "0.0.0.0:", 8) != 0 &&
	       (size_t)(colon - arg) < 48;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "exec", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "ordered", no_argument, NULL, 'o' },
		{ "heal", no_argument, NULL, 'H' },
		{ "listen", required_argument, NULL, 'L' },
		{ "key", required_argument, NULL, 'K' },
		{ "allow", required_argument, NULL, 'A' },
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
		case 'H':
			c.heal = true;
			break;
		case 'L':
			if (!listen_ok(optarg))
				return bad("invalid listen address (ADDR:PORT, ADDR an address of "
					   "this host the others reach)", optarg);
			c.listen = optarg;
			break;
		case 'K':
			c.key_file = optarg;
			break;
		case 'A':
			c.allow_file = optarg;
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
	if (c.listen && (!c.key_file || !c.allow_file))
		return bad("--listen needs --key=FILE and --allow=FILE; a key pair is made with "
			   "mqtree-node keygen FILE, for", c.listen);
	log_init("mqtree");
	c.interactive = !c.quiet && isatty(STDIN_FILENO);
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	return control_run(&c);
}
