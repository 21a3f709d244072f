"""Faults (SPEC section 5): compute nodes killed with -9, the control node killed or signalled
(stopped compute nodes: test_stopped.py). Nothing may hang, and no process may be left."""

import os
import signal
import threading
import time
import unittest

from harness import ANSWER, EXIT, GONE, MARGIN, PROMPT, SELF_END, MqTestCase, descendants

TIMEOUT_MS = 2000           # --timeout for the tests where answers must come "at once"
FAST = PROMPT               # "at once": well under TIMEOUT_MS


def kill9(pid):
    os.kill(pid, signal.SIGKILL)
    return time.monotonic()


class KillNineTest(MqTestCase):

    def chain_of_six(self):
        ctl = self.start_tree("-T", str(TIMEOUT_MS))
        pids = self.build_chain(ctl, 6)
        self.tracker.scan()
        return ctl, pids

    def test_kill9_in_the_middle_of_a_chain(self):
        ctl, pids = self.chain_of_six()
        killed_at = kill9(pids[3])
        # Ancestors keep answering, with no pause.
        for node in (1, 2):
            ctl.send("exec %d 2 %d 1" % (node, node))
            _, took = ctl.expect_timed("Ok:%d: %d" % (node, node + 1), ANSWER)
            self.assertLess(took, FAST, "node %d above the dead one paused" % node)
        # The dead node and everything below it: unavailable at once, not after --timeout.
        start = time.monotonic()
        ctl.send_lines(["exec %d 1 %d" % (node, node) for node in (3, 4, 5, 6)])
        ctl.expect_unordered(["Error:%d: Node is unavailable" % n for n in (3, 4, 5, 6)],
                             ANSWER + TIMEOUT_MS / 1000.0)
        took = time.monotonic() - start
        self.assertLess(took, FAST, "answers about the dead subtree took %.2fs with -T %d"
                        % (took, TIMEOUT_MS))
        ctl.send("pingall")
        _, took = ctl.expect_timed("Ok: 3;4;5;6", ANSWER + TIMEOUT_MS / 1000.0)
        self.assertLess(took, TIMEOUT_MS / 1000.0 + MARGIN)
        ctl.send("ping 3")
        ctl.expect("Ok: 0", ANSWER + TIMEOUT_MS / 1000.0)
        ctl.send("ping 2")
        ctl.expect("Ok: 1")
        # The orphans end by themselves within 2 s of losing their parent.
        self.assert_gone([pids[n] for n in (3, 4, 5, 6)],
                         max(0.1, killed_at + SELF_END + MARGIN - time.monotonic()))
        # The survivors still grow and work.
        self.create(ctl, 7, 2)
        ctl.send("exec 7 1 7")
        ctl.expect("Ok:7: 7")
        ctl.send("exec 1 1 1")
        ctl.expect("Ok:1: 1")

    def test_kill9_of_a_leaf_leaves_the_rest_working(self):
        ctl, pids = self.chain_of_six()
        self.create(ctl, 7, 3)
        kill9(pids[6])
        ctl.send("exec 6 1 6")
        _, took = ctl.expect_timed("Error:6: Node is unavailable", ANSWER)
        self.assertLess(took, FAST)
        for node in (1, 2, 3, 4, 5, 7):
            ctl.send("exec %d 1 %d" % (node, node))
            ctl.expect("Ok:%d: %d" % (node, node))
        ctl.send("pingall")
        ctl.expect("Ok: 6", ANSWER + TIMEOUT_MS / 1000.0)
        self.assert_gone([pids[6]], GONE)

    def test_kill_command_on_a_dead_node_ends_its_orphans(self):
        ctl, pids = self.chain_of_six()
        kill9(pids[3])
        ctl.send("kill 3")
        ctl.expect("Ok", ANSWER + TIMEOUT_MS / 1000.0)
        # Unreachable processes are ended by pid, not left to end by themselves.
        self.assert_gone([pids[n] for n in (3, 4, 5, 6)], GONE)
        for node in (3, 4, 5, 6):
            ctl.send("ping %d" % node)
            ctl.expect("Error: Not found")
        ctl.send("pingall")
        ctl.expect("Ok: -1")
        self.create(ctl, 4, 2)
        ctl.send("exec 4 1 4")
        ctl.expect("Ok:4: 4")

    def test_kill_command_right_after_kill9_of_the_node_itself(self):
        ctl, pids = self.chain_of_six()
        kill9(pids[5])
        ctl.send("kill 5")
        ctl.expect("Ok", ANSWER + TIMEOUT_MS / 1000.0)
        self.assert_gone([pids[5], pids[6]], GONE)
        ctl.send("exec 4 1 4")
        ctl.expect("Ok:4: 4")



