/* The terminal command table: every command and every bad form of it, against recording
 * stand-ins for the request engine and the output (commands.c only parses and dispatches). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "commands.h"
#include "output.h"
#include "topo.h"

static struct buf calls;	/* what the commands did, one line each */

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	buf_puts(&calls, tmp);
	buf_puts(&calls, "\n");
}

static void rec_create(void *arg, int32_t id, int64_t parent, int host)
{
	if (host)
		record("create %d %lld @%d", (int)id, (long long)parent, host);
	else
		record("create %d %lld", (int)id, (long long)parent);
}

static void rec_ping(void *arg, int32_t id)
{
	record("ping %d", (int)id);
}

static void rec_pingall(void *arg)
{
	record("pingall");
}

static void rec_kill(void *arg, int32_t id)
{
	record("kill %d", (int)id);
}

static void rec_remove(void *arg, int32_t id)
{
	record("remove %d", (int)id);
}

static uint32_t rec_exec_begin(void *arg, int32_t id)
{
	record("exec %d", (int)id);
	return 77;
}

static void rec_exec_feed(void *arg, uint32_t req, const char *data, size_t len)
{
	record("feed %u [%.*s]", req, (int)len, data);
}

static bool structure_busy;
static char waited[64];

static bool rec_waits(void *arg, enum requests_cmd cmd, int32_t id, int64_t parent)
{
	snprintf(waited, sizeof waited, "%d %d %lld", (int)cmd, (int)id, (long long)parent);
	return structure_busy;
}

static void rec_tag(void *arg, uint64_t tag)
{
	(void)tag;	/* the tags are output.c's; nothing here prints through the engine */
}

static void rec_heartbit(void *arg, int32_t ms)
{
	record("heartbit %d", (int)ms);
}

static void rec_quit(void *arg)
{
	record("exit");
}

/* Answers printed by the commands themselves come here instead of stdout. */
static bool rec_heal(void *arg, int on)
{
	(void)arg;
	record("heal %d", on);
	return on != 0;
}

static bool rec_line(void *arg, const char *line, size_t len)
{
	record("%.*s", (int)len, line);
	return true;
}

static const struct commands_ops ops = { rec_create, rec_ping, rec_pingall, rec_kill, rec_remove,
				    rec_exec_begin, rec_exec_feed, rec_waits,
				    rec_heartbit, rec_tag, rec_quit, rec_heal, NULL };
static struct output recorded = { .above = rec_line };
static struct topo *topo;
static struct hosts *hosts;
static struct commands *cm;

/* The command table for exec set `set`. */
static void use_set(const struct cmdset *set)
{
	commands_destroy(&cm);
	cm = commands_new(topo, hosts, TOPO_TREE, set, &recorded, &ops);
	assert_non_null(cm);
}

/* Runs one line; returns what happened, streaming state appended. */
static const char *run(const char *line, bool complete)
{
	uint32_t req = 0;
	int extra = -1;
	buf_reset(&calls);
	if (commands_line(cm, line, strlen(line), complete, &req, &extra))
		record("stream %u extra %d", req, extra);
	return calls.len ? calls.data : "";
}

static int setup(void **state)
{
	static const struct hosts_config cfg = { NULL, NULL, NULL, 1000 };
	static const struct hosts_ops hops = { NULL, NULL, NULL, NULL };
	topo = topo_new(TOPO_TREE);
	hosts = hosts_new(NULL, &cfg, &hops);
	assert_non_null(topo);
	assert_non_null(hosts);
	use_set(&cmdset_sum);
	return 0;
}

static int teardown(void **state)
{
	buf_free(&calls);
	commands_destroy(&cm);
	topo_destroy(&topo);
	hosts_destroy(&hosts);
	return 0;
}

static void test_create(void **state)
{
	assert_string_equal(run("create 1 -1", true), "create 1 -1\n");
	assert_string_equal(run("create 1", true), "create 1 -1\n");
	assert_string_equal(run("\tcreate   7\t3 ", true), "create 7 3\n");
	assert_string_equal(run("create 2147483647 0", true), "create 2147483647 0\n");
	assert_string_equal(run("create", true),
			    "Error: Missing argument; usage: create ID [PARENT] [@HOST]\n");
	assert_string_equal(run("create 1 2 3", true),
			    "Error: Too many arguments; usage: create ID [PARENT] [@HOST]\n");
	assert_string_equal(run("create 1 2 3 @x", true),
			    "Error: Too many arguments; usage: create ID [PARENT] [@HOST]\n");
	assert_string_equal(run("create 1 @nowhere", true), "Error: Host not found\n");
	assert_string_equal(run("create 1 2 @", true), "Error: Host not found\n");
	assert_string_equal(run("create @x", true), "Error: Invalid id '@x'\n");
	assert_string_equal(run("create 1 y @nowhere", true), "Error: Invalid id 'y'\n");
	char line[128], want[128];
	const struct host *self = hosts_get(hosts, HOSTS_LOCAL);
	snprintf(line, sizeof line, "create 4 2 @%s", self->name);
	assert_string_equal(run(line, true), "create 4 2\n");
	snprintf(line, sizeof line, "create 4 @%s", self->name);
	assert_string_equal(run(line, true), "create 4 -1\n");
	snprintf(want, sizeof want, "%s -, 0 nodes, alive, this host\n", self->name);
	assert_string_equal(run("hosts", true), want);
	assert_string_equal(run("create x", true), "Error: Invalid id 'x'\n");
	assert_string_equal(run("create 2147483648", true), "Error: Invalid id '2147483648'\n");
	assert_string_equal(run("create -1", true), "Error: Invalid id '-1'\n");
	assert_string_equal(run("create 1 -2", true), "Error: Invalid id '-2'\n");
	assert_string_equal(run("create 1 y", true), "Error: Invalid id 'y'\n");
}

