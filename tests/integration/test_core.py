"""Core behaviour of the control node with compute nodes: `--topology tree`, `--exec sum`.

SPEC section 2 (create, exec, ping, pingall, kill, help, exit) and section 4 (sum)."""

import random
import threading
import unittest

from harness import (ANSWER, GONE, PID_LINE, PROMPT, MqTestCase, descendants, numbers_line,
                     stream_sum_line)

INT64_MAX = 2**63 - 1
INT64_MIN = -2**63
COMMANDS = ("create", "exec", "remove", "kill", "ping", "pingall", "heartbit", "tree", "help",
            "exit")
# A command whose answer is immediate, known and unique: marks the end of earlier output.
MARKER, MARKER_ANSWER = "exec 2147483647 1 0", "Error:2147483647: Not found"


class CreateTest(MqTestCase):

    def test_create_answers_pid_of_a_live_compute_node(self):
        ctl = self.start_tree()
        pid = self.create(ctl, 1, -1)
        self.assertIn(pid, descendants([ctl.pid]),
                      "the node's process must be started by the system (below the control)")
        ctl.send("ping 1")
        ctl.expect("Ok: 1")

    def test_create_without_parent_joins_the_control_node(self):
        ctl = self.start_tree()
        self.create(ctl, 1)
        self.create(ctl, 2)
        ctl.send("exec 2 1 4")
        ctl.expect("Ok:2: 4")

    def test_create_of_an_existing_id_is_an_error_and_changes_nothing(self):
        ctl = self.start_tree()
        pid = self.create(ctl, 1, -1)
        self.create(ctl, 2, 1)
        ctl.send("create 1")
        ctl.expect("Error: Already exists")
        ctl.send("create 1 -1")
        ctl.expect("Error: Already exists")
        ctl.send("create 2 -1")
        ctl.expect("Error: Already exists")
        ctl.send("create 1 2")
        ctl.expect("Error: Already exists")
        self.assertEqual(self.subtree_pids(ctl) & {pid}, {pid})
        ctl.send("exec 1 1 10")
        ctl.expect("Ok:1: 10")
        ctl.send("exec 2 1 20")
        ctl.expect("Ok:2: 20")

    def test_create_under_an_unknown_parent_is_an_error(self):
        ctl = self.start_tree()
        ctl.send("create 5 99")
        ctl.expect("Error: Parent not found")
        self.create(ctl, 1, -1)
        ctl.send("create 5 99")
        ctl.expect("Error: Parent not found")
        ctl.send("ping 5")
        ctl.expect("Error: Not found")

    def test_deep_and_wide_tree_answers_everywhere(self):
        ctl = self.start_tree()
        layout = [(1, -1), (2, 1), (3, 1), (4, 2), (5, 4), (6, 5), (7, -1), (8, 7)]
        for node, parent in layout:
            self.create(ctl, node, parent)
        for node, _ in layout:
            ctl.send("exec %d 2 %d 1000" % (node, node))
            ctl.expect("Ok:%d: %d" % (node, node + 1000))
            ctl.send("ping %d" % node)
            ctl.expect("Ok: 1")


class ExecSumTest(MqTestCase):

    def setUp(self):
        super().setUp()
        self.ctl = self.start_tree()
        self.create(self.ctl, 1, -1)

    def check(self, numbers, node=1):
        line, total = numbers_line(node, numbers)
        self.ctl.send(line)
        self.ctl.expect("Ok:%d: %d" % (node, total))

    def test_small_sums(self):
        self.ctl.send("exec 1 3 1 2 3")
        self.ctl.expect("Ok:1: 6")
        self.check([0])
        self.check([-5, 3])
        self.check([-1, -2, -3, -4])
        self.check([7] * 50)

    def test_sums_are_exact_beyond_64_bits(self):
        self.ctl.send("exec 1 2 9223372036854775807 9223372036854775807")
        self.ctl.expect("Ok:1: 18446744073709551614")
        self.ctl.send("exec 1 2 -9223372036854775808 -9223372036854775808")
        self.ctl.expect("Ok:1: -18446744073709551616")
        self.check([INT64_MAX, INT64_MAX, INT64_MIN])
        self.check([INT64_MIN, 1])
        rng = random.Random(7)
        self.check([rng.choice((INT64_MAX, INT64_MIN, INT64_MAX - 1, -1, 12345))
                    for _ in range(5000)])
        self.check([INT64_MAX] * 20000)

    def test_wrong_count_is_an_error_of_the_node(self):
        self.ctl.send("exec 1 3 1 2")
        self.ctl.expect("Error:1: Expected 3 numbers, got 2")
        self.ctl.send("exec 1 1 8")
        self.ctl.expect("Ok:1: 8")

    def test_exec_on_an_unknown_node(self):
        self.ctl.send("exec 7 1 1")
        self.ctl.expect("Error:7: Not found")
        self.ctl.send("exec 1 1 1")
        self.ctl.expect("Ok:1: 1")


