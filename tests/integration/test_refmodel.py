"""The reference model (refmodel.py) against hand-written transcripts: the examples of SPEC and
README, the shapes that test_topology.py checks on the real programs, and the placements and
removals that tests/unit/test_topo.c and the set tests check in C. No process is started."""

import unittest

from refmodel import PID, Model, matches

MAX, MIN = "9223372036854775807", "-9223372036854775808"


class Transcripts(unittest.TestCase):

    def run_transcript(self, topology, cmdset, transcript):
        model = Model(topology, cmdset)
        for line, want in transcript:
            self.assertEqual(model.answer(line), want, "-t %s -e %s: %r" % (topology, cmdset,
                                                                          line))
        return model

    def test_readme_session(self):
        m = self.run_transcript("tree", "sum", [
            ("create 1 -1", PID), ("create 2 1", PID), ("exec 2 3 1 2 3", "Ok:2: 6"),
            ("exec 2 2 %s %s" % (MAX, MAX), "Ok:2: 18446744073709551614"),
            ("exec 2 3 1 2", "Error:2: Expected 3 numbers, got 2"), ("ping 2", "Ok: 1"),
            ("kill 1", "Ok"), ("pingall", "Ok: -1"), ("exec 2 1 1", "Error:2: Not found"),
            ("ping 1", "Error: Not found"), ("kill 1", "Error: Not found"),
            ("remove 2", "Error: Not found"),
        ])
        self.assertEqual(m.ids(), [])

    def test_spec_dict_examples(self):
        self.run_transcript("tree", "dict", [
            ("create 10", PID), ("exec 10 MyVar", "Ok:10: 'MyVar' not found"),
            ("exec 10 MyVar 5", "Ok:10"), ("exec 10 MyVar", "Ok:10: 5"),
            ("exec 10 MyVar -7", "Ok:10"), ("exec 10\tMyVar", "Ok:10: -7"),
        ])

    def test_create_errors(self):
        self.run_transcript("tree", "sum", [
            ("create 1 5", "Error: Parent not found"), ("create 1", PID),
            ("create 1", "Error: Already exists"), ("create 1 7", "Error: Already exists"),
            ("create 2 2", "Error: Parent not found"), ("create 2 1", PID),
            ("create 3 x", "Error: Invalid id 'x'"), ("create x", "Error: Invalid id 'x'"),
            ("create 2147483648", "Error: Invalid id '2147483648'"),
            ("create 007 1", PID), ("ping 7", "Ok: 1"),
            ("create", "Error: Missing argument; usage: create ID [PARENT] [@HOST]"),
            ("create 1 2 3", "Error: Too many arguments; usage: create ID [PARENT] [@HOST]"),
            ("frob", "Error: Unknown command 'frob'"), ("# create 9", None), ("", None),
            ("pingall 1", "Error: Too many arguments; usage: pingall"),
            ("exec", "Error: Missing argument; usage: exec ID ARGS..."),
            ("exec -1 1 1", "Error: Invalid id '-1'"), ("remove -1", "Error: Invalid id '-1'"),
        ])
        # PARENT is ignored in bst and balanced, even one that does not exist
        for topology in ("bst", "balanced"):
            self.run_transcript(topology, "sum", [("create 1 5", PID), ("create 2 99", PID)])

    def test_sum_texts(self):
        """As tests/unit/test_set_sum.c has them."""
        model = Model("tree", "sum")
        model.answer("create 1")
        for args, want in [
                ("3 +2 +1 -1", "2"), ("2 -0 +0", "0"), (" \t 3\t10  -20\r30 ", "20"),
                ("2 %s %s" % (MIN, MIN), "-18446744073709551616"),
                ("3 %s %s %s" % (MAX, MAX, MAX), "27670116110564327421"),
                ("1 -00000000000000000000009223372036854775808", MIN)]:
            self.assertEqual(model.answer("exec 1 " + args), "Ok:1: " + want, args)
        for args, want in [
                ("2 1 abc", "Invalid number 'abc'"), ("2 + 1", "Invalid number '+'"),
                ("1 --1", "Invalid number '--1'"), ("1 1e5", "Invalid number '1e5'"),
                ("1 9223372036854775808", "Number out of range '9223372036854775808'"),
                ("1 -9223372036854775809", "Number out of range '-9223372036854775809'"),
                ("1 " + "9" * 40, "Number out of range '%s...'" % ("9" * 32)),
                ("2 x 99999999999999999999", "Invalid number 'x'"),
                ("x 1", "Invalid count 'x'"), ("- 1", "Invalid count '-'"),
                ("0", "Count out of range '0'"), ("-1 5", "Count out of range '-1'"),
                ("100000001 1", "Count out of range '100000001'"),
                ("", "Expected N K1 ... KN"), ("3 1 2", "Expected 3 numbers, got 2"),
                ("1 1 2", "Expected 1 numbers, got 2")]:
            self.assertEqual(model.answer("exec 1 " + args), "Error:1: " + want, args)
        self.assertEqual(model.answer("exec 1"), "Error:1: Expected N K1 ... KN")

    def test_dict_texts(self):
        """As tests/unit/test_set_dict.c has them."""
        model = Model("tree", "dict")
        model.answer("create 1")
        for args, want in [
                ("", "Error:1: Expected NAME [VALUE]"), ("a 1 2", "Error:1: Expected NAME [VALUE]"),
                ("a! 1 2", "Error:1: Expected NAME [VALUE]"),
                ("a_b 1", "Error:1: Invalid name 'a_b'"), ("a! x", "Error:1: Invalid name 'a!'"),
                ("x1234567890123456789012345678901234567890!",
                 "Error:1: Invalid name 'x1234567890123456789012345678901...'"),
                ("a x", "Error:1: Invalid value 'x'"), ("a -", "Error:1: Invalid value '-'"),
                ("a 9223372036854775808", "Error:1: Value out of range '9223372036854775808'"),
                ("n" * 257, "Error:1: Name too long"),
                ("n" * 256, "Ok:1: '%s' not found" % ("n" * 256)),
                ("a", "Ok:1: 'a' not found"), ("a +2", "Ok:1"), ("a", "Ok:1: 2"),
                ("a 000000000000000000000000000000000000000012", "Ok:1"), ("a", "Ok:1: 12"),
                ("A", "Ok:1: 'A' not found"), ("0 -7", "Ok:1"), ("0", "Ok:1: -7")]:
            self.assertEqual(model.answer("exec 1 " + args), want, args)

    def test_dict_state_per_node(self):
        """Each node has its own; remove keeps the children's, kill ends the subtree's, and a
        node created again starts empty."""
        self.run_transcript("tree", "dict", [
            ("create 1", PID), ("create 2 1", PID), ("create 3 2", PID),
            ("exec 1 v 1", "Ok:1"), ("exec 2 v 2", "Ok:2"), ("exec 3 v 3", "Ok:3"),
            ("remove 2", "Ok"), ("exec 3 v", "Ok:3: 3"), ("exec 1 v", "Ok:1: 1"),
            ("create 2 3", PID), ("exec 2 v", "Ok:2: 'v' not found"),
            ("kill 3", "Ok"), ("ping 2", "Error: Not found"), ("exec 3 v", "Error:3: Not found"),
            ("exec 1 v", "Ok:1: 1"), ("create 3 1", PID), ("exec 3 v", "Ok:3: 'v' not found"),
        ])

    def test_step_keys(self):
        """An exec of a node that exists names that life of the node; a new life, a new key."""
        model = Model("tree", "sum")
        model.answer("create 1")
        first = model.step("exec 1 1 1")[1]
        self.assertIsNotNone(first)
        self.assertIsNone(model.step("ping 1")[1])
        model.answer("kill 1")
        self.assertEqual(model.step("exec 1 1 1"), ("Error:1: Not found", None))
        model.answer("create 1")
        self.assertNotEqual(model.step("exec 1 1 1")[1], first)

    def test_matches(self):
        self.assertTrue(matches(PID, "Ok: 4242"))
        for line in ("Ok: 0", "Ok: 1", "Ok: -1", "Ok:4242", "Ok: 42 ", "Ok", None):
            self.assertFalse(matches(PID, line), line)
        self.assertTrue(matches("Ok: 1", "Ok: 1"))
        self.assertFalse(matches("Ok: 1", "Ok: 0"))