static void test_node_commands(void **state)
{
	assert_string_equal(run("ping 5", true), "ping 5\n");
	assert_string_equal(run("ping", true), "Error: Missing argument; usage: ping ID\n");
	assert_string_equal(run("ping 5 6", true), "Error: Too many arguments; usage: ping ID\n");
	assert_string_equal(run("ping 0x5", true), "Error: Invalid id '0x5'\n");
	assert_string_equal(run("kill 3", true), "kill 3\n");
	assert_string_equal(run("kill", true), "Error: Missing argument; usage: kill ID\n");
	assert_string_equal(run("remove 4", true), "remove 4\n");
	assert_string_equal(run("remove 1.5", true), "Error: Invalid id '1.5'\n");
	assert_string_equal(run("pingall", true), "pingall\n");
	assert_string_equal(run("pingall 1", true), "Error: Too many arguments; usage: pingall\n");
	assert_string_equal(run("heartbit 200", true), "heartbit 200\n");
	assert_string_equal(run("heartbeat 0", true), "heartbit 0\n");
	assert_string_equal(run("heartbit", true), "Error: Missing argument; usage: heartbit MS\n");
	assert_string_equal(run("heartbit -5", true), "Error: Invalid period '-5'\n");
	assert_string_equal(run("heartbit 1 2", true),
			    "Error: Too many arguments; usage: heartbit MS\n");
	assert_string_equal(run("exit", true), "exit\n");
	assert_string_equal(run("quit", true), "exit\n");
	assert_string_equal(run("exit now", true), "Error: Too many arguments; usage: exit\n");
}

static void test_exec(void **state)
{
	assert_string_equal(run("exec 5 3 1 2 3", true),
			    "exec 5\nfeed 77 [ 3 1 2 3]\nstream 77 extra 0\n");
	assert_string_equal(run("exec 5", true), "exec 5\nfeed 77 []\nstream 77 extra 0\n");
	assert_string_equal(run("exec", true), "Error: Missing argument; usage: exec ID ARGS...\n");
	assert_string_equal(run("exec x 1 2", true), "Error: Invalid id 'x'\n");
	/* a head of a long line: the rest is streamed */
	assert_string_equal(run("exec 9 100000000 1 2", false),
			    "exec 9\nfeed 77 [ 100000000 1 2]\nstream 77 extra 0\n");
	/* a head that ends right after the id might have cut it */
	assert_string_equal(run("exec 12", false), "Error: Line too long\n");
	/* search: a bare exec takes the next two lines */
	use_set(&cmdset_search);
	assert_string_equal(run("exec 4", true), "exec 4\nfeed 77 []\nstream 77 extra 2\n");
	assert_string_equal(run("exec 4  ", true), "exec 4\nfeed 77 [  ]\nstream 77 extra 2\n");
	assert_string_equal(run("exec 4 abab ab", true),
			    "exec 4\nfeed 77 [ abab ab]\nstream 77 extra 0\n");
	use_set(&cmdset_sum);
}

static void test_bad_lines(void **state)
{
	assert_string_equal(run("", true), "");
	assert_string_equal(run("   \t ", true), "");
	assert_string_equal(run("# a comment", true), "");
	assert_string_equal(run("#create 1", true), "");
	assert_string_equal(run("frobnicate 1", true), "Error: Unknown command 'frobnicate'\n");
	assert_string_equal(run("CREATE 1", true), "Error: Unknown command 'CREATE'\n");
	assert_string_equal(run("\x01\xff\xfe garbage", true), "Error: Unknown command '?\?\?'\n");
	assert_string_equal(run("ping 1 2 3 4 5 6", true),
			    "Error: Too many arguments; usage: ping ID\n");
	/* the head of an over-long line that is not an exec */
	assert_string_equal(run("ping 1", false), "Error: Line too long\n");
	assert_string_equal(run("# long comment", false), "");
}

/* Whether a line waits is the engine's to say, from what the line names; a malformed line
 * and a command that touches no node never wait. */
static void test_waits_for_remove(void **state)
{
	structure_busy = true;
	assert_true(commands_waits(cm, "create 5 7", 10));
	assert_string_equal(waited, "0 5 7");
	assert_true(commands_waits(cm, "create 5", 8));
	assert_string_equal(waited, "0 5 -1");
	assert_true(commands_waits(cm, " remove 5", 9));
	assert_string_equal(waited, "4 5 -1");
	assert_true(commands_waits(cm, "exec 6 1 1", 10));
	assert_string_equal(waited, "1 6 -1");
	assert_true(commands_waits(cm, "pingall", 7));
	assert_true(commands_waits(cm, "tree", 4));
	waited[0] = 0;
	assert_false(commands_waits(cm, "ping x", 6));
	assert_false(commands_waits(cm, "create 5 y", 10));
	assert_false(commands_waits(cm, "kill", 4));
	assert_false(commands_waits(cm, "heartbit 10", 11));
	assert_false(commands_waits(cm, "help", 4));
	assert_false(commands_waits(cm, "# remove 5", 10));
	assert_false(commands_waits(cm, "nonsense 5", 10));
	assert_string_equal(waited, "");
	structure_busy = false;
	assert_false(commands_waits(cm, "create 5", 8));
}

static void test_help(void **state)
{
	const char *out = run("help", true);
	const char *names[] = { "create ID [PARENT] [@HOST]", "exec ID N K1 ... KN", "ping ID",
				"pingall", "kill ID", "remove ID", "tree", "hosts", "heartbit MS",
				"exit" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		assert_non_null(strstr(out, names[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_node_commands),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_waits_for_remove),
		cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
