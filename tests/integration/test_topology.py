"""Topologies (SPEC sections 2 and 3): placement of `create` in list, tree, bst and balanced,
checked from outside through `tree`; kill -9 of a node costs exactly its subtree; `remove`
re-joins the children so that the network keeps working (and state is kept); `kill` ends a
whole subtree; a node moved by a remove is still watched by its new parent."""

import os
import signal
import time
import unittest

from harness import ANSWER, GONE, MARGIN, PID_LINE, PROMPT, SELF_END, MqTestCase
from support_extra import binary, read_tree

TIMEOUT_MS = 4000           # --timeout where an answer must come "at once" (well under it)
FAST = PROMPT + 0.5         # "at once"

# The shapes every test builds. (id, parent or None) in the order they are created.
LIST_CREATES = [(1, None), (2, 1), (3, 2), (9, 1), (5, -1)]
LIST_SHAPE = {1: -1, 9: 1, 2: 9, 3: 2, 5: -1}             # chain 1-9-2-3, and chain 5

TREE_CREATES = [(1, -1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 4), (7, None), (8, 7)]
TREE_SHAPE = {1: -1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: -1, 8: 7}

# bst: PARENT is ignored; existing but "wrong" parents are given on purpose.
BST_CREATES = [(50, None), (30, 50), (70, 30), (20, 70), (40, -1), (60, 20), (80, None)]
BST_SHAPE = binary((50, (30, 20, 40), (70, 60, 80)))

BALANCED_CREATES = [(1, None), (2, 1), (3, 2), (4, None), (5, 4), (6, -1), (7, 3)]
BALANCED_SHAPE = binary((1, (2, 4, 6), (3, 5, 7)))

SETUPS = {
    "list": (LIST_CREATES, LIST_SHAPE),
    "tree": (TREE_CREATES, TREE_SHAPE),
    "bst": (BST_CREATES, BST_SHAPE),
    "balanced": (BALANCED_CREATES, BALANCED_SHAPE),
}


def kill9(pid):
    os.kill(pid, signal.SIGKILL)
    return time.monotonic()


def value_of(node_id):
    return node_id * 1000 + 7


def balanced_slot(shape):
    """Where SPEC section 3 puts the next node in `balanced`: the first free child slot found
    by descending from the root into the subtree with fewer nodes (left on a tie)."""
    kids = {}
    for n, (p, s) in shape.items():
        kids.setdefault(p, {})[s] = n
    roots = [n for n, (p, _) in shape.items() if p == -1]
    if not roots:
        return (-1, None)

    def size(n):
        return 0 if n is None else 1 + sum(size(c) for c in kids.get(n, {}).values())
    node = roots[0]
    while True:
        left, right = kids.get(node, {}).get("L"), kids.get(node, {}).get("R")
        if left is None:
            return (node, "L")
        if right is None:
            return (node, "R")
        node = left if size(left) <= size(right) else right


class TopologyCase(MqTestCase):

    def make(self, topo, exec_set="dict", *extra):
        ctl = self.start("-t", topo, "-e", exec_set, *extra)
        ctl.topo = topo
        return ctl

    def create_all(self, ctl, creates):
        """Each create answered before the next; returns {id: pid}."""
        return {i: self.create(ctl, i, p) for i, p in creates}

    def build(self, topo, exec_set="dict", *extra):
        ctl = self.make(topo, exec_set, *extra)
        creates, shape = SETUPS[topo]
        pids = self.create_all(ctl, creates)
        tree = self.placement(ctl, shape, pids)
        return ctl, pids, tree

    def placement(self, ctl, shape, pids=None, unavailable=()):
        """`tree` must show exactly `shape` ({id: parent} for list/tree, {id: (parent, side)}
        for bst/balanced), with the pids given and no marks but `unavailable` ones."""
        tree = read_tree(ctl)
        binary_topo = ctl.topo in ("bst", "balanced")
        got = tree.shape() if binary_topo else tree.parents()
        self.assertEqual(tree.topology, ctl.topo, "topology in the header:\n%s" % tree)
        self.assertEqual(tree.count, len(shape), "node count in the header:\n%s" % tree)
        self.assertEqual(got, shape, "placement shown by `tree`:\n%s" % tree)
        if binary_topo:
            root = [n for n, (p, _) in shape.items() if p == -1]
            order = tree.inorder(root[0]) if root else []
            self.assertEqual(len(order), len(shape))
            if ctl.topo == "bst":
                self.assertEqual(order, sorted(order), "not a BST by in-order traversal:\n%s"
                                 % tree)
        if ctl.topo == "list":
            for n in shape:
                self.assertLessEqual(len(tree.children(n)), 1,
                                     "list node %d has several children:\n%s" % (n, tree))
        if pids is not None:
            want = {n: pids[n] for n in shape if n not in unavailable}
            got_pids = {n: p for n, p in tree.pids().items() if n not in unavailable}
            self.assertEqual(got_pids, want, "pids shown by `tree` vs `Ok: PID`:\n%s" % tree)
        self.assertEqual(tree.marked("unavailable"), sorted(unavailable),
                         "[unavailable] marks:\n%s" % tree)
        self.assertEqual(tree.marked("starting"), [], "[starting] marks:\n%s" % tree)
        return tree

    def store_all(self, ctl, ids):
        ctl.send_lines(["exec %d v %d" % (n, value_of(n)) for n in ids])
        ctl.expect_unordered(["Ok:%d" % n for n in ids])

    def load_all(self, ctl, ids):
        ctl.send_lines(["exec %d v" % n for n in ids])
        ctl.expect_unordered(["Ok:%d: %d" % (n, value_of(n)) for n in ids])

    def pingall(self, ctl, want):
        ctl.send("pingall")
        ctl.expect(want, ANSWER + ctl.timeout_ms / 1000.0)


