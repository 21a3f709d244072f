"""Strangers at the control node's link (SPEC section 5; see support_forged.py): forged answers
to pending and live requests, and a stranger that takes node 1's routing id."""

import os
import signal
import unittest

from harness import ANSWER
from support_extra import read_tree
from support_forged import STRANGER, ForgedTestCase, control_endpoint, rep, route, sum_exec


# --------------------------------------------------------------------------------------------
# a. Forged answers at the control node

class ForgedAnswersAtControlTest(ForgedTestCase):

    def forged_answers(self, rid):
        ctl = self.start_tree("-T", "2000")
        pids = {1: self.create(ctl, 1, -1)}
        pids[2] = self.create(ctl, 2, 1)
        endpoint = control_endpoint(pids[1])
        forged = [rep(req, node) for node in (1, 2) for req in range(1, 301)]
        # Held: node 1 is stopped, so the execs to 1 and 2 are pending while the stranger
        # answers every request id in their place.
        self.stop(pids[1])
        e1, a1 = sum_exec(1, 2, 3)
        e2, a2 = sum_exec(2, 20, 30)
        ctl.send_lines([e1, e2])
        read_tree(ctl)          # the execs have been read and sent
        got = self.poke(endpoint, rid, forged)
        self.resume(pids[1])
        self.answers(ctl, [a1, a2])
        self.assert_received_nothing(got, "a stranger at the control node")
        # And live: a flood of forged answers while execs come and go.
        s = self.stranger(endpoint, rid, 600, forged, repeat_ms=20)
        s.wait_sending()
        lines = [sum_exec(1 + i % 2, i, 1) for i in range(40)]
        ctl.send_lines([l for l, _ in lines])
        self.answers(ctl, [a for _, a in lines])
        self.assert_received_nothing(s.finish(), "a flooding stranger at the control node")
        self.assert_unharmed(ctl, pids)
        self.exit_cleanly(ctl)
        self.assert_no_forged_output(ctl)

    def test_forged_answers_from_a_stranger(self):
        self.forged_answers(route(STRANGER))

    def test_forged_answers_under_node_1s_routing_id(self):
        self.forged_answers(route(1))


# --------------------------------------------------------------------------------------------
# b. Routing-id takeover at the control node

class TakeoverAtControlTest(ForgedTestCase):

    def test_a_stranger_with_node_1s_routing_id_gets_nothing(self):
        ctl = self.start_tree("-T", "1000")
        pids = {1: self.create(ctl, 1, -1)}
        pids[2] = self.create(ctl, 2, 1)
        s = self.stranger(control_endpoint(pids[1]), route(1), 500, [])
        s.wait_sending()
        lines = [sum_exec(1 + i % 2, i, 100) for i in range(10)] + [("pingall", "Ok: -1")]
        ctl.send_lines([l for l, _ in lines])
        got = self.read_lines(ctl, len(lines), ANSWER + ctl.timeout_ms / 1000.0)
        self.assert_received_nothing(s.finish(), "a stranger with node 1's routing id")
        self.assert_answers(ctl, [a for _, a in lines], got)
        self.assert_unharmed(ctl, pids)
        self.exit_cleanly(ctl)


if __name__ == "__main__":
    unittest.main()