class ControlDeathTest(MqTestCase):

    def grow(self, ctl):
        pids = self.build_chain(ctl, 3)
        pids[4] = self.create(ctl, 4, 1)
        pids[5] = self.create(ctl, 5, -1)
        self.tracker.scan()
        return pids

    def test_kill9_of_the_control_node(self):
        ctl = self.start_tree()
        pids = self.grow(ctl)
        everything = descendants([ctl.pid])
        start = kill9(ctl.pid)
        ctl.wait_exit(ANSWER)
        self.assert_gone(set(pids.values()) | everything,
                         max(0.1, start + SELF_END + MARGIN - time.monotonic()))

    def check_signal_acts_as_exit(self, sig):
        ctl = self.start_tree()
        pids = self.grow(ctl)
        ctl.send("exec 3 1 3")
        ctl.expect("Ok:3: 3")
        everything = descendants([ctl.pid]) | set(pids.values())
        ctl.signal(sig)
        self.assertEqual(ctl.rest(), [])
        self.assertEqual(ctl.wait_exit(), 0, "exit status after %s" % sig.name)
        self.assert_gone(everything, GONE)

    def test_sigterm_acts_as_exit(self):
        self.check_signal_acts_as_exit(signal.SIGTERM)

    def test_sigint_acts_as_exit(self):
        self.check_signal_acts_as_exit(signal.SIGINT)

    def test_sigterm_prints_the_answers_still_due(self):
        """Like exit, SIGTERM first prints the answers due (here, after --timeout, that a
        stopped node is unavailable), then ends everything, the stopped node included."""
        timeout = 1500
        ctl = self.start_tree("-T", str(timeout))
        p1 = self.create(ctl, 1, -1)
        self.create(ctl, 2, -1)
        self.halt(p1)
        self.continue_at_end(p1)
        ctl.send("exec 1 1 1")
        ctl.send("exec 2 1 2")
        ctl.expect("Ok:2: 2")       # so the control node has read `exec 1` too
        everything = descendants([ctl.pid]) | {p1}
        start = time.monotonic()
        ctl.signal(signal.SIGTERM)
        self.assertEqual(ctl.rest(), ["Error:1: Node is unavailable"])
        self.assertEqual(ctl.wait_exit(), 0)
        self.assertLess(time.monotonic() - start, timeout / 1000.0 + MARGIN + 1.0)
        self.assert_gone(everything, GONE)

    def test_sigterm_while_an_exec_line_is_half_read(self):
        """SIGTERM in the middle of an exec's line: the exec gets what was read and answers
        (here, too few numbers) instead of waiting for the rest; then everything ends."""
        ctl = self.start_tree()
        p1 = self.create(ctl, 1, -1)
        reached, hold = threading.Event(), threading.Event()
        self.addCleanup(hold.set)
        chunk = (" " + " ".join(["7"] * 5000)).encode()

        def stream():
            yield b"exec 1 1000000"
            for _ in range(100):        # 1 MB: more than a pipe holds, so most of it is read
                yield chunk
            reached.set()
            hold.wait(EXIT)
            yield b"\n"
        ctl.send_raw(stream())
        self.assertTrue(reached.wait(ANSWER), "the line was not taken")
        everything = descendants([ctl.pid]) | {p1}
        ctl.signal(signal.SIGTERM)
        rest = ctl.rest()
        self.assertEqual(len(rest), 1, "answers after SIGTERM: %r" % rest)
        self.assertRegex(rest[0], r"Error:1: Expected 1000000 numbers, got [0-9]+")
        self.assertEqual(ctl.wait_exit(), 0)
        self.assert_gone(everything, GONE)


if __name__ == "__main__":
    unittest.main()
