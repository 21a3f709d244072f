"""What the tests of strangers on the links share (test_forged*.py), on top of harness.py.

Strangers on the links (SPEC section 5): no process outside an instance may inject anything
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
import re
import signal
import struct
import subprocess
import threading

from harness import ANSWER, HERE, MQTREE_BIN, MqTestCase, deadline_after, remaining
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
        self.halt(pid)
        self.continue_at_end(pid)
