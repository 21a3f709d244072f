"""Seeded random scripts checked answer by answer against a reference model of the contract.

refmodel.py knows, with no process, the exact answer every command gets in a session without
faults (SPEC section 2: each command's answer is the one it gets when every earlier command has
finished first). The scripts mix creates with and without parents (re-created ids, parents
that do not exist, list insertions in the middle of a chain), removes and kills of inner
nodes, execs good and malformed, pings, pingall and malformed commands, with ids from 1 to 25
so that collisions and re-creations are common. Each runs in every topology with `-e sum`
and `-e dict`, driven three ways:

  step       one command at a time: each answer, once it has come, equals the model's;
  pipelined  the whole script at once: the same answers in some order (as a multiset), and
             each node's exec answers in the order of its commands (SPEC: only the order of
             answers from different nodes may differ);
  ordered    the whole script at once with --ordered: stdout is the model's answers, line for
             line (skipped when the build has no --ordered).

Every run ends with `tree` (the shape must be the model's) and exit_cleanly. `Ok: PID` answers
match /^Ok: \\d+$/. A failure prints the topology, set, mode, seed, the script with the model's
answers, and the first differing answer.

  MQTREE_SCRIPTS=N     N seeds per topology, set and mode (default 3)
  MQTREE_MODEL_SEED=S  the first seed (default 0): S, S+1, ...
"""

import collections
import os
import random
import re
import subprocess
import unittest

from harness import ANSWER, MQTREE_BIN, SLOW, MqTestCase, deadline_after, remaining
from refmodel import PID, SETS, TOPOLOGIES, Model, matches
from support_extra import TREE_HEADER