# --------------------------------------------------------------------------------------------

class PlacementTest(TopologyCase):
    """create places nodes as SPEC section 3 says, seen from outside through `tree`."""

    def test_list_inserts_after_parent_and_minus_one_starts_a_chain(self):
        ctl, pids, tree = self.build("list")
        self.assertEqual(tree.subtree(1), {1, 9, 2, 3})
        # A node under the tail, and one more inserted after the head.
        pids[4] = self.create(ctl, 4, 3)
        pids[8] = self.create(ctl, 8, 1)
        self.placement(ctl, {1: -1, 8: 1, 9: 8, 2: 9, 3: 2, 4: 3, 5: -1}, pids)
        self.store_all(ctl, pids)
        self.load_all(ctl, pids)
        self.exit_cleanly(ctl)

    def test_tree_children_under_given_parents(self):
        ctl, pids, _ = self.build("tree")
        self.store_all(ctl, pids)
        self.load_all(ctl, pids)
        self.exit_cleanly(ctl)

    def test_bst_exact_shape_parent_ignored(self):
        ctl, pids, _ = self.build("bst")
        for i, p in [(65, 20), (10, -1), (45, None), (35, 80)]:
            pids[i] = self.create(ctl, i, p)
        self.placement(ctl, binary((50, (30, (20, 10, None), (40, 35, 45)),
                                    (70, (60, None, 65), 80))), pids)
        self.store_all(ctl, pids)
        self.load_all(ctl, pids)
        self.exit_cleanly(ctl)

    def test_balanced_smaller_subtree_left_on_tie(self):
        ctl, pids, _ = self.build("balanced")
        # 8: both subtrees of 1 have 3 nodes -> 2; 4 and 6 have 1 each -> 4, left slot.
        # 9: 2 has 4 nodes, 3 has 3 -> 3; 5 and 7 tie -> 5, left slot.
        # 10: 4 and 4 -> 2; 4 has 2 nodes, 6 has 1 -> 6, left slot.
        for i in (8, 9, 10):
            pids[i] = self.create(ctl, i, 1)
        self.placement(ctl, binary((1, (2, (4, 8, None), (6, 10, None)),
                                    (3, (5, 9, None), 7))), pids)
        self.store_all(ctl, pids)
        self.load_all(ctl, pids)
        self.exit_cleanly(ctl)


# --------------------------------------------------------------------------------------------

class ScriptTest(TopologyCase):
    """SPEC section 2: a command that names a node whose create has not been answered yet waits
    for it, so a script may send its creates (and execs on the new nodes) back to back. The
    placement is the same as when each create is answered before the next."""

    def test_back_to_back_creates_each_topology(self):
        for topo, (creates, shape) in SETUPS.items():
            with self.subTest(topo=topo):
                ctl = self.make(topo)
                lines = ["create %d" % i if p is None else "create %d %d" % (i, p)
                         for i, p in creates]
                lines += ["exec %d v %d" % (i, value_of(i)) for i, _ in creates]
                ctl.send_lines(lines)
                got = ctl.expect_unordered([PID_LINE] * len(creates)
                                           + ["Ok:%d" % i for i, _ in creates],
                                           ANSWER * 2)
                answered = {int(l[4:]) for l in got if PID_LINE.fullmatch(l)}
                for pid in answered:
                    self.record(pid, "node", ctl)
                tree = self.placement(ctl, shape)
                self.assertEqual(set(tree.pids().values()), answered,
                                 "pids in `tree` vs the `Ok: PID` answers:\n%s" % tree)
                self.load_all(ctl, sorted(shape))
                self.exit_cleanly(ctl)