class PingTest(MqTestCase):

    def test_ping(self):
        ctl = self.start_tree()
        self.create(ctl, 1, -1)
        ctl.send("ping 1")
        ctl.expect("Ok: 1")
        ctl.send("ping 9")
        ctl.expect("Error: Not found")

    def test_pingall_with_every_node_answering(self):
        ctl = self.start_tree()
        ctl.send("pingall")
        ctl.expect("Ok: -1")
        self.build_chain(ctl, 3)
        self.create(ctl, 4, 1)
        ctl.send("pingall")
        ctl.expect("Ok: -1")


class KillTest(MqTestCase):

    def test_kill_ends_the_whole_subtree_and_nothing_else(self):
        ctl = self.start_tree()
        pids = {}
        for node, parent in [(1, -1), (2, 1), (3, 2), (4, 1), (5, -1), (6, 5)]:
            pids[node] = self.create(ctl, node, parent)
        below = self.subtree_pids(ctl)
        ctl.send("kill 1")
        ctl.expect("Ok")
        self.assert_gone([pids[n] for n in (1, 2, 3, 4)], 2.0 * GONE + 1.0)
        for node in (5, 6):
            self.assertTrue(self.tracker.is_ours_alive(pids[node]),
                            "node %d of another branch was ended by `kill 1`" % node)
        for node in (1, 2, 3, 4):
            ctl.send("ping %d" % node)
            ctl.expect("Error: Not found")
        ctl.send("exec 3 1 1")
        ctl.expect("Error:3: Not found")
        ctl.send("exec 6 1 6")
        ctl.expect("Ok:6: 6")
        # Everything that ran below the killed nodes (helpers included) is gone too.
        self.assert_gone(below - {pids[5], pids[6]}, GONE)
        # The ids are free again.
        self.create(ctl, 1, -1)
        self.create(ctl, 3, 6)
        ctl.send("exec 3 1 3")
        ctl.expect("Ok:3: 3")

    def test_kill_of_an_unknown_node(self):
        ctl = self.start_tree()
        ctl.send("kill 9")
        ctl.expect("Error: Not found")
        self.create(ctl, 1, -1)
        ctl.send("kill 9")
        ctl.expect("Error: Not found")
        ctl.send("ping 1")
        ctl.expect("Ok: 1")


class HelpTest(MqTestCase):

    def test_help_lists_the_commands(self):
        ctl = self.start_tree()
        ctl.send("help")
        ctl.send(MARKER)
        text = "\n".join(ctl.lines_until(MARKER_ANSWER)[:-1])
        self.assertTrue(text.strip(), "help printed nothing")
        for command in COMMANDS:
            self.assertRegex(text, r"\b%s\b" % command, "help does not mention %s" % command)
        self.assertNotRegex(text, r"(?m)^Error", "help printed an error")


class ScriptTest(MqTestCase):
    """A script sent in one go, without waiting for answers (SPEC: commands naming a node whose
    create is not answered yet wait for it)."""

    def test_back_to_back_create_create_exec(self):
        ctl = self.start_tree()
        ctl.send_lines(["create 1 -1", "create 2 1", "exec 2 1 5"])
        self.expect_pid(ctl, 1)
        self.expect_pid(ctl, 2)
        ctl.expect("Ok:2: 5")

    def test_back_to_back_deep_chain(self):
        ctl = self.start_tree()
        lines = ["create %d %d" % (i, i - 1 if i > 1 else -1) for i in range(1, 9)]
        lines += ["exec 8 2 40 2", "ping 8", "exec 4 1 4"]
        ctl.send_lines(lines)
        got = ctl.lines(11)
        created = [l for l in got if PID_LINE.fullmatch(l) and l != "Ok: 1"]  # not the ping
        self.assertEqual(len(created), 8, "answers: %r" % got)
        for i, line in enumerate(created, 1):
            self.record(int(PID_LINE.fullmatch(line).group(1)), "node %d" % i, ctl)
        # exec 4 needs only create 4: its answer may come among the later creates.
        self.assertCountEqual([l for l in got if l not in created],
                              ["Ok:8: 42", "Ok: 1", "Ok:4: 4"])

    def test_answers_of_one_node_keep_their_order(self):
        ctl = self.start_tree()
        self.build_chain(ctl, 2)
        self.create(ctl, 3, -1)
        lines, want = [], {2: [], 3: []}
        for i in range(200):
            for node in (2, 3):
                value = i * 1000 + node
                lines.append("exec %d 2 %d 0" % (node, value))
                want[node].append("Ok:%d: %d" % (node, value))
        ctl.send_lines(lines)
        got = ctl.lines(400, 4 * ANSWER)
        for node in (2, 3):
            mine = [l for l in got if l.startswith("Ok:%d:" % node)]
            self.assertEqual(mine, want[node], "answers of node %d out of order or wrong" % node)


