"""Helpers for test_topology, test_heartbit and test_sets, on top of harness.py (read-only).

Python 3 standard library only.

  * read_tree(): sends `tree` and parses its output into a Tree (placement checked from outside);
  * binary(): an expected binary shape written as nested tuples;
  * MemorySampler: samples VmRSS/VmHWM of given pids from /proc/PID/status on a thread;
  * HEARTBIT: the regex of a heartbit line.
"""

import re
import threading

from harness import ANSWER, deadline_after, remaining

# `tree`: "control pid P, TOPO, N nodes", then one line per node: two spaces per depth, the id,
# " (L)"/" (R)" after non-root ids in bst/balanced, " pid PID" (absent while starting), marks.
TREE_HEADER = re.compile(r"control pid ([0-9]+), (list|tree|bst|balanced), ([0-9]+) nodes?")
TREE_NODE = re.compile(r"((?:  )+)([0-9]+)(?: \((L|R)\))?(?: pid ([0-9]+))?((?: \[[a-z]+\])*)")

HEARTBIT = re.compile(r"Heartbit: node ([0-9]+) is unavailable now")


class Node:
    def __init__(self, node_id, parent, side, pid, marks, depth):
        self.id, self.parent, self.side, self.pid = node_id, parent, side, pid
        self.marks, self.depth = marks, depth

    def __repr__(self):
        return "Node(%d, parent=%d, side=%s, pid=%s, marks=%s)" % (
            self.id, self.parent, self.side, self.pid, sorted(self.marks))


class Tree:
    """The parsed output of `tree`."""

    def __init__(self, control_pid, topology, count, nodes, lines):
        self.control_pid, self.topology, self.count = control_pid, topology, count
        self.nodes = nodes          # {id: Node}, in printed order
        self.lines = lines

    def __str__(self):
        return "\n".join(self.lines)

    def children(self, node_id):
        return [n.id for n in self.nodes.values() if n.parent == node_id]

    def child(self, node_id, side):
        found = [n.id for n in self.nodes.values() if n.parent == node_id and n.side == side]
        return found[0] if found else None

    def parents(self):
        """{id: parent id} (-1: the control node)."""
        return {n.id: n.parent for n in self.nodes.values()}

    def shape(self):
        """{id: (parent id, side)}: the full placement of a binary topology."""
        return {n.id: (n.parent, n.side) for n in self.nodes.values()}

    def subtree(self, node_id):
        """node_id and every node below it."""
        out, todo = set(), [node_id]
        while todo:
            n = todo.pop()
            out.add(n)
            todo.extend(self.children(n))
        return out

    def inorder(self, node_id):
        if node_id is None:
            return []
        return (self.inorder(self.child(node_id, "L")) + [node_id]
                + self.inorder(self.child(node_id, "R")))

    def pids(self):
        return {n.id: n.pid for n in self.nodes.values()}

    def marked(self, mark):
        return sorted(n.id for n in self.nodes.values() if mark in n.marks)


def parse_tree(lines):
    """Tree from the lines of one `tree` answer (header first). Raises AssertionError with the
    text when a line does not parse."""
    text = "\n".join(lines)
    m = TREE_HEADER.fullmatch(lines[0])
    if m is None:
        raise AssertionError("bad `tree` header %r in:\n%s" % (lines[0], text))
    nodes, stack = {}, [-1]         # stack[d]: the last node printed at depth d (0: control)
    for line in lines[1:]:
        n = TREE_NODE.fullmatch(line)
        if n is None:
            raise AssertionError("bad `tree` line %r in:\n%s" % (line, text))
        depth = len(n.group(1)) // 2
        if depth > len(stack):
            raise AssertionError("`tree` line %r is indented deeper than under its parent:\n%s"
                                 % (line, text))
        del stack[depth:]
        node_id = int(n.group(2))
        if node_id in nodes:
            raise AssertionError("node %d printed twice by `tree`:\n%s" % (node_id, text))
        marks = set(re.findall(r"\[([a-z]+)\]", n.group(5) or ""))
        nodes[node_id] = Node(node_id, stack[-1], n.group(3),
                              int(n.group(4)) if n.group(4) else None, marks, depth)
        stack.append(node_id)
    return Tree(int(m.group(1)), m.group(2), int(m.group(3)), nodes, lines)


def read_tree(ctl, timeout=ANSWER):
    """Send `tree`, read its header and one line per node, and parse them."""
    ctl.send("tree")
    end = deadline_after(timeout)
    header = ctl.expect(TREE_HEADER, timeout)
    count = int(header.group(3))
    lines = [header.group(0)] + ctl.lines(count, remaining(end))
    tree = parse_tree(lines)
    if tree.control_pid != ctl.pid:
        raise AssertionError("`tree` names control pid %d, the control node is %d:\n%s"
                             % (tree.control_pid, ctl.pid, tree))
    return tree


def binary(spec):
    """Expected binary placement {id: (parent, side)} from nested tuples:
    (50, (30, 20, 40), (70, (60, None, 65), 80)) is 50 at the root, 30 left of it, ..."""
    out = {}

    def walk(node, parent, side):
        if node is None:
            return
        if isinstance(node, tuple):
            key, left, right = node
        else:
            key, left, right = node, None, None
        out[key] = (parent, side)
        walk(left, key, "L")
        walk(right, key, "R")
    walk(spec, -1, None)
    return out


# --------------------------------------------------------------------------------------------
# Memory of processes

def read_status(pid):
    """{'VmRSS': kB, 'VmHWM': kB} of pid, or None when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            text = f.read()
    except OSError:
        return None
    out = {}
    for key in ("VmRSS", "VmHWM"):
        m = re.search(r"^%s:\s+([0-9]+) kB" % key, text, re.M)
        if m:
            out[key] = int(m.group(1))
    return out


class MemorySampler:
    """Samples VmRSS and VmHWM of pids every `period` s on a thread until stop(); keeps the
    largest value of each seen per pid (kB)."""

    def __init__(self, pids, period=0.02):
        self.pids = dict(pids)      # name -> pid
        self.peak = {name: {"VmRSS": 0, "VmHWM": 0} for name in self.pids}
        self.samples = 0
        self.period_s = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="mem-sampler")

    def start(self):
        self._thread.start()
        return self

    def sample(self):
        for name, pid in self.pids.items():
            st = read_status(pid)
            if st:
                for key, value in st.items():
                    self.peak[name][key] = max(self.peak[name][key], value)
        self.samples += 1

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.period_s)

    def stop(self):
        """Stop, and take a last sample (VmHWM is the peak so far of each live process)."""
        self._stop.set()
        self._thread.join(5)
        self.sample()
        return self.peak
