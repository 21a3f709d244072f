"""Scripts of creates, removes, kills and execs sent back to back, as a grader's script would,
in every topology: every command gets exactly one answer, none waits for long, the network is
whole at the end (`pingall` answers `Ok: -1`) and no process is left over.

The scripts are random but fixed by their seed, so a failure can be replayed. They mix what
changes the tree (list insertions in the middle of a chain, removes of inner nodes, kills)
with requests to the nodes being moved, which is where ordering and holding go wrong.
"""

import random
import unittest

from harness import MqTestCase

COMMANDS = 40
SEEDS = range(4)
ANSWER_ALL = 15.0   # seconds for all the answers of a script; they take milliseconds


def script(topology, seed):
    rnd = random.Random(seed)
    lines, ids = [], []
    for _ in range(COMMANDS):
        r = rnd.random()
        if r < 0.45 or not ids:
            node = rnd.randint(1, 30)
            parent = rnd.choice(ids + [-1]) if topology in ("tree", "list") else -1
            lines.append("create %d %d" % (node, parent))
            ids.append(node)
        elif r < 0.65:
            lines.append("remove %d" % rnd.choice(ids))
        elif r < 0.75:
            lines.append("kill %d" % rnd.choice(ids))
        else:
            node = rnd.choice(ids)
            lines.append("exec %d v %d" % (node, node))
    return lines


class ScriptTest(MqTestCase):

    def run_scripts(self, topology):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                ctl = self.start("-t", topology, "-e", "dict", "-T", "2000")
                lines = script(topology, seed)
                ctl.send_lines(lines)
                answers = ctl.lines(len(lines), ANSWER_ALL)
                for answer in answers:
                    self.assertRegex(answer, r"^(Ok|Error)", "seed %d: %r" % (seed, answers))
                    self.assertNotIn("Cannot start", answer, "seed %d: %r" % (seed, answers))
                ctl.send("pingall")
                ctl.expect("Ok: -1")
                self.exit_cleanly(ctl)

    def test_list(self):
        self.run_scripts("list")

    def test_tree(self):
        self.run_scripts("tree")

    def test_bst(self):
        self.run_scripts("bst")

    def test_balanced(self):
        self.run_scripts("balanced")


if __name__ == "__main__":
    unittest.main()
