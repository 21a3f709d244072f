/* main.c - mqtree-node, in one of three roles:
 *
 *   mqtree-node keygen FILE [COMMENT]       writes a host's key pair (FILE, FILE.pub)
 *   mqtree-node --join tcp://HOST:PORT ...  a host's agent (agent.h), started by hand
 *   mqtree-node --id=ID --parent=... ...    a compute node, started by its parent or an agent
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "keys.h"
#include "log.h"
#include "node.h"
#include "parse.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mqtree-node --join tcp://HOST:PORT --key FILE --control-key KEY\n"
		"                   [--name NAME] [--address ADDR] [--timeout MS]\n"
		"       mqtree-node keygen FILE [COMMENT]\n"
		"\n"
		"--join makes this host's agent: it joins the control node listening there\n"
		"(mqtree --listen) and starts compute nodes here when it asks. --key is this\n"
		"host's key pair (made by keygen; the control must list FILE.pub in its allowed\n"
		"keys), --control-key the control host's public key or its .pub file. The nodes\n"
		"this agent starts end when it does.\n"
		"\n"
		"Compute nodes themselves are started by mqtree, never by hand:\n"
		"  mqtree-node --id=ID --parent=ENDPOINT --exec=%s --dir=DIR\n"
		"              [--key=FILE --server-key=KEY --address=ADDR --timeout=MS --agent=PID\n"
		"               --control=ENDPOINT --control-key=KEY]\n",
		cmdset_names());
}

static int keygen(int argc, char **argv)
{
	char err[512];
	if (argc < 3 || argc > 4) {
		usage(stderr);
		return 2;
	}
	if (keys_generate(argv[2], argc == 4 ? argv[3] : NULL, err, sizeof err) < 0) {
		fprintf(stderr, "mqtree-node: %s\n", err);
		return 1;
	}
	printf("wrote %s (secret, mode 0600) and %s.pub\n", argv[2], argv[2]);
	return 0;
}

static int number(const char *text, int *out)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (!*text || *end || v < 1 || v > 3600000)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "parent", required_argument, NULL, 'p' },
		{ "exec", required_argument, NULL, 'e' },
		{ "dir", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "server-key", required_argument, NULL, 's' },
		{ "address", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "agent", required_argument, NULL, 'A' },
		{ "join", required_argument, NULL, 'j' },
		{ "control-key", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct node n;
	struct agent_options ag = { .timeout_ms = 2000 };
	const char *id = NULL;
	int agent_pid = 0;
	if (argc > 1 && strcmp(argv[1], "keygen") == 0)
		return keygen(argc, argv);
	memset(&n, 0, sizeof n);
	n.set = &cmdset_sum;
	n.timeout_ms = 1000;
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
		case 'k':
			n.key_file = ag.key_file = optarg;
			break;
		case 's':
			n.server_key = optarg;
			break;
		case 'a':
			n.address = ag.address = optarg;
			break;
		case 'T':
			if (number(optarg, &n.timeout_ms) < 0) {
				fprintf(stderr, "mqtree-node: bad --timeout '%s'\n", optarg);
				return 2;
			}
			ag.timeout_ms = n.timeout_ms;
			break;
		case 'A':
			if (number(optarg, &agent_pid) < 0)
				return 2;
			n.agent = agent_pid;
			break;
		case 'j':
			ag.endpoint = optarg;
			break;
		case 'c':
			ag.control_key = n.control_key = optarg;
			break;
		case 'C':
			n.control = optarg;
			break;
		case 'n':
			ag.name = optarg;
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
	if (ag.endpoint) {
		if (!ag.key_file || !ag.control_key || optind != argc) {
			fprintf(stderr, "mqtree-node: --join needs --key and --control-key\n");
			usage(stderr);
			return 2;
		}
		log_init("mqtree-node");
		return agent_run(&ag);
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
