"""Strangers on the links (SPEC section 5): no process outside an instance may inject anything
into its links, and every message is checked against where it came from: a node speaks only
for itself and its own subtree.

Each test starts a running instance, lets a stranger (tests/tools/mqpoke, a DEALER with a
chosen routing id) connect to the control node's or a node's ROUTER and send forged frames,
and then checks that the instance is unharmed: exact answers, `pingall` -> `Ok: -1`, the same
tree with the same pids, every process alive, no forged text on stdout.

Endpoints come from the processes themselves: a node's ROUTER endpoint is the `--parent=`
argument of its children, the control node's is that of any depth-1 node.

The wire format is read from src/wire/proto.h (the version and the type and code numbers), so
these tests follow a change of the protocol version.
"""

import os
import queue
import random
import re
import signal
import struct
import subprocess
import threading
import time
import unittest

from harness import (ANSWER, HERE, MARGIN, MQTREE_BIN, SLOW, MqTestCase, deadline_after,
                     proc_stat, remaining)
from support_extra import read_tree

POKE_BIN = os.path.abspath(os.environ.get("MQTREE_POKE_BIN") or
                           os.path.join(os.path.dirname(MQTREE_BIN), "tests", "mqpoke"))
PROTO_H = os.path.join(HERE, "..", "..", "src", "wire", "proto.h")

STRANGER = 77           # a routing id no node of these tests has
HANDSHAKE = 0.5         # mqpoke waits at most this long for its connection before sending


# --------------------------------------------------------------------------------------------
# The wire format, from src/wire/proto.h

def _proto_constants():
    with open(PROTO_H) as f:
        text = f.read()
    version = re.search(r"^#define\s+PROTO_VERSION\s+([0-9]+)", text, re.M)
    if version is None:
        raise RuntimeError("no PROTO_VERSION in %s" % PROTO_H)
    names = {m.group(1): int(m.group(2)) for m in
             re.finditer(r"\b((?:MSG|OP|REP)_[A-Z_]+)\s*=\s*([0-9]+)", text)}
    for need in ("MSG_HELLO", "MSG_REQ", "MSG_REP", "MSG_LOST", "MSG_BEAT", "REP_OK"):
        if need not in names:
            raise RuntimeError("no %s in %s" % (need, PROTO_H))
    return int(version.group(1)), names


VERSION, P = _proto_constants()


def header(mtype, code=0, flags=0, req=0, node=0):
    """u8 version, u8 type, u8 code, u8 flags, u32 request id LE, i32 node id LE."""
    return struct.pack("<BBBBIi", VERSION, mtype, code, flags, req, node)


def rep(req, node, body=b"FORGED", code=None):
    return header(P["MSG_REP"], P["REP_OK"] if code is None else code, 0, req, node) + body


def hello(node, pid, endpoint="tcp://127.0.0.1:1"):
    return header(P["MSG_HELLO"], node=node) + struct.pack("<i", pid) + endpoint.encode()


def lost(node, pid, parent):
    return header(P["MSG_LOST"], node=node) + struct.pack("<ii", pid, parent)


def beat(ids):
    return header(P["MSG_BEAT"], node=ids[0]) + struct.pack("<%di" % len(ids), *ids)


def route(node):
    """A node's routing id on its uplink: 'n' + u32 big endian."""
    return b"n" + struct.pack(">I", node)


def type_name(frame):
    if len(frame) < 2:
        return "short frame %r" % frame
    names = [k for k, v in P.items() if k.startswith("MSG_") and v == frame[1]
             and k != "MSG_TYPE_MAX"]
    return "%s (version %d, %d bytes)" % (names[0] if names else "type %d" % frame[1],
                                         frame[0], len(frame))


# --------------------------------------------------------------------------------------------
# Endpoints, from /proc/PID/cmdline

def parent_endpoint(pid):
    """The `--parent=` endpoint a node was started with: its parent's ROUTER."""
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        args = f.read().split(b"\0")
    for a in args:
        if a.startswith(b"--parent="):
            return a[len(b"--parent="):].decode()
    raise AssertionError("pid %d has no --parent= argument: %r" % (pid, args))


def control_endpoint(depth1_pid):
    return parent_endpoint(depth1_pid)


def node_endpoint(child_pid):
    """The ROUTER endpoint of the parent of the node whose pid is child_pid."""
    return parent_endpoint(child_pid)


# --------------------------------------------------------------------------------------------
# A stranger

