"""Strangers that speak for nodes (SPEC section 5; see support_forged.py): a forged LOST at the
control node, a forged HELLO naming another instance's nodes, forged BEATs for a stopped node.
Nothing a stranger says about a node is taken."""

import os
import re
import signal
import time
import unittest

from harness import ANSWER, MARGIN, SLOW, deadline_after, proc_stat, remaining
from support_extra import read_tree
from support_forged import (STRANGER, ForgedTestCase, beat, control_endpoint, hello, lost,
                            node_endpoint, route, sum_exec)


# --------------------------------------------------------------------------------------------
# c. Forged LOST at the control node

class ForgedLostTest(ForgedTestCase):

    def forged_lost(self, rid):
        ctl = self.start_tree("-T", "1000")
        pids = {1: self.create(ctl, 1, -1)}
        pids[2] = self.create(ctl, 2, 1)
        got = self.poke(control_endpoint(pids[1]), rid,
                        [lost(2, pids[2], 1), lost(1, pids[1], -1)])
        self.assert_received_nothing(got, "a stranger at the control node")
        ctl.send("pingall")
        self.answers(ctl, ["Ok: -1"], ANSWER + ctl.timeout_ms / 1000.0)
        e, a = sum_exec(2, 5)
        ctl.send(e)
        self.answers(ctl, [a])
        self.assert_unharmed(ctl, pids)
        self.exit_cleanly(ctl)

    def test_forged_lost_from_a_stranger(self):
        self.forged_lost(route(STRANGER))

    def test_forged_lost_under_node_1s_routing_id(self):
        self.forged_lost(route(1))


# --------------------------------------------------------------------------------------------
# d. Forged HELLO naming another instance's nodes

class ForgedHelloTest(ForgedTestCase):

    def two_instances(self, a_ids):
        a = self.start("-t", "tree", "-e", "sum", "-T", "1000", name="A")
        a_pids = {n: self.create(a, n, -1) for n in a_ids}
        b = self.start("-t", "tree", "-e", "sum", "-T", "2000", name="B")
        b_pids = {1: self.create(b, 1, -1)}
        return a, a_pids, b, b_pids, control_endpoint(b_pids[1])

    def test_hello_with_the_pids_of_another_instance(self):
        """To B: HELLO for B's node 1 and for node 5 (B has none), with the pids of A's
        nodes 1 and 5."""
        a, a_pids, b, b_pids, b_endpoint = self.two_instances((1, 5))
        got = self.poke(b_endpoint, route(STRANGER),
                        [hello(1, a_pids[1]), hello(5, a_pids[5])])
        self.assert_received_nothing(got, "a stranger at B's control node")
        killed = [n for n in (1, 5) if not self.tracker.is_ours_alive(a_pids[n])]
        self.assertEqual(killed, [], "A's nodes killed after a forged HELLO to B")
        self.assert_unharmed(a, a_pids)
        self.assert_unharmed(b, b_pids)
        self.exit_cleanly(b)
        self.exit_cleanly(a)

    def test_hello_for_a_node_being_created(self):
        """B's node 7 while it is being created (its parent is stopped, so it stays pending):
        a HELLO for it with the pid of A's node 7 must neither answer the create nor harm A."""
        a, a_pids, b, b_pids, b_endpoint = self.two_instances((1, 7))
        self.stop(b_pids[1])
        b.send("create 7 1")
        tree = read_tree(b)     # the create has been read and sent
        self.assertIn(7, tree.nodes, "create 7 is not under way:\n%s" % tree)
        got = self.poke(b_endpoint, route(STRANGER), [hello(7, a_pids[7])])
        self.assert_received_nothing(got, "a stranger at B's control node")
        self.resume(b_pids[1])
        m = b.expect(re.compile(r"Ok: ([0-9]+)"), ANSWER)
        b_pids[7] = int(m.group(1))
        self.assertNotEqual(b_pids[7], a_pids[7], "B's create 7 answered with A's node 7")
        self.record(b_pids[7], "node 7", b)
        st = proc_stat(b_pids[7])
        self.assertEqual(st[1] if st else None, b_pids[1],
                         "B's node 7 is not a child of B's node 1")
        self.assertTrue(self.tracker.is_ours_alive(a_pids[7]), "A's node 7 was killed")
        self.assert_unharmed(a, a_pids)
        self.assert_unharmed(b, b_pids)
        self.exit_cleanly(b)
        self.exit_cleanly(a)