def where(model):
    return {i: model.where(i)[:2] for i in model.ids()}


class Shapes(unittest.TestCase):
    """Placement and remove, as test_topology.py and tests/unit/test_topo.c check them."""

    def build(self, topology, creates):
        model = Model(topology, "dict")
        for node, parent in creates:
            line = "create %d" % node + ("" if parent is None else " %d" % parent)
            self.assertEqual(model.answer(line), PID, line)
        return model

    def remove(self, model, node):
        self.assertEqual(model.answer("remove %d" % node), "Ok")

    def test_list(self):
        m = self.build("list", [(1, None), (2, 1), (3, 2), (9, 1), (5, -1)])
        self.assertEqual(m.shape(), ["  1", "    9", "      2", "        3", "  5"])
        self.remove(m, 9)
        self.assertEqual(m.shape(), ["  1", "    2", "      3", "  5"])
        self.remove(m, 1)       # the head of a chain: its successor becomes the head
        self.assertEqual(m.shape(), ["  2", "    3", "  5"])
        m.answer("create 12 2")
        self.assertEqual(m.shape(), ["  2", "    12", "      3", "  5"])
        self.assertEqual(m.answer("kill 12"), "Ok")
        self.assertEqual(m.shape(), ["  2", "  5"])

    def test_tree(self):
        m = self.build("tree", [(1, -1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 4), (7, None),
                                (8, 7)])
        self.remove(m, 2)       # its children stand where it stood, in their order
        self.assertEqual(m.shape(), ["  1", "    4", "      6", "    5", "    3", "  7",
                                     "    8"])
        self.remove(m, 7)
        self.assertEqual(m.shape(), ["  1", "    4", "      6", "    5", "    3", "  8"])
        self.assertEqual(m.answer("kill 4"), "Ok")
        self.assertEqual(m.ids(), [1, 3, 5, 8])

    def test_bst(self):
        m = self.build("bst", [(50, None), (30, 50), (70, 30), (20, 70), (40, -1), (60, 20),
                               (80, None), (65, None)])
        self.assertEqual(m.shape(), ["  50", "    30 (L)", "      20 (L)", "      40 (R)",
                                     "    70 (R)", "      60 (L)", "        65 (R)",
                                     "      80 (R)"])
        self.remove(m, 50)      # the successor 60 takes its place, 65 takes 60's
        self.assertEqual(where(m), {60: (-1, 0), 30: (60, 0), 20: (30, 0), 40: (30, 1),
                                    70: (60, 1), 65: (70, 0), 80: (70, 1)})
        self.remove(m, 30)      # the successor is a leaf
        self.assertEqual(where(m), {60: (-1, 0), 40: (60, 0), 20: (40, 0), 70: (60, 1),
                                    65: (70, 0), 80: (70, 1)})
        self.remove(m, 70)
        m.answer("create 55")
        self.assertEqual(where(m), {60: (-1, 0), 40: (60, 0), 20: (40, 0), 55: (40, 1),
                                    80: (60, 1), 65: (80, 0)})
        self.remove(m, 80)      # one child: it takes the place
        self.remove(m, 20)      # a leaf
        self.assertEqual(where(m), {60: (-1, 0), 40: (60, 0), 55: (40, 1), 65: (60, 1)})

    def test_balanced_place(self):
        m = self.build("balanced", [(i, None) for i in range(1, 16)])
        want = [(-1, 0), (1, 0), (1, 1), (2, 0), (3, 0), (2, 1), (3, 1), (4, 0), (5, 0),
                (6, 0), (7, 0), (4, 1), (5, 1), (6, 1), (7, 1)]
        self.assertEqual([m.where(i)[:2] for i in range(1, 16)], want)
        self.assertEqual([m.where(i)[2] for i in (1, 2, 3, 5)], [15, 7, 7, 3])

    def test_balanced_remove(self):
        m = self.build("balanced", [(i, None) for i in range(1, 16)])
        self.remove(m, 2)       # 4 and 6 tie: the right one, then its leaf 14
        self.assertEqual(m.where(14), (1, 0, 6))
        self.assertEqual(m.where(4)[:2], (14, 0))
        self.assertEqual(m.where(6), (14, 1, 2))
        self.remove(m, 1)       # 3 (7 nodes) beats 14 (6); 7 beats 5 on the tie; 15 beats 11
        self.assertEqual(m.where(15), (-1, 0, 13))
        self.assertEqual(m.where(14)[:2], (15, 0))
        self.assertEqual(m.where(3), (15, 1, 6))
        self.remove(m, 11)
        self.remove(m, 5)
        self.assertEqual(m.where(13)[:2], (3, 0))
        self.assertEqual(m.where(9)[:2], (13, 0))
        self.remove(m, 13)
        self.assertEqual(m.where(9)[:2], (3, 0))
        self.assertEqual(m.where(3), (15, 1, 3))

    def test_balanced_remove_choice(self):
        m = self.build("balanced", [(i, None) for i in range(1, 7)])
        self.remove(m, 1)       # the bigger side, 2, and on its tie the right: 6
        self.assertEqual(m.where(6)[:2], (-1, 0))
        self.assertEqual(m.where(2), (6, 0, 2))
        self.assertEqual(m.where(3), (6, 1, 2))
        m.answer("create 7")
        self.assertEqual(m.where(7)[:2], (2, 1))
        self.remove(m, 3)
        self.assertEqual(m.where(5)[:2], (6, 1))


if __name__ == "__main__":
    unittest.main()