SCRIPTS = int(os.environ.get("MQTREE_SCRIPTS") or 3)
FIRST_SEED = int(os.environ.get("MQTREE_MODEL_SEED") or 0)
TIMEOUT_MS = 3000
IDS = range(1, 26)
ALL_ANSWERS = 12.0 * SLOW       # every answer of a script sent at once (they take ms)
MODES = ("step", "pipelined", "ordered")
NAMES = ("a", "b", "Var1", "x9", "ZZ")
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def has_ordered():
    """Whether the control node under test has --ordered (its --help names it)."""
    try:
        r = subprocess.run([MQTREE_BIN, "--help"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"--ordered" in r.stdout + r.stderr


HAS_ORDERED = has_ordered()


# --------------------------------------------------------------------------------------------
# Scripts

def number(rnd):
    r = rnd.random()
    if r < 0.55:
        return str(rnd.randint(-1000, 1000))
    if r < 0.70:
        return str(rnd.randint(INT64_MIN, INT64_MAX))
    if r < 0.80:
        return str(INT64_MAX)
    if r < 0.90:
        return str(INT64_MIN)
    return rnd.choice(["+%d" % rnd.randint(0, 99), "00%d" % rnd.randint(0, 99), "-0"])


def spaced(rnd, tokens):
    return "".join((" " if rnd.random() < 0.9 else rnd.choice(["  ", "\t"])) + t
                   for t in tokens)


def sum_args(rnd, good):
    nums = [number(rnd) for _ in range(rnd.randint(1, 6))]
    count = str(len(nums))
    if not good:
        kind = rnd.randrange(5)
        if kind == 0:                   # wrong count
            count = str(len(nums) + 1 if len(nums) == 1 or rnd.random() < 0.5
                        else len(nums) - 1)
        elif kind == 1:                 # a bad number
            nums[rnd.randrange(len(nums))] = rnd.choice(["x", "1x", "--3", "+", "-", "3.5",
                                                         "0x10"])
        elif kind == 2:                 # a number out of range
            nums[rnd.randrange(len(nums))] = rnd.choice(["9223372036854775808",
                                                         "-9223372036854775809",
                                                         "123456789012345678901234567890"])
        elif kind == 3:                 # a bad count
            count = rnd.choice(["x", "0", "-2", "100000001", "1e3"])
        else:                           # nothing at all
            return ""
    return spaced(rnd, [count] + nums)


def dict_args(rnd, good, stored=()):
    name = rnd.choice(NAMES)
    if good:
        if rnd.random() < 0.55:
            return spaced(rnd, [name, number(rnd)])
        if stored and rnd.random() < 0.7:       # mostly names the node has
            name = rnd.choice(sorted(stored))
        return spaced(rnd, [name])
    kind = rnd.randrange(6)
    if kind == 0:
        return ""
    if kind == 1:
        return spaced(rnd, [name, number(rnd), number(rnd)])
    if kind == 2:
        return spaced(rnd, [rnd.choice(["a-b", "a_b", "x.y", "%"])] +
                      ([number(rnd)] if rnd.random() < 0.5 else []))
    if kind == 3:
        return spaced(rnd, [name, rnd.choice(["1.5", "abc", "+", "5x"])])
    if kind == 4:
        return spaced(rnd, [name, rnd.choice(["9223372036854775808",
                                              "-99999999999999999999"])])
    return spaced(rnd, ["n" * 300] + ([number(rnd)] if rnd.random() < 0.5 else []))


MALFORMED = ["frob 3", "ping", "kill 3 4", "create x", "create 5 y", "remove -1", "exec x 1 1",
             "pingall 1", "exec", "create 1 2 3", "create 4 @nowhere", "create 4 2 3 @x",
             "ping 99999999999"]


def script(topology, cmdset, seed):
    """A script of 40 to 70 lines, fixed by (topology, cmdset, seed), ending with pingall."""
    rnd = random.Random("%s/%s/%d" % (topology, cmdset, seed))
    model = Model(topology, cmdset)
    lines = []
    for _ in range(rnd.randint(40, 70) - 1):
        live = model.ids()

        def target():
            return rnd.choice(live) if live and rnd.random() < 0.8 else rnd.choice(IDS)
        r = rnd.random()
        if r < 0.34 or not live:
            free = [i for i in IDS if i not in live]
            node = rnd.choice(free) if free and rnd.random() < 0.75 else rnd.choice(IDS)
            q = rnd.random()
            if topology in ("list", "tree"):
                parent = (rnd.choice(live) if live and q < 0.55 else -1 if q < 0.70 else
                          None if q < 0.85 else rnd.choice([i for i in range(1, 31)
                                                            if i not in live]))
            else:   # PARENT is ignored
                parent = None if q < 0.5 else -1 if q < 0.75 else rnd.choice(IDS)
            line = "create %d" % node + ("" if parent is None else " %d" % parent)
        elif r < 0.64:
            node, good = target(), rnd.random() < 0.8
            if cmdset == "sum":
                args = sum_args(rnd, good)
            else:
                args = dict_args(rnd, good, model.nodes[node].state if node in live else ())
            line = "exec %d%s" % (node, args)
        elif r < 0.75:
            line = "remove %d" % target()
        elif r < 0.82:
            line = "kill %d" % target()
        elif r < 0.91:
            line = "ping %d" % target()
        elif r < 0.94:
            line = "pingall"
        elif r < 0.98:
            line = rnd.choice(MALFORMED)
        else:
            line = rnd.choice(["# a comment", ""])
        model.answer(line)
        lines.append(line)
    lines.append("pingall")
    return lines


def expected(topology, cmdset, lines):
    """[(index of the line, answer, key)] for the lines that get an answer, and the model."""
    model = Model(topology, cmdset)
    out = []
    for i, line in enumerate(lines):
        answer, key = model.step(line)
        if answer is not None:
            out.append((i, answer, key))
    return out, model


def exec_node(line):
    """The node id of an exec answer (`Ok:ID...`, `Error:ID:...`), else None."""
    m = re.match(r"(?:Ok|Error):(\d+)(?::|$)", line)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------------------------
# Comparisons: None when they agree, else what differs first

def compare_in_order(want, got):
    """want: [(line index, answer, key)]; got: answer lines in the order they came."""
    for k, (i, answer, _) in enumerate(want):
        line = got[k] if k < len(got) else None
        if not matches(answer, line):
            return k, i, "answer %d (to line %d): want %r, got %s" % (
                k + 1, i + 1, answer, "nothing" if line is None else repr(line))
    if len(got) > len(want):
        return len(want), None, "extra answers: %r" % got[len(want):]
    return None


def compare_as_multiset(want, got):
    """The same answers in any order (`Ok: PID` matched last, by regex). Equal answers are
    told apart only by their count: a missing one is shown with every line that wants it."""
    left = collections.Counter(got)
    wanted = collections.defaultdict(list)      # answer -> lines that want it
    missing = collections.Counter()
    for i, answer, _ in want:
        wanted[answer].append(i)
        if answer == PID:
            missing[PID] += 1
        elif left[answer]:
            left[answer] -= 1
        else:
            missing[answer] += 1
    extra = []
    for line in got:
        if left[line]:
            left[line] -= 1
            if missing[PID] and matches(PID, line):
                missing[PID] -= 1
            else:
                extra.append(line)
    missing = +missing
    if not missing and not extra:
        return None
    shown = []
    for answer, n in sorted(missing.items(), key=lambda a: wanted[a[0]][0]):
        lines = wanted[answer]
        shown.append("%d x %r (%s %s)" % (n, answer, "line" if len(lines) == 1 else "of lines",
                                          ", ".join(str(i + 1) for i in lines[:8]) +
                                          (", ..." if len(lines) > 8 else "")))
    execs = collections.defaultdict(list)      # node -> lines of execs naming it
    for i, answer, _ in want:
        if exec_node(answer) is not None:
            execs[exec_node(answer)].append(i + 1)
    unexpected = ["%r%s" % (line, " (execs of node %d on lines %s)" % (
        exec_node(line), ", ".join(map(str, execs[exec_node(line)])))
        if exec_node(line) is not None else "") for line in extra]
    return "missing: %s; unexpected: %s" % ("; ".join(shown) or "none",
                                            ", ".join(unexpected) or "none")


def compare_per_node(want, got, lines):
    """Each node's exec answers (but `Not found`, which no node gives) in the order of its
    commands."""
    want_by, got_by = collections.defaultdict(list), collections.defaultdict(list)
    for i, answer, key in want:
        if key is not None:
            want_by[exec_node(answer)].append((i, answer))
    for line in got:
        node = exec_node(line)
        if node is not None and not line.endswith(": Not found"):
            got_by[node].append(line)
    first = None        # (line index, text) of the earliest difference
    for node in sorted(set(want_by) | set(got_by)):
        w, g = want_by[node], got_by[node]
        for k in range(max(len(w), len(g))):
            wa = w[k][1] if k < len(w) else None
            ga = g[k] if k < len(g) else None
            if wa != ga:
                at = w[k][0] if k < len(w) else len(lines)
                where = "line %d `%s`" % (at + 1, lines[at]) if k < len(w) else "no line"
                text = ("node %d, its exec answer %d (%s): want %r, got %r; node %d's answers:"
                        " want %r, got %r" % (node, k + 1, where, wa, ga, node,
                                              [a for _, a in w], g))
                if first is None or at < first[0]:
                    first = (at, text)
                break
    return first and first[1]


# --------------------------------------------------------------------------------------------

class ModelTest(MqTestCase):

    def run_script(self, topology, cmdset, mode, seed):
        lines = script(topology, cmdset, seed)
        want, model = expected(topology, cmdset, lines)
        args = ["-t", topology, "-e", cmdset, "-T", str(TIMEOUT_MS)]
        if mode == "ordered":
            args.append("-o")
        ctl = self.start(*args)
        got = []
        where = "-t %s -e %s, mode %s, seed %d" % (topology, cmdset, mode, seed)

        def fail(what):
            self.fail("%s: %s\n%s\n  replay: MQTREE_MODEL_SEED=%d MQTREE_SCRIPTS=1 python3 -m "
                      "unittest test_model.ModelTest.test_%s_%s_%s"
                      % (where, what, self.show(lines, want, got, mode), seed, topology,
                         cmdset, mode))

        if mode == "step":
            answer_of = {i: a for i, a, _ in want}
            for i, line in enumerate(lines):
                ctl.send(line)
                if i not in answer_of:
                    continue
                line_got = ctl.next_line(ANSWER)
                got.append(line_got)
                if not matches(answer_of[i], line_got):
                    fail("line %d `%s`: want %r, got %s" % (
                        i + 1, line, answer_of[i], "nothing within %.1fs" % ANSWER
                        if line_got is None else repr(line_got)))
        else:
            ctl.send_lines(lines)
            end = deadline_after(ALL_ANSWERS)
            while len(got) < len(want):
                line_got = ctl.next_line(remaining(end))
                if line_got is None:
                    break
                got.append(line_got)
            short = ("; only %d of %d answers within %.1fs" % (len(got), len(want), ALL_ANSWERS)
                     if len(got) < len(want) else "")
            if mode == "ordered":
                diff = compare_in_order(want, got)
                if diff:
                    fail("first difference: " + diff[2] + short)
            else:
                per_node = compare_per_node(want, got, lines)
                as_set = compare_as_multiset(want, got)
                if per_node or as_set:
                    fail("first difference: %s%s\n  as a multiset: %s"
                         % (per_node or "(none in the exec answers of each node)", short,
                            as_set or "the same answers"))
            if short:
                fail(short[2:])

        shape = self.read_shape(ctl, fail)
        if shape != model.shape():
            fail("`tree` at the end: want\n    %s\n  got\n    %s"
                 % ("\n    ".join(model.shape()) or "(empty)", "\n    ".join(shape) or
                    "(empty)"))
        rest = self.exit_cleanly(ctl)
        if rest:
            fail("more answers at exit: %r" % rest)

    def read_shape(self, ctl, fail):
        """What `tree` shows, pids left out (as Model.shape; any mark stays and differs)."""
        ctl.send("tree")
        head = ctl.next_line(ANSWER)
        m = TREE_HEADER.fullmatch(head or "")
        if not m:
            fail("`tree` header: got %r" % head)
        out = []
        for _ in range(int(m.group(3))):
            line = ctl.next_line(ANSWER)
            if line is None:
                fail("`tree`: only %d of %s node lines" % (len(out), m.group(3)))
            out.append(re.sub(r" pid \d+", "", line))
        return out

    @staticmethod
    def show(lines, want, got, mode):
        """The script with the model's answers (and, in order, what came)."""
        answer_of = {i: a for i, a, _ in want}
        k = {i: n for n, (i, _, _) in enumerate(want)}
        out = ["  script (%d lines), the model's answer%s:" % (
            len(lines), "" if mode == "pipelined" else " | what came")]
        for i, line in enumerate(lines):
            a = answer_of.get(i, "-")
            row = "  %3d  %-34r -> %-28s" % (i + 1, line, a)
            if mode != "pipelined" and i in k:
                g = got[k[i]] if k[i] < len(got) else "(nothing)"
                row += (" | " if matches(a, g) else " | DIFFERS: ") + str(g)
            out.append(row.rstrip())
        if mode == "pipelined":
            out.append("  answers in the order they came (%d):" % len(got))
            out += ["       %s" % g for g in got]
        return "\n".join(out)

    def run_seeds(self, topology, cmdset, mode):
        for seed in range(FIRST_SEED, FIRST_SEED + SCRIPTS):
            with self.subTest(seed=seed):
                self.run_script(topology, cmdset, mode, seed)


def _make(topology, cmdset, mode):
    def test(self):
        self.run_seeds(topology, cmdset, mode)
    test.__name__ = "test_%s_%s_%s" % (topology, cmdset, mode)
    test.__doc__ = "-t %s -e %s, %s" % (topology, cmdset, mode)
    if mode == "ordered" and not HAS_ORDERED:
        test = unittest.skip("%s has no --ordered" % MQTREE_BIN)(test)
    return test


for _topology in TOPOLOGIES:
    for _set in SETS:
        for _mode in MODES:
            _t = _make(_topology, _set, _mode)
            setattr(ModelTest, _t.__name__, _t)


if __name__ == "__main__":
    unittest.main()