# --------------------------------------------------------------------------------------------
# e. Forged BEATs for a stopped node

class ForgedBeatTest(ForgedTestCase):

    def flood_beats(self, ctl, endpoint, rid, frames, stopped, timeout_ms):
        """Stops node ID (stopped: (ID, pid)) while a stranger floods frames every 50 ms for
        3 s: the heartbit line must come within 4..5 x 100 ms (plus a margin) of the stop,
        and an exec sent meanwhile must fail as unavailable within --timeout (plus a margin),
        both long before the flood ends."""
        node, pid = stopped
        s = self.stranger(endpoint, rid, int(3000 * SLOW), frames, repeat_ms=50)
        s.wait_sending()
        self.stop(pid)
        start = time.monotonic()
        ctl.send("exec %d 1 5" % node)
        wants = {"Heartbit: node %d is unavailable now" % node: 0.5 + MARGIN,
                 "Error:%d: Node is unavailable" % node: timeout_ms / 1000.0 + MARGIN}
        came, other = {}, []
        end = deadline_after(3.5 * SLOW + 1.0)
        while len(came) < len(wants):
            line = ctl.next_line(remaining(end))
            if line is None:
                break
            if line in wants and line not in came:
                came[line] = time.monotonic() - start
            else:
                other.append(line)
        got = s.stop()
        self.resume(pid)
        problems = ["unexpected line %r" % l for l in other]
        for line, bound in wants.items():
            if line not in came:
                problems.append("%r did not come within %.1fs of the stop"
                                % (line, 3.5 * SLOW + 1.0))
            elif came[line] >= bound:
                problems.append("%r came %.2fs after the stop (bound %.1fs)"
                                % (line, came[line], bound))
        if problems:
            self.fail("under a flood of forged BEATs: %s%s"
                      % ("; ".join(problems), ctl.context()))
        self.assert_no_requests(got, "a stranger flooding BEATs")
        e, a = sum_exec(node, 5)
        ctl.send(e)
        self.answers(ctl, [a], ANSWER + timeout_ms / 1000.0)

    def test_forged_beats_at_the_control(self):
        ctl = self.start_tree("-T", "500")
        pids = {1: self.create(ctl, 1, -1)}
        ctl.send("heartbit 100")
        ctl.expect("Ok")
        self.flood_beats(ctl, control_endpoint(pids[1]), route(STRANGER), [beat([1])],
                         (1, pids[1]), 500)
        ctl.send("heartbit 0")
        ctl.expect("Ok")
        self.assert_unharmed(ctl, pids)
        self.exit_cleanly(ctl)

    def test_forged_beats_through_a_node(self):
        """A stranger that says HELLO as node 9 to node 1, then reports node 2 alive."""
        ctl = self.start_tree("-T", "500")
        pids = {1: self.create(ctl, 1, -1)}
        pids[2] = self.create(ctl, 2, 1)
        ctl.send("heartbit 100")
        ctl.expect("Ok")
        self.flood_beats(ctl, node_endpoint(pids[2]), route(9),
                         [hello(9, os.getpid()), beat([2])], (2, pids[2]), 500)
        ctl.send("heartbit 0")
        ctl.expect("Ok")
        self.assert_unharmed(ctl, pids)
        self.exit_cleanly(ctl)


if __name__ == "__main__":
    unittest.main()