# --------------------------------------------------------------------------------------------

class KillNineSubtreeTest(TopologyCase):
    """kill -9 of one node: pingall reports exactly its subtree (computed from `tree`)."""

    def check(self, topo, victim):
        ctl, pids, tree = self.build(topo, "dict", "-T", str(TIMEOUT_MS))
        self.store_all(ctl, pids)
        lost = tree.subtree(victim)
        self.assertGreater(len(lost), 1, "the victim must be an inner node")
        killed_at = kill9(pids[victim])
        self.pingall(ctl, "Ok: " + ";".join(str(n) for n in sorted(lost)))
        # The rest keep their state and answer.
        survivors = sorted(set(pids) - lost)
        self.load_all(ctl, survivors)
        ctl.send_lines(["exec %d v" % n for n in sorted(lost)])
        ctl.expect_unordered(["Error:%d: Node is unavailable" % n for n in sorted(lost)],
                             ANSWER + TIMEOUT_MS / 1000.0)
        self.placement(ctl, SETUPS[topo][1], pids, unavailable=lost)
        # The orphans end by themselves (SPEC section 5), and `kill` then takes them out.
        self.assert_gone([pids[n] for n in lost],
                         max(0.1, killed_at + SELF_END + MARGIN - time.monotonic()))
        ctl.send("kill %d" % victim)
        ctl.expect("Ok", ANSWER + TIMEOUT_MS / 1000.0)
        self.pingall(ctl, "Ok: -1")
        self.exit_cleanly(ctl)

    def test_list(self):
        self.check("list", 9)

    def test_tree(self):
        self.check("tree", 2)

    def test_bst(self):
        self.check("bst", 30)

    def test_balanced(self):
        self.check("balanced", 3)


# --------------------------------------------------------------------------------------------

