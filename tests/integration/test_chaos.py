"""Chaos: a random tree of 40 nodes under a steady load of execs while random nodes are killed
with -9 and others stopped and continued (SPEC section 5). Every request gets exactly one
answer; a result is always the exact sum of its own request; `Node is unavailable` comes only
for a node that was, or was below, a node killed or stopped meanwhile; a node's answers come in
the order of its requests; at the end `pingall` and `tree` name exactly the killed nodes and
their subtrees, and `exit` leaves nothing.

  MQTREE_CHAOS_SEED     the seed (default: chosen at random and printed; every failure names it)
  MQTREE_CHAOS_SECONDS  how long the faults go on (default 10; e.g. 120 for a long manual run)
"""

import collections
import os
import random
import re
import signal
import sys
import time
import unittest

from harness import (ANSWER, MARGIN, PID_LINE, SELF_END, SLOW, MqTestCase, proc_cmdline,
                     sanitizer_reports)
from support_extra import read_tree

NODES = 40
OUTSTANDING = 50            # execs in flight at once
TIMEOUT_MS = int(300 * SLOW)
MIN_LIVE = 15               # kills stop before fewer nodes than this would be left
MAX_STOPPED = 3             # stopped at once
# "A moment" after SIGCONT during which a continued node may still be taken for unavailable
# (it has to be scheduled and answer a probe first).
CONT_GRACE = max(1.0, 3 * TIMEOUT_MS / 1000.0) * SLOW
UNIT = 10 ** 9              # request k carries k * UNIT: its sum names it
ANSWER_LINE = re.compile(r"(Ok|Error):([0-9]+): (.*)")


def chaos_seed():
    text = os.environ.get("MQTREE_CHAOS_SEED")
    return int(text) if text else random.SystemRandom().randrange(1 << 32)


def chaos_seconds():
    return float(os.environ.get("MQTREE_CHAOS_SECONDS") or 10)


class Request:
    __slots__ = ("seq", "node", "total", "sent", "line")

    def __init__(self, seq, node, total, sent, line):
        self.seq, self.node, self.total, self.sent, self.line = seq, node, total, sent, line

    def __repr__(self):
        return "request #%d to node %d (sum %d)" % (self.seq, self.node, self.total)


