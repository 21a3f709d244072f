"""Every command is answered as if every earlier one had finished first, however the script
arrives, and the work stays asynchronous: the cases that once went wrong when a script was
written at once (a remove, a kill or a list insertion under way near later commands), the id
a kill frees, and --ordered, which prints the answers in the order the commands were given.
"""

import os
import re
import signal
import unittest

from harness import MqTestCase

PID = re.compile(r"Ok: \d+")


class OrderTest(MqTestCase):

    def run_script(self, lines, *args):
        """The whole script at once with --ordered: the answers, line for line."""
        ctl = self.start("-o", *args)
        ctl.send_lines(lines)
        answers = ctl.lines(len(lines))
        self.exit_cleanly(ctl)
        return answers

    def assert_transcript(self, lines, want, *args):
        got = self.run_script(lines, *args)
        for i, (line, w, g) in enumerate(zip(lines, want, got)):
            ok = bool(w.fullmatch(g)) if isinstance(w, re.Pattern) else w == g
            self.assertTrue(ok, "line %d %r: want %r, got %r\n%r" % (i, line, w, g, got))

    def test_commands_after_remove_do_not_reach_the_removed_node(self):
        self.assert_transcript(
            ["create 1", "create 2 1", "create 3 2", "exec 3 1 5", "remove 2", "exec 3 1 6",
             "ping 3", "ping 2", "exec 2 1 1"],
            [PID, PID, PID, "Ok:3: 5", "Ok", "Ok:3: 6", "Ok: 1", "Error: Not found",
             "Error:2: Not found"])

    def test_kill_of_an_ancestor_waits_for_what_came_before(self):
        self.assert_transcript(
            ["create 1", "create 2 1", "exec 2 1 5", "kill 1", "create 20", "create 30 20",
             "ping 30", "kill 20", "exec 30 1 1", "ping 20", "create 20", "create 30 20"],
            [PID, PID, "Ok:2: 5", "Ok", PID, PID, "Ok: 1", "Ok", "Error:30: Not found",
             "Error: Not found", PID, PID])

    def test_insertions_next_to_each_other(self):
        # list: each create below takes over the chain under its parent, while the one
        # before it may still be moving that chain
        self.assert_transcript(
            ["create 26", "create 4 26", "create 17 26", "create 27 17", "create 11 17",
             "create 19 4", "create 5 27", "create 3 11", "exec 4 1 4", "exec 19 1 19",
             "remove 11", "ping 3", "ping 11", "exec 27 2 20 7", "pingall"],
            [PID] * 8 + ["Ok:4: 4", "Ok:19: 19", "Ok", "Ok: 1", "Error: Not found",
                         "Ok:27: 27", "Ok: -1"],
            "-t", "list")

    def test_kill_then_remove_of_the_parent_does_not_hang(self):
        lines = ["create 11 -1", "exec 11 a 1", "create 4 11", "create 1", "create 7 11",
                 "ping 1", "kill 7", "ping 1", "exec 11 a", "remove 11", "ping 4",
                 "exec 1 b 2", "exec 1 b", "pingall"]
        self.assert_transcript(
            lines,
            [PID, "Ok:11", PID, PID, PID, "Ok: 1", "Ok", "Ok: 1", "Ok:11: 1", "Ok",
             "Error: Not found", "Ok:1", "Ok:1: 2", "Ok: -1"],
            "-t", "list", "-e", "dict", "-T", "2000")

    def test_kill_frees_the_id_one_command_at_a_time(self):
        ctl = self.start("-t", "tree")
        self.create(ctl, 11)
        for _ in range(40):
            ctl.send("create 13 11")
            ctl.expect(PID)
            ctl.send("ping 13")
            ctl.expect("Ok: 1")
            ctl.send("kill 13")
            ctl.expect("Ok")
        for _ in range(10):
            ctl.send("create 14 11")
            ctl.expect(PID)
            ctl.send("remove 14")
            ctl.expect("Ok")
        self.exit_cleanly(ctl)

    def chain_rounds(self, ctl, rounds):
        # each round moves node 2 under the new node 3 and straight back under 1: its old
        # connection to 1 may still be open when it comes back, and the connection of the 3
        # just removed may still hold the id 3 at node 1 when the next 3 connects there
        self.create(ctl, 1)
        self.create(ctl, 2, 1)
        lines = []
        for k in range(rounds):
            lines += ["create 3 1", "remove 3", "exec 2 1 %d" % k]
        ctl.send_lines(lines)

    def chain_answers(self, ctl, rounds):
        for k in range(rounds):
            ctl.expect(PID)
            ctl.expect("Ok")
            ctl.expect("Ok:2: %d" % k)
        ctl.send("pingall")
        ctl.expect("Ok: -1")
        self.exit_cleanly(ctl)

    def test_insert_and_remove_in_a_chain_again_and_again(self):
        ctl = self.start("-t", "list")
        self.chain_rounds(ctl, 25)
        self.chain_answers(ctl, 25)

    def test_insert_and_remove_in_chains_side_by_side(self):
        # the same in four trees at once: a loaded machine widens the windows above
        ctls = [self.start("-t", "list") for _ in range(4)]
        for ctl in ctls:
            self.chain_rounds(ctl, 100)
        for ctl in ctls:
            self.chain_answers(ctl, 100)

    def test_a_kill_waiting_for_an_exec_stalls_nothing_beside_it(self):
        # node 2 is stopped: its exec is answered only after --timeout, and kill 1 waits for
        # it; meanwhile commands beside node 1 are answered at once
        ctl = self.start("-T", "3000")
        self.create(ctl, 1)
        pid = self.create(ctl, 2, 1)
        self.create(ctl, 5)
        self.halt(pid)
        self.continue_at_end(pid)
        ctl.send_lines(["exec 2 1 1", "kill 1", "exec 5 1 7", "create 6 5", "ping 6",
                        "exec 5 1 8", "kill 6"])
        first, took = ctl.expect_timed("Ok:5: 7", timeout=2)
        self.assertLess(took, 2.5)
        beside = ctl.lines(4, timeout=2)
        self.assertIn("Ok:5: 8", beside)
        node6 = [line for line in beside if line != "Ok:5: 8"]   # node 6's, in order
        self.assertTrue(PID.fullmatch(node6[0]), beside)
        self.assertEqual(node6[1:], ["Ok: 1", "Ok"], beside)
        self.assertEqual(ctl.lines(2, timeout=10), ["Error:2: Node is unavailable", "Ok"])
        ctl.send("ping 2")
        ctl.expect("Error: Not found")
        self.exit_cleanly(ctl)

    def test_ordered_prints_in_the_order_given(self):
        # without --ordered, node 5's answer comes before the slow one's; with it, after
        n = 2000000
        lines = ["create 1", "create 5", "exec 1 %d %s" % (n, " ".join(["7"] * n)),
                 "exec 5 1 1", "ping 9", "exec 5 x", "heartbit 0", "exec 5 1 2"]
        want = [PID, PID, "Ok:1: %d" % (7 * n), "Ok:5: 1", "Error: Not found",
                re.compile(r"Error:5: .+"), "Ok", "Ok:5: 2"]
        self.assert_transcript(lines, want)


if __name__ == "__main__":
    unittest.main()