class Stranger:
    """One mqpoke process: started by the test, its pid recorded, waited for with a deadline
    and killed by that pid at cleanup if still running."""

    def __init__(self, test, endpoint, rid, listen_ms, frames, repeat_ms=None):
        args = [POKE_BIN]
        if repeat_ms:
            args += ["-r", str(repeat_ms)]
        args += [endpoint, rid.hex(), str(listen_ms)] + [f.hex() for f in frames]
        self.listen_ms = listen_ms
        self.desc = "mqpoke %s as %s (%d frames%s)" % (
            endpoint, rid.hex(), len(frames), ", every %d ms" % repeat_ms if repeat_ms else "")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        test.addCleanup(self.end)
        self.frames = []
        self.stderr = []
        self._events = queue.Queue()
        self._threads = [threading.Thread(target=self._out, daemon=True),
                         threading.Thread(target=self._err, daemon=True)]
        for t in self._threads:
            t.start()

    def _out(self):
        for line in self.proc.stdout:
            self.frames.append(bytes.fromhex(line.decode().strip()))
        self.proc.stdout.close()

    def _err(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.stderr.append(line)
            self._events.put(line)
        self.proc.stderr.close()
        self._events.put(None)

    def wait_sending(self, timeout=HANDSHAKE + ANSWER):
        """Until the stranger is about to send its first frame."""
        end = deadline_after(timeout)
        while True:
            try:
                line = self._events.get(timeout=remaining(end))
            except queue.Empty:
                raise AssertionError("%s: not sending within %.1fs; stderr %r"
                                     % (self.desc, timeout, self.stderr)) from None
            if line is None:
                raise AssertionError("%s ended before sending; stderr %r"
                                     % (self.desc, self.stderr))
            if line.startswith("mqpoke: sending"):
                return "handshake yes" in line

    def finish(self):
        """Waits for the end (LISTEN_MS after the first send, plus the linger); the frames it
        received."""
        try:
            status = self.proc.wait(HANDSHAKE + self.listen_ms / 1000.0 + ANSWER)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s did not end; stderr %r" % (self.desc, self.stderr)) from None
        for t in self._threads:
            t.join(ANSWER)
        if status != 0:
            raise AssertionError("%s: exit status %d; stderr %r"
                                 % (self.desc, status, self.stderr))
        return list(self.frames)

    def stop(self):
        """Ends it now (by its pid): the frames it received so far."""
        self.end()
        for t in self._threads:
            t.join(ANSWER)
        return list(self.frames)

    def end(self):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait()


def _cont(pid):
    try:
        os.kill(pid, signal.SIGCONT)
    except ProcessLookupError:
        pass


def sum_exec(node, *numbers):
    return ("exec %d %d %s" % (node, len(numbers), " ".join(map(str, numbers))),
            "Ok:%d: %d" % (node, sum(numbers)))


class ForgedTestCase(MqTestCase):

    def setUp(self):
        super().setUp()
        if not os.access(POKE_BIN, os.X_OK):
            self.fail("mqpoke not found: %s (run `make build` or set MQTREE_POKE_BIN)"
                      % POKE_BIN)

    def stranger(self, endpoint, rid, listen_ms, frames, repeat_ms=None):
        return Stranger(self, endpoint, rid, listen_ms, frames, repeat_ms)

    def poke(self, endpoint, rid, frames, listen_ms=150):
        """A stranger that sends frames and listens for listen_ms: the frames it received."""
        s = self.stranger(endpoint, rid, listen_ms, frames)
        s.wait_sending()
        return s.finish()

    def assert_received_nothing(self, frames, what):
        """At the control node: it talks to its own children only."""
        if frames:
            self.fail("%s received %d frames from the instance: %s"
                      % (what, len(frames), [type_name(f) for f in frames[:8]]))

    def assert_no_requests(self, frames, what):
        """At a node's link: no request of the instance reaches a stranger."""
        reqs = [f for f in frames if len(f) >= 2 and f[1] == P["MSG_REQ"]]
        if reqs:
            self.fail("%s received %d requests of the instance (of %d frames): %s"
                      % (what, len(reqs), len(frames), [type_name(f) for f in frames[:8]]))

    @staticmethod
    def read_lines(ctl, count, timeout=ANSWER):
        """Up to count lines, as many as come before the deadline."""
        end = deadline_after(timeout)
        got = []
        while len(got) < count:
            line = ctl.next_line(remaining(end))
            if line is None:
                break
            got.append(line)
        return got

    def assert_answers(self, ctl, wants, got):
        self.assertEqual(sorted(got), sorted(wants),
                         "answers: wanted %r, got %r%s" % (wants, got, ctl.context()))

    def answers(self, ctl, wants, timeout=ANSWER):
        """Reads as many lines as wants has (a forged line takes the place of a real one):
        they must be wants in any order, no forged or other line among them."""
        self.assert_answers(ctl, wants, self.read_lines(ctl, len(wants), timeout))

    def assert_unharmed(self, ctl, pids):
        """Every node in pids ({id: pid}) is alive, answers an exec with its exact sum, and
        is the whole tree with the same pids; `pingall` -> `Ok: -1`."""
        for node, pid in sorted(pids.items()):
            self.assertTrue(self.tracker.is_ours_alive(pid),
                            "node %d (pid %d) was harmed: %s"
                            % (node, pid, self.tracker.describe(pid)))
        lines = [sum_exec(node, node * 1000, 7) for node in sorted(pids)]
        ctl.send_lines([l for l, _ in lines])
        self.answers(ctl, [a for _, a in lines])
        ctl.send("pingall")
        self.answers(ctl, ["Ok: -1"], ANSWER + ctl.timeout_ms / 1000.0)
        tree = read_tree(ctl)
        self.assertEqual(tree.pids(), pids, "the tree changed:\n%s" % tree)

    def assert_no_forged_output(self, ctl):
        forged = [l for l in ctl.transcript if "FORGED" in l]
        self.assertEqual(forged, [], "forged answers printed%s" % ctl.context())

    def stop(self, pid):
        os.kill(pid, signal.SIGSTOP)
        self.addCleanup(_cont, pid)


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
        os.kill(pids[1], signal.SIGCONT)
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
        os.kill(b_pids[1], signal.SIGCONT)
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
        os.kill(pid, signal.SIGCONT)
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
        os.kill(pids[3], signal.SIGCONT)
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