class Chaos:
    """The model: the tree, what was killed and when, what was stopped and when, and the
    requests outstanding per node (a FIFO each, since answers name only the node)."""

    def __init__(self, test, ctl, seed):
        # Two streams: the tree and the faults (what, when, to whom) depend on the seed alone;
        # how many requests go out depends on timing as well.
        self.test, self.ctl, self.seed = test, ctl, seed
        self.rnd = random.Random(seed)
        self.load_rnd = random.Random(seed ^ 0x5EED5EED)
        self.t0 = time.monotonic()
        self.parent, self.pid = {}, {}
        self.killed_at = {}                     # id -> when it was killed with -9
        self.stops = collections.defaultdict(list)  # id -> [[stopped at, continued at]]
        self.cont_due = {}                      # id -> when to continue it
        self.fifo = collections.defaultdict(collections.deque)
        self.outstanding = 0
        self.seq = 0
        self.stats = collections.Counter()
        self.events = []                        # for failure messages

    # -- time and messages
    def now(self):
        return time.monotonic()

    def at(self, t):
        return "%.3fs" % (t - self.t0)

    def log(self, text):
        self.events.append("%s %s" % (self.at(self.now()), text))

    def fail(self, text):
        raise AssertionError("%s\n  recent events:\n    %s%s" % (
            text, "\n    ".join(self.events[-25:]), self.ctl.context()))

    # -- the tree
    def ancestry(self, node):
        """node and every node above it."""
        out = []
        while node != -1:
            out.append(node)
            node = self.parent[node]
        return out

    def dead(self, node):
        return any(a in self.killed_at for a in self.ancestry(node))

    def subtree(self, node):
        out, todo = set(), [node]
        while todo:
            n = todo.pop()
            out.add(n)
            todo.extend(c for c, p in self.parent.items() if p == n)
        return out

    def live(self):
        return [n for n in sorted(self.parent) if not self.dead(n)]

    def dead_nodes(self):
        return sorted(n for n in self.parent if self.dead(n))

    # -- building
    def build(self):
        lines = []
        for node in range(1, NODES + 1):
            parent = self.rnd.choice([-1] + list(range(1, node)))
            self.parent[node] = parent
            lines.append("create %d %d" % (node, parent))
        self.ctl.send_lines(lines)
        for line in self.ctl.lines(NODES, 3 * ANSWER + NODES * 0.2 * SLOW):
            m = PID_LINE.fullmatch(line)
            if not m:
                self.fail("a create answered %r" % line)
            pid = int(m.group(1))
            node = int(re.search(r"--id=([0-9]+)", proc_cmdline(pid)).group(1))
            self.test.record(pid, "node %d" % node, self.ctl)
            self.pid[node] = pid
        if sorted(self.pid) != sorted(self.parent):
            self.fail("creates answered for %s, wanted 1..%d" % (sorted(self.pid), NODES))
        self.test.tracker.scan()

    # -- load
    def top_up(self):
        lines = []
        live = self.live()
        dead = self.dead_nodes()
        while self.outstanding < OUTSTANDING:
            rnd = self.load_rnd
            node = rnd.choice(dead) if dead and rnd.random() < 0.1 else rnd.choice(live)
            self.seq += 1
            numbers = [self.seq * UNIT] + [rnd.randint(-1000, 1000)
                                           for _ in range(rnd.randint(0, 4))]
            line = "exec %d %d %s" % (node, len(numbers), " ".join(map(str, numbers)))
            self.fifo[node].append(Request(self.seq, node, sum(numbers), self.now(), line))
            self.outstanding += 1
            lines.append(line)
        if lines:
            self.ctl.send_lines(lines)
            self.stats["requests"] += len(lines)

    # -- faults
    def signal(self, node, sig):
        pid = self.pid[node]
        if not self.test.tracker.is_ours_alive(pid):
            return False
        os.kill(pid, sig)
        return True

    def fault(self):
        # The same draws for every event, whatever it turns out to be: a seed replays the
        # same faults even when timing changes which of them can happen.
        r, pick, short, hold = (self.rnd.random() for _ in range(4))
        live = self.live()
        if r < 0.4:
            victims = [n for n in live
                       if len(live) - len([s for s in self.subtree(n) if not self.dead(s)])
                       >= MIN_LIVE]
            if victims:
                node = victims[int(pick * len(victims))]
                if not self.signal(node, signal.SIGKILL):
                    self.fail("node %d (pid %d) is gone, though neither it nor a node above"
                              " it was killed" % (node, self.pid[node]))
                self.killed_at[node] = self.now()
                self.cont_due.pop(node, None)   # a dead process needs no SIGCONT
                self.stats["kills"] += 1
                self.log("kill -9 node %d (subtree %s)" % (node, sorted(self.subtree(node))))
        elif r < 0.85 and len(self.cont_due) < MAX_STOPPED:
            candidates = [n for n in live if n not in self.cont_due]
            if candidates:
                node = candidates[int(pick * len(candidates))]
                if not self.signal(node, signal.SIGSTOP):
                    self.fail("node %d (pid %d) is gone, though neither it nor a node above"
                              " it was killed" % (node, self.pid[node]))
                now = self.now()
                self.stops[node].append([now, None])
                # Shorter than --timeout (just slow) or longer (unavailable for a while).
                span = (0.05, 0.6) if short < 0.3 else (1.2, 5.0)
                hold = (span[0] + hold * (span[1] - span[0])) * TIMEOUT_MS / 1000.0
                self.cont_due[node] = now + hold
                self.stats["stops"] += 1
                self.log("kill -STOP node %d for %.2fs" % (node, hold))

    def cont(self, node):
        self.signal(node, signal.SIGCONT)
        self.stops[node][-1][1] = self.now()
        del self.cont_due[node]
        self.log("kill -CONT node %d" % node)

    def cont_due_ones(self):
        now = self.now()
        for node, due in sorted(self.cont_due.items()):
            if due <= now:
                self.cont(node)

    # -- answers
    def why_unavailable(self, req, answered):
        """What allows `Node is unavailable` for req, or None."""
        for a in self.ancestry(req.node):
            killed = self.killed_at.get(a)
            if killed is not None and killed <= answered:
                return "node %d was killed at %s" % (a, self.at(killed))
            for stopped, continued in self.stops.get(a, ()):
                if stopped <= answered and (continued is None
                                            or continued + CONT_GRACE >= req.sent):
                    return "node %d was stopped at %s" % (a, self.at(stopped))
        return None

    def killed_before(self, req):
        for a in self.ancestry(req.node):
            killed = self.killed_at.get(a)
            if killed is not None and killed < req.sent:
                return a, killed
        return None

    def on_line(self, line):
        answered = self.now()
        m = ANSWER_LINE.fullmatch(line)
        if not m:
            self.fail("unexpected line %r" % line)
        node = int(m.group(2))
        queue = self.fifo.get(node)
        if not queue:
            self.fail("%r: an answer for node %d, which has no request outstanding" % (line, node))
        req = queue.popleft()
        self.outstanding -= 1
        if m.group(1) == "Ok":
            try:
                value = int(m.group(3))
            except ValueError:
                self.fail("%r for %r: not a number" % (line, req))
            if value != req.total:
                later = [r for r in queue if r.total == value]
                self.fail("%r: the answer to %r is %d%s" % (
                    line, req, req.total, "; it is the answer of the later %r: out of order"
                    % later[0] if later else ""))
            gone = self.killed_before(req)
            if gone:
                self.fail("%r: %r answered Ok, though node %d was killed at %s, before it was"
                          " sent" % (line, req, gone[0], self.at(gone[1])))
            self.stats["ok"] += 1
        elif m.group(3) == "Node is unavailable":
            if self.why_unavailable(req, answered) is None:
                self.fail("%r at %s: %r, sent at %s, was to a node that was alive and never"
                          " stopped, nor any node above it" % (line, self.at(answered), req,
                                                              self.at(req.sent)))
            self.stats["unavailable"] += 1
        else:
            self.fail("%r: an error that no fault explains, for %r" % (line, req))

    def read(self, wait):
        """Handles what has come, waiting at most `wait` s for the first line."""
        line = self.ctl.next_line(wait)
        while line is not None:
            self.on_line(line)
            line = self.ctl.next_line(0)

    # -- the whole run
    def run(self, seconds):
        self.build()
        self.log("tree built: %s" % self.parent)
        end = self.now() + seconds
        next_fault = self.now() + self.rnd.uniform(0.1, 0.5)
        while self.now() < end:
            self.top_up()
            if self.now() >= next_fault:
                self.fault()
                next_fault = self.now() + self.rnd.uniform(0.15, 0.6)
            self.cont_due_ones()
            self.read(0.02)
        for node in sorted(self.cont_due):
            self.cont(node)
        # Every request answered: at most --timeout after the last stop, plus slack.
        deadline = self.now() + TIMEOUT_MS / 1000.0 + 3 * ANSWER
        while self.outstanding:
            if self.now() >= deadline:
                self.fail("%d requests never answered: %s" % (self.outstanding, [
                    r for q in self.fifo.values() for r in q][:10]))
            self.read(0.1)
        self.settle()

    def settle(self):
        ctl, test = self.ctl, self.test
        # Each node that was stopped and is alive answers again (a ping until `Ok: 1`).
        for node in sorted(n for n in self.stops if not self.dead(n)):
            deadline = self.now() + ANSWER + TIMEOUT_MS / 1000.0
            while True:
                ctl.send("ping %d" % node)
                got = ctl.next_line(ANSWER + TIMEOUT_MS / 1000.0)
                if got == "Ok: 1":
                    break
                if got != "Ok: 0" or self.now() >= deadline:
                    self.fail("ping %d after kill -CONT: %r" % (node, got))
        dead = self.dead_nodes()
        ctl.send("pingall")
        want = "Ok: " + (";".join(map(str, dead)) if dead else "-1")
        got = ctl.next_line(TIMEOUT_MS / 1000.0 + ANSWER)
        if got != want:
            self.fail("pingall: %r, wanted %r (killed: %s)" % (got, want,
                                                              sorted(self.killed_at)))
        tree = read_tree(ctl)
        if sorted(tree.nodes) != sorted(self.parent) or tree.marked("unavailable") != dead:
            self.fail("`tree` does not show the killed subtrees %s as unavailable:\n%s"
                      % (dead, tree))
        # The killed processes are gone, and so are their subtrees (by themselves, 2 s).
        test.assert_gone([self.pid[n] for n in dead], SELF_END + MARGIN)
        for node in self.live():
            if not test.tracker.is_ours_alive(self.pid[node]):
                self.fail("node %d (pid %d) is gone, though neither it nor a node above it"
                          " was killed" % (node, self.pid[node]))


