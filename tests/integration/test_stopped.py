"""Stopped nodes (SPEC section 5): a node stopped with kill -STOP is unavailable after --timeout
and available again after kill -CONT; until then it blocks nobody, a short stop only makes it
slow, pingall probes every node at once, and exit waits for it no longer than --timeout."""

import os
import signal
import time
import unittest

from harness import ANSWER, MARGIN, PROMPT, MqTestCase

FAST = PROMPT               # "at once": well under the --timeout of each test



class StoppedNodeTest(MqTestCase):

    def test_stopped_node_is_unavailable_after_timeout_and_back_after_cont(self):
        timeout = 1000
        ctl = self.start_tree("-T", str(timeout))
        p1 = self.create(ctl, 1, -1)
        self.create(ctl, 2, -1)
        self.create(ctl, 3, 1)
        self.halt(p1)
        self.continue_at_end(p1)
        start = time.monotonic()
        ctl.send("ping 1")
        ctl.send("exec 2 1 7")
        # The stuck node blocks nobody: node 2 answers at once, before the ping.
        _, took = ctl.expect_timed("Ok:2: 7", ANSWER)
        self.assertLess(took, FAST, "a stopped node delayed another node's answer")
        ctl.expect("Ok: 0", timeout / 1000.0 + ANSWER)
        took = time.monotonic() - start
        self.assertGreater(took, 0.8 * timeout / 1000.0,
                           "a stopped node was reported dead before --timeout (%.2fs)" % took)
        self.assertLess(took, timeout / 1000.0 + MARGIN, "ping answered %.2fs after" % took)
        # exec to it (and below it) fails as unavailable, after about --timeout.
        ctl.send("exec 1 1 1")
        ctl.expect("Error:1: Node is unavailable", timeout / 1000.0 + ANSWER)
        ctl.send("pingall")
        ctl.expect("Ok: 1;3", timeout / 1000.0 + ANSWER)
        self.resume(p1)
        ctl.send("ping 1")
        ctl.expect("Ok: 1", timeout / 1000.0 + ANSWER)
        ctl.send("exec 1 1 11")
        ctl.expect("Ok:1: 11", timeout / 1000.0 + ANSWER)
        ctl.send("exec 3 1 33")
        ctl.expect("Ok:3: 33", timeout / 1000.0 + ANSWER)

    def test_stopped_briefly_is_just_slow(self):
        """Stopped for much less than --timeout, a node is merely slow: its exec answers."""
        timeout = 6000
        ctl = self.start_tree("-T", str(timeout))
        p1 = self.create(ctl, 1, -1)
        self.create(ctl, 2, -1)
        self.halt(p1)
        self.continue_at_end(p1)
        ctl.send("exec 1 1 10")
        ctl.send("exec 2 1 20")
        ctl.expect("Ok:2: 20", FAST)
        self.resume(p1)
        ctl.expect("Ok:1: 10", ANSWER)

    def test_pingall_probes_in_parallel(self):
        timeout = 800
        ctl = self.start_tree("-T", str(timeout))
        pids = {n: self.create(ctl, n, -1) for n in range(1, 9)}
        for n in (2, 5, 7):
            self.halt(pids[n])
            self.continue_at_end(pids[n])
        ctl.send("pingall")
        _, took = ctl.expect_timed("Ok: 2;5;7", 3 * timeout / 1000.0 + ANSWER)
        self.assertLess(took, timeout / 1000.0 + MARGIN,
                        "pingall took %.2fs with three stopped nodes and -T %d"
                        % (took, timeout))

    def test_exit_with_a_stopped_node(self):
        timeout = 800
        ctl = self.start_tree("-T", str(timeout))
        p1 = self.create(ctl, 1, -1)
        self.create(ctl, 2, 1)
        self.create(ctl, 3, -1)
        self.halt(p1)
        self.continue_at_end(p1)
        ctl.send("exec 3 1 3")
        ctl.expect("Ok:3: 3")
        ctl.send("exec 1 1 1")
        start = time.monotonic()
        rest = self.exit_cleanly(ctl, "exit")
        self.assertLess(time.monotonic() - start, timeout / 1000.0 + MARGIN + 1.0,
                        "exit waited longer than --timeout for a stopped node")
        self.assertEqual(rest, ["Error:1: Node is unavailable"])


if __name__ == "__main__":
    unittest.main()
