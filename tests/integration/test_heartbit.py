"""heartbit MS (SPEC section 2): every compute node reports every MS ms; after 4*MS ms without a
report the control node prints `Heartbit: node ID is unavailable now`, once per outage. A node
killed with kill -9 is reported no earlier than 4*MS after its last report (so no earlier than
3*MS after the kill, its last report being at most MS before it) and no later than 5*MS after
the kill. A node that is alive, even if busy, is never reported; `heartbit 0` stops it all.

ctest runs this file alone (RUN_SERIAL) and its cases side by side, one process each
(run_cases.py): each case waits out its own windows, and its only neighbours are the other,
light, cases of this file."""

import os
import signal
import threading
import time
import unittest

from harness import ANSWER, SLOW, MqTestCase, stream_sum_line
from support_extra import HEARTBIT

LATE = 0.5 * SLOW           # allowed beyond the SPEC's 5*MS (line buffering, a loaded machine)
EARLY = 0.02                # clock granularity below the SPEC's lower bound


class HeartbitCase(MqTestCase):

    def start_hb(self, *extra):
        return self.start("-t", "tree", "-e", "sum", *extra)

    def heartbit(self, ctl, ms, word="heartbit"):
        ctl.send("%s %d" % (word, ms))
        ctl.expect("Ok")

    def quiet(self, ctl, seconds, why):
        """No output at all for `seconds` (no Heartbit line may come: `why`)."""
        line_ = ctl.next_line(seconds)
        if line_ is not None:
            self.fail("%s: got %r%s" % (why, line_, ctl._context()))

    def expect_reports(self, ctl, ids, since, ms, what="the kill"):
        """One Heartbit line for each of ids, in any order, each no earlier than 3*MS (4*MS
        after a last report at most MS before `since`) and no later than 5*MS (+LATE) after
        `since`. Any other line fails."""
        lo, hi = 3 * ms / 1000.0 - EARLY, 5 * ms / 1000.0 + LATE
        left, got = set(ids), []
        while left:
            text = ctl.next_line(max(0.0, since + hi - time.monotonic()))
            at = time.monotonic() - since
            if text is None:
                self.fail("no Heartbit line for node(s) %s within %.2fs of %s (got %r)%s"
                          % (sorted(left), hi, what, got, ctl._context()))
            got.append((text, round(at, 3)))
            m = HEARTBIT.fullmatch(text)
            self.assertIsNotNone(m, "expected Heartbit lines for %s, got %r%s"
                                 % (sorted(left), text, ctl._context()))
            node = int(m.group(1))
            self.assertIn(node, left, "unexpected or repeated %r (%.3fs after %s; so far %r)"
                          % (text, at, what, got))
            left.discard(node)
            self.assertGreaterEqual(at, lo, "%r came %.3fs after %s: earlier than 4*MS after"
                                    " the node's last report (MS=%d)" % (text, at, what, ms))
        return got