class ChaosTest(MqTestCase):

    def test_kills_and_stops_under_load(self):
        seed = chaos_seed()
        seconds = chaos_seconds()
        print("\nchaos: MQTREE_CHAOS_SEED=%d MQTREE_CHAOS_SECONDS=%g" % (seed, seconds),
              file=sys.stderr)
        ctl = self.start("-t", "tree", "-e", "sum", "-T", str(TIMEOUT_MS))
        chaos = Chaos(self, ctl, seed)
        try:
            chaos.run(seconds)
            rest = self.exit_cleanly(ctl)
            self.assertEqual(rest, [], "answers nobody asked for at exit")
            self.assert_no_sanitizer_report(ctl)
        except AssertionError as e:
            report = ""
            if ctl.proc.poll() is not None:
                ctl.stderr_until_end(1.0)
            if sanitizer_reports(ctl.stderr_lines):
                report = ("\nsanitizer report on the control node's stderr:\n  %s"
                          % "\n  ".join(ctl.stderr_lines[:40]))
            raise AssertionError("chaos seed %d (replay: MQTREE_CHAOS_SEED=%d): %s%s"
                                 % (seed, seed, e, report)).with_traceback(e.__traceback__) \
                from None
        print("chaos: seed %d: %s" % (seed, dict(chaos.stats)), file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