class RemoveTest(TopologyCase):
    """remove re-joins the children as SPEC section 2 says; survivors keep their state (the
    same processes), the removed process ends, the network keeps working."""

    def remove(self, ctl, pids, node_id, shape):
        ctl.send("remove %d" % node_id)
        ctl.expect("Ok", ANSWER + ctl.timeout_ms / 1000.0)
        gone = pids.pop(node_id)
        tree = self.placement(ctl, shape, pids)
        self.assert_gone([gone], GONE + MARGIN)
        ctl.send("exec %d v" % node_id)
        ctl.expect("Error:%d: Not found" % node_id)
        self.load_all(ctl, sorted(pids))
        return tree

    def test_tree_children_go_to_the_parent(self):
        ctl, pids, _ = self.build("tree")
        self.store_all(ctl, pids)
        self.remove(ctl, pids, 2, {1: -1, 3: 1, 4: 1, 5: 1, 6: 4, 7: -1, 8: 7})
        # A root: its child goes to the control node.
        self.remove(ctl, pids, 7, {1: -1, 3: 1, 4: 1, 5: 1, 6: 4, 8: -1})
        # A leaf.
        self.remove(ctl, pids, 6, {1: -1, 3: 1, 4: 1, 5: 1, 8: -1})
        # The moved nodes still grow and work.
        pids[11] = self.create(ctl, 11, 4)
        pids[12] = self.create(ctl, 12, 8)
        self.placement(ctl, {1: -1, 3: 1, 4: 1, 5: 1, 8: -1, 11: 4, 12: 8}, pids)
        self.store_all(ctl, [11, 12])
        self.load_all(ctl, sorted(pids))
        self.pingall(ctl, "Ok: -1")
        self.exit_cleanly(ctl)

    def test_list_successor_takes_the_place(self):
        ctl, pids, _ = self.build("list")
        self.store_all(ctl, pids)
        self.remove(ctl, pids, 9, {1: -1, 2: 1, 3: 2, 5: -1})
        # The head of a chain: its successor becomes the head.
        self.remove(ctl, pids, 1, {2: -1, 3: 2, 5: -1})
        # The chain still takes insertions after the moved node.
        pids[12] = self.create(ctl, 12, 2)
        self.placement(ctl, {2: -1, 12: 2, 3: 12, 5: -1}, pids)
        self.store_all(ctl, [12])
        self.load_all(ctl, sorted(pids))
        self.pingall(ctl, "Ok: -1")
        self.exit_cleanly(ctl)

    def test_bst_standard_deletion(self):
        ctl, pids, _ = self.build("bst")
        pids[65] = self.create(ctl, 65)
        self.placement(ctl, binary((50, (30, 20, 40), (70, (60, None, 65), 80))), pids)
        self.store_all(ctl, pids)
        # Two children: the in-order successor 60 takes the place; its right child 65 takes
        # the successor's place.
        self.remove(ctl, pids, 50, binary((60, (30, 20, 40), (70, 65, 80))))
        # Two children, the successor a leaf.
        self.remove(ctl, pids, 30, binary((60, (40, 20, None), (70, 65, 80))))
        self.remove(ctl, pids, 70, binary((60, (40, 20, None), (80, 65, None))))
        # New nodes go where BST insertion in the new shape puts them.
        pids[55] = self.create(ctl, 55)
        self.placement(ctl, binary((60, (40, 20, 55), (80, 65, None))), pids)
        self.store_all(ctl, [55])
        # One child: the child takes the place.
        self.remove(ctl, pids, 80, binary((60, (40, 20, 55), 65)))
        # A leaf.
        self.remove(ctl, pids, 20, binary((60, (40, None, 55), 65)))
        self.load_all(ctl, sorted(pids))
        self.pingall(ctl, "Ok: -1")
        self.exit_cleanly(ctl)

    def remove_balanced(self, ctl, pids, node_id):
        """remove in `balanced`: some leaf of the removed node's subtree takes its place and
        nothing else changes. Returns (the leaf, the new shape)."""
        before = read_tree(ctl)
        old = before.shape()
        leaves = [n for n in before.subtree(node_id) if n != node_id and not before.children(n)]
        ctl.send("remove %d" % node_id)
        ctl.expect("Ok", ANSWER + ctl.timeout_ms / 1000.0)
        gone = pids.pop(node_id)
        after = read_tree(ctl)
        at_place = [n for n, pos in after.shape().items() if pos == old[node_id]]
        self.assertEqual(len(at_place), 1, "no node at the removed node's place:\n%s\n"
                         "was:\n%s" % (after, before))
        leaf = at_place[0]
        self.assertIn(leaf, leaves, "node %d took %d's place; leaves of its subtree were %s:"
                      "\n%s\nwas:\n%s" % (leaf, node_id, sorted(leaves), after, before))
        want = dict(old)
        del want[leaf]
        want[leaf] = old[node_id]
        del want[node_id]
        for n, (p, s) in list(want.items()):
            if p == node_id:
                want[n] = (leaf, s)
        self.placement(ctl, want, pids)
        self.assert_gone([gone], GONE + MARGIN)
        ctl.send("exec %d v" % node_id)
        ctl.expect("Error:%d: Not found" % node_id)
        self.load_all(ctl, sorted(pids))
        return leaf, want

    def test_balanced_leaf_takes_the_place(self):
        ctl, pids, _ = self.build("balanced")
        self.store_all(ctl, pids)
        self.remove_balanced(ctl, pids, 2)
        _, shape = self.remove_balanced(ctl, pids, 1)
        # A new node goes to the smaller subtree of the new shape.
        parent, side = balanced_slot(shape)
        pids[8] = self.create(ctl, 8)
        shape[8] = (parent, side)
        self.placement(ctl, shape, pids)
        self.store_all(ctl, [8])
        self.load_all(ctl, sorted(pids))
        self.pingall(ctl, "Ok: -1")
        self.exit_cleanly(ctl)

    def test_remove_missing_id(self):
        for topo in ("tree", "list", "bst", "balanced"):
            with self.subTest(topo=topo):
                ctl = self.make(topo)
                ctl.send("remove 1")
                ctl.expect("Error: Not found")
                pids = {1: self.create(ctl, 1)}
                ctl.send("remove 2")
                ctl.expect("Error: Not found")
                ctl.send("remove 1")
                ctl.expect("Ok")
                self.assert_gone([pids[1]], GONE + MARGIN)
                ctl.send("remove 1")
                ctl.expect("Error: Not found")
                self.placement(ctl, {})
                self.exit_cleanly(ctl)


# --------------------------------------------------------------------------------------------

class KillCommandTest(TopologyCase):
    """`kill` of an inner node ends its whole subtree's processes and takes them out."""

    def test_kill_inner_node_each_topology(self):
        victims = {"list": 9, "tree": 2, "bst": 70, "balanced": 2}
        for topo, victim in victims.items():
            with self.subTest(topo=topo):
                ctl, pids, tree = self.build(topo)
                lost = tree.subtree(victim)
                self.assertGreater(len(lost), 1)
                self.store_all(ctl, pids)
                ctl.send("kill %d" % victim)
                ctl.expect("Ok", ANSWER + ctl.timeout_ms / 1000.0)
                self.assert_gone([pids[n] for n in lost], GONE + MARGIN)
                shape = {n: v for n, v in SETUPS[topo][1].items() if n not in lost}
                self.placement(ctl, shape, pids)
                for n in sorted(lost):
                    ctl.send("exec %d v" % n)
                    ctl.expect("Error:%d: Not found" % n)
                self.load_all(ctl, sorted(set(pids) - lost))
                self.pingall(ctl, "Ok: -1")
                self.exit_cleanly(ctl)