class AsynchronyTest(MqTestCase):

    def test_answers_come_while_a_long_exec_line_is_still_arriving(self):
        """Node 1 is busy with a sum of 3*10^6 numbers whose line is held half written; the
        answer of node 2, asked just before, must still come at once."""
        ctl = self.start_tree()
        self.create(ctl, 1, -1)
        self.create(ctl, 2, -1)
        hold = threading.Event()
        self.addCleanup(hold.set)
        chunk = list(range(-499, 1501))                     # 2000 numbers
        stream, total = stream_sum_line(1, chunk, 1500, hold=hold, hold_after=700)
        ctl.send("exec 2 1 5")
        ctl.send_raw(stream)
        try:
            ctl.expect("Ok:2: 5", 2 * PROMPT)
        finally:
            hold.set()
        ctl.expect("Ok:1: %d" % total, 6 * ANSWER)
        ctl.send("exec 2 1 6")
        ctl.expect("Ok:2: 6")

    def test_big_pipelined_lines_then_another_node(self):
        """Twenty pipelined sums of 2*10^5 numbers to node 1, then one to node 2: every answer
        comes, exact, and node 1's in order."""
        ctl = self.start_tree()
        self.create(ctl, 1, -1)
        self.create(ctl, 2, -1)
        big, total = numbers_line(1, list(range(200000)))
        ctl.send_lines([big] * 20 + ["exec 2 1 5"])
        got = ctl.lines(21, 12 * ANSWER)
        self.assertEqual([l for l in got if l.startswith("Ok:1:")], ["Ok:1: %d" % total] * 20)
        self.assertIn("Ok:2: 5", got)


class ExitTest(MqTestCase):

    def check_exit(self, command):
        ctl = self.start_tree()
        ctl.send_lines(["create 1 -1", "create 2 1", "create 3 2", "exec 3 1 5", "exec 1 2 1 1"])
        rest = self.exit_cleanly(ctl, command)
        self.assertEqual(len(rest), 5, "answers printed before the end: %r" % rest)
        created = [l for l in rest if PID_LINE.fullmatch(l)]
        self.assertEqual(len(created), 3, "create answers among %r" % rest)
        self.assertCountEqual([l for l in rest if l not in created], ["Ok:3: 5", "Ok:1: 2"])

    def test_exit_prints_pending_answers_then_ends_everything(self):
        self.check_exit("exit")

    def test_quit_acts_as_exit(self):
        self.check_exit("quit")

    def test_end_of_input_acts_as_exit(self):
        self.check_exit(None)

    def test_exit_after_interactive_use(self):
        ctl = self.start_tree()
        self.build_chain(ctl, 4)
        self.create(ctl, 5, 2)
        ctl.send("exec 5 1 1")
        ctl.expect("Ok:5: 1")
        self.assertEqual(self.exit_cleanly(ctl, "exit"), [])

    def test_end_of_input_waits_for_a_create_beyond_the_timeout(self):
        """`printf 'create 1\\n' | mqtree -T 1`: the parent is the control node itself, and
        a create has its own window for the new node's hello, so end of input right after
        it still answers `Ok: PID`, never `Parent is unavailable`."""
        ctl = self.start_tree("-T", "1")
        ctl.send_lines(["create 1", "create 2 -1"])
        rest = self.exit_cleanly(ctl, None)
        self.assertEqual(len(rest), 2, "answers at end of input: %r" % rest)
        for line in rest:
            self.assertRegex(line, PID_LINE)

    def test_exit_without_nodes(self):
        ctl = self.start_tree()
        self.assertEqual(self.exit_cleanly(ctl, "exit"), [])


class TwoControlsTest(MqTestCase):

    def test_two_control_nodes_do_not_disturb_each_other(self):
        a, b = self.start_tree(), self.start_tree()
        pa = self.build_chain(a, 3)
        pb = self.build_chain(b, 3)
        self.assertFalse(set(pa.values()) & set(pb.values()))
        self.assertFalse(descendants([a.pid]) & descendants([b.pid]))
        a.send("exec 3 1 111")
        b.send("exec 3 1 222")
        a.expect("Ok:3: 111")
        b.expect("Ok:3: 222")
        # The end of one system leaves the other one whole.
        self.exit_cleanly(a, "exit")
        for node in (1, 2, 3):
            b.send("ping %d" % node)
            b.expect("Ok: 1")
        self.create(b, 4, 3)
        b.send("exec 4 1 444")
        b.expect("Ok:4: 444")
        b.send("pingall")
        b.expect("Ok: -1")
        self.exit_cleanly(b, "exit")


if __name__ == "__main__":
    unittest.main()
