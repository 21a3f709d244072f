"""Strangers at a compute node's link, and garbage (SPEC section 5; see support_forged.py): what
a stranger sends to node 1's ROUTER (under its own routing id, node 2's, or as a new child)
is not taken, no request reaches it, and frames that are not messages of the protocol are
dropped by the control node and by a node alike."""

import os
import random
import signal
import struct
import unittest

from harness import ANSWER
from support_extra import read_tree
from support_forged import (P, STRANGER, VERSION, ForgedTestCase, beat, control_endpoint, header,
                            hello, lost, node_endpoint, rep, route, sum_exec)


# --------------------------------------------------------------------------------------------
# f. A node's link

class NodeLinkTest(ForgedTestCase):

    def chain(self, timeout_ms=2000):
        ctl = self.start_tree("-T", str(timeout_ms))
        pids = self.build_chain(ctl, 3)
        return ctl, pids, node_endpoint(pids[2])    # node 1's ROUTER

    def test_a_stranger_with_node_2s_routing_id_at_node_1(self):
        ctl, pids, endpoint = self.chain(1000)
        s = self.stranger(endpoint, route(2), 500, [])
        s.wait_sending()
        lines = [sum_exec(2 + i % 2, i, 10) for i in range(10)] + [("pingall", "Ok: -1")]
        ctl.send_lines([l for l, _ in lines])
        got = self.read_lines(ctl, len(lines), ANSWER + ctl.timeout_ms / 1000.0)
        self.assert_no_requests(s.finish(), "a stranger with node 2's routing id")
        self.assert_answers(ctl, [a for _, a in lines], got)
        self.assert_unharmed(ctl, pids)
        self.exit_cleanly(ctl)

    def forged_at_node_1(self, rid):
        ctl, pids, endpoint = self.chain()
        # Node 3 stopped: an exec to it is pending while the stranger answers in its place.
        self.stop(pids[3])
        e3, a3 = sum_exec(3, 1, 5)
        ctl.send(e3)
        read_tree(ctl)
        frames = [hello(9, os.getpid()), hello(2, pids[2])]
        frames += [rep(req, node) for node in (3, 2, 9) for req in range(1, 201)]
        frames += [lost(3, pids[3], 2), lost(2, pids[2], 1), beat([2, 3])]
        got = self.poke(endpoint, rid, frames, 300)
        self.resume(pids[3])
        self.answers(ctl, [a3])
        self.assert_no_requests(got, "a stranger at node 1")
        e, a = sum_exec(3, 5)
        ctl.send(e)
        self.answers(ctl, [a])
        self.assert_unharmed(ctl, pids)
        self.exit_cleanly(ctl)
        self.assert_no_forged_output(ctl)

    def test_forged_messages_from_a_stranger_at_node_1(self):
        """A routing id of nobody: HELLO for nodes 9 and 2, answers for nodes 3, 2 and 9,
        LOST for nodes 3 and 2, BEAT for 2 and 3."""
        self.forged_at_node_1(route(STRANGER))

    def test_forged_messages_from_a_new_child_of_node_1(self):
        """The same as node 9 under its own routing id (as a node moving here would say
        HELLO): nothing about nodes 2 and 3, which are not in its subtree, may be taken."""
        self.forged_at_node_1(route(9))


# --------------------------------------------------------------------------------------------
# g. Garbage

def garbage_frames(seed):
    rnd = random.Random(seed)
    frames = [b"", b"\x00", bytes([VERSION]), header(P["MSG_REP"])[:11],
              bytes([VERSION, P["MSG_REQ"]]) + bytes(12),                  # REQ, no path
              header(P["MSG_REQ"], 1, 0, 1, 1) + b"\xff\xff" + bytes(8),   # path too long
              header(0), header(200), header(P["MSG_REP"], code=250),
              header(P["MSG_HELLO"], node=1) + b"\x01\x02",               # short HELLO body
              header(P["MSG_HELLO"], node=9) + struct.pack("<i", -1) + b"x",
              header(P["MSG_LOST"], node=2) + b"\x01" * 7,
              header(P["MSG_BEAT"], node=1) + b"\x01" * 5,
              bytes([(VERSION + 1) & 0xff]) + header(P["MSG_REP"])[1:] + b"FORGED"]
    for size in (1, 5, 11, 12, 13, 64, 4096):
        frames.append(bytes(rnd.randrange(256) for _ in range(size)))
    for _ in range(50):        # right version and type, random rest
        frames.append(bytes([VERSION, rnd.randrange(1, 12)]) +
                      bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 40))))
    return frames


class GarbageTest(ForgedTestCase):

    def test_garbage_to_the_control_and_to_a_node(self):
        ctl = self.start_tree("-T", "1000")
        pids = {1: self.create(ctl, 1, -1)}
        pids[2] = self.create(ctl, 2, 1)
        frames = garbage_frames(5)
        at_control, at_node_1 = control_endpoint(pids[1]), node_endpoint(pids[2])
        for endpoint, rid in ((at_control, route(STRANGER)), (at_control, b"abc"),
                              (at_node_1, route(STRANGER)), (at_node_1, route(9))):
            # As node 9, after a HELLO: what a node forwards up is decoded again above.
            first = [hello(9, os.getpid())] if rid == route(9) else []
            got = self.poke(endpoint, rid, first + frames, 100)
            if endpoint == at_control:
                self.assert_received_nothing(got, "a stranger sending garbage")
            else:
                self.assert_no_requests(got, "a stranger sending garbage")
        self.assert_unharmed(ctl, pids)
        self.exit_cleanly(ctl)
        self.assert_no_forged_output(ctl)


if __name__ == "__main__":
    unittest.main()