# --------------------------------------------------------------------------------------------

class MovedNodeTest(TopologyCase):
    """A node moved by `remove`, then killed with kill -9, is known unavailable at once: its
    new parent notices (not the --timeout of a lost request)."""

    def check(self, topo, removed, moved, extra_creates=()):
        """moved: the id of the node that the remove moves, or a function of the `tree` after
        the remove that finds it."""
        ctl, pids, _ = self.build(topo, "dict", "-T", str(TIMEOUT_MS))
        for i, p in extra_creates:
            pids[i] = self.create(ctl, i, p)
        self.store_all(ctl, pids)
        ctl.send("remove %d" % removed)
        ctl.expect("Ok", ANSWER + TIMEOUT_MS / 1000.0)
        pids.pop(removed)
        tree = read_tree(ctl)
        if callable(moved):
            moved = moved(tree)
        self.assertIn(moved, tree.nodes, "moved node missing:\n%s" % tree)
        lost = tree.subtree(moved)
        self.load_all(ctl, sorted(pids))
        kill9(pids[moved])
        ctl.send("exec %d v" % moved)
        _, took = ctl.expect_timed("Error:%d: Node is unavailable" % moved,
                                   ANSWER + TIMEOUT_MS / 1000.0)
        self.assertLess(took, FAST, "the moved node's death was not noticed (answer took"
                        " %.2fs with -T %d)" % (took, TIMEOUT_MS))
        ctl.send("ping %d" % moved)
        ctl.expect("Ok: 0", ANSWER + TIMEOUT_MS / 1000.0)
        self.pingall(ctl, "Ok: " + ";".join(str(n) for n in sorted(lost)))
        after = read_tree(ctl)
        self.assertEqual(after.marked("unavailable"), sorted(lost), "marks:\n%s" % after)
        self.load_all(ctl, sorted(set(pids) - lost))
        self.exit_cleanly(ctl)

    def test_tree(self):
        self.check("tree", 2, 4)            # 4 (with 6 below) goes under 1

    def test_list(self):
        self.check("list", 9, 2)            # 2 (with 3 below) goes under 1

    def test_bst(self):
        self.check("bst", 50, 65, [(65, None)])   # 60 to the root, 65 under 70

    def test_balanced(self):
        def at_twos_place(tree):
            moved = tree.child(1, "L")
            self.assertIn(moved, (4, 6), "a leaf of 2's subtree must take its place:\n%s"
                          % tree)
            return moved
        self.check("balanced", 2, at_twos_place)


# --------------------------------------------------------------------------------------------

class UnavailablePlaceTest(TopologyCase):

    def test_bst_create_behind_a_dead_node(self):
        ctl, pids = self.make("bst", "sum", "-T", str(TIMEOUT_MS)), {}
        for i in (50, 30, 70):
            pids[i] = self.create(ctl, i)
        kill9(pids[30])
        self.pingall(ctl, "Ok: 30")
        for i in (20, 40, 10, 35):
            ctl.send("create %d" % i)
            ctl.expect("Error: Parent is unavailable", ANSWER + TIMEOUT_MS / 1000.0)
        ctl.send("create 30")
        ctl.expect("Error: Already exists")
        # The other side still grows.
        pids[60] = self.create(ctl, 60)
        pids[80] = self.create(ctl, 80)
        self.placement(ctl, binary((50, 30, (70, 60, 80))), pids, unavailable={30})
        ctl.send("exec 60 2 1 2")
        ctl.expect("Ok:60: 3")
        self.exit_cleanly(ctl)

    def test_balanced_skips_a_dead_subtree(self):
        ctl, pids = self.make("balanced", "sum", "-T", str(TIMEOUT_MS)), {}
        for i in (1, 2, 3):
            pids[i] = self.create(ctl, i)
        kill9(pids[2])
        self.pingall(ctl, "Ok: 2")
        for i in (4, 5, 6):
            pids[i] = self.create(ctl, i)
        self.placement(ctl, binary((1, 2, (3, (4, 6, None), 5))), pids, unavailable={2})
        self.exit_cleanly(ctl)


if __name__ == "__main__":
    unittest.main()