class HeartbitTest(HeartbitCase):

    def test_kill9_inner_node_of_a_chain(self):
        ms = 100
        ctl = self.start_hb()
        pids = self.build_chain(ctl, 4)
        self.heartbit(ctl, ms)
        self.quiet(ctl, 5 * ms / 1000.0, "every node is alive")
        killed = time.monotonic()
        os.kill(pids[2], signal.SIGKILL)
        self.expect_reports(ctl, [2, 3, 4], killed, ms)
        # Once per outage, and nothing about node 1, which is alive.
        self.quiet(ctl, 8 * ms / 1000.0, "each lost node is reported once; node 1 is alive")
        ctl.send("exec 1 2 1 2")
        ctl.expect("Ok:1: 3")
        self.exit_cleanly(ctl)

    def test_heartbeat_spelling(self):
        ms = 100
        ctl = self.start_hb()
        pids = self.build_chain(ctl, 2)
        self.heartbit(ctl, ms, "heartbeat")
        self.quiet(ctl, 5 * ms / 1000.0, "every node is alive")
        killed = time.monotonic()
        os.kill(pids[2], signal.SIGKILL)
        self.expect_reports(ctl, [2], killed, ms)
        self.quiet(ctl, 6 * ms / 1000.0, "node 2 is reported once; node 1 is alive")
        self.heartbit(ctl, 0, "heartbeat")
        self.exit_cleanly(ctl)

    def test_busy_node_is_never_reported(self):
        ms = 100
        ctl = self.start_hb()
        pids = {1: self.create(ctl, 1, -1), 2: self.create(ctl, 2, -1),
                3: self.create(ctl, 3, 1)}
        self.heartbit(ctl, ms)
        self.quiet(ctl, 5 * ms / 1000.0, "every node is alive")
        # A sum of 2*10^6 numbers to node 3 (through node 1), held half written for 12*MS:
        # nodes 1 and 3 are in the middle of a command all that time.
        hold = threading.Event()
        chunk = [i * 7919 % 1000003 - 500000 for i in range(1000)]
        gen, total = stream_sum_line(3, chunk, 2000, hold=hold, hold_after=1000)
        ctl.send_raw(gen)
        try:
            self.quiet(ctl, 12 * ms / 1000.0, "nodes 1 and 3 are busy, not unavailable")
        finally:
            hold.set()
        ctl.expect("Ok:3: %d" % total, ANSWER)
        self.quiet(ctl, 5 * ms / 1000.0, "every node is alive")
        # The reports were on all along: a dead node is reported.
        killed = time.monotonic()
        os.kill(pids[2], signal.SIGKILL)
        self.expect_reports(ctl, [2], killed, ms)
        self.quiet(ctl, 0.5, "node 2 is reported once")
        self.exit_cleanly(ctl)

    def test_stopped_node_once_per_outage(self):
        ms = 100
        ctl = self.start_hb()
        pids = self.build_chain(ctl, 2)
        self.continue_at_end(pids[2])
        self.heartbit(ctl, ms)
        self.quiet(ctl, 5 * ms / 1000.0, "every node is alive")
        for outage in (1, 2):
            stopped = time.monotonic()
            self.halt(pids[2])
            self.expect_reports(ctl, [2], stopped, ms, "SIGSTOP #%d" % outage)
            self.quiet(ctl, 6 * ms / 1000.0, "a stopped node is reported once per outage")
            self.resume(pids[2])
            ctl.send("ping 2")
            ctl.expect("Ok: 1", ANSWER + ctl.timeout_ms / 1000.0)
            self.quiet(ctl, 6 * ms / 1000.0, "node 2 is back; no repeated line")
        ctl.send("exec 2 1 5")
        ctl.expect("Ok:2: 5")
        self.exit_cleanly(ctl)

    def test_heartbit_zero_stops_reports(self):
        ms = 100
        ctl = self.start_hb()
        pids = self.build_chain(ctl, 2)
        self.heartbit(ctl, 0)               # harmless when nothing runs
        self.heartbit(ctl, ms)
        self.quiet(ctl, 5 * ms / 1000.0, "every node is alive")
        self.heartbit(ctl, 0)
        os.kill(pids[2], signal.SIGKILL)
        self.quiet(ctl, 8 * ms / 1000.0, "heartbit 0 stops the reports")
        ctl.send("ping 2")                  # the node is gone all the same
        ctl.expect("Ok: 0", ANSWER + ctl.timeout_ms / 1000.0)
        self.quiet(ctl, 0.5, "heartbit 0 stops the reports")
        self.exit_cleanly(ctl)

    def test_nodes_created_later_report_at_the_current_period(self):
        ms = 100
        ctl = self.start_hb()
        pids = {5: self.create(ctl, 5, -1)}         # before any heartbit
        self.heartbit(ctl, 1000)
        self.heartbit(ctl, ms)                      # the current period
        pids[1] = self.create(ctl, 1, -1)           # after it
        pids[2] = self.create(ctl, 2, 1)
        # Reporting at another period (or not at all) would be taken for an outage here.
        self.quiet(ctl, 6 * ms / 1000.0, "every node is alive and reports every %d ms" % ms)
        killed = time.monotonic()
        os.kill(pids[2], signal.SIGKILL)
        self.expect_reports(ctl, [2], killed, ms)
        self.quiet(ctl, 5 * ms / 1000.0, "node 2 is reported once")
        # The node created before both heartbits switched to the current period too.
        killed = time.monotonic()
        os.kill(pids[5], signal.SIGKILL)
        self.expect_reports(ctl, [5], killed, ms)
        self.quiet(ctl, 5 * ms / 1000.0, "node 5 is reported once; node 1 is alive")
        self.exit_cleanly(ctl)


if __name__ == "__main__":
    unittest.main()
