"""--heal: when a node dies (kill -9), its children re-attach, with their subtrees and their
state, where the topology's `remove` rule puts them; the dead node stays, unavailable, until
kill or remove. Placement is checked against the reference model (refmodel.Model.die), state
by reading every dictionary back, and the processes by pid: the orphans are the same processes
as before. A stopped node is never healed around.
"""

import copy
import os
import random
import re
import signal
import time
import unittest

from harness import (ANSWER, SELF_END, MqTestCase, PID_LINE, deadline_after, proc_stat,
                     remaining)
from refmodel import PID, Model
from support_extra import TREE_HEADER

SEEDS = int(os.environ.get("MQTREE_HEAL_SEEDS", "2"))
CHAOS_SECONDS = float(os.environ.get("MQTREE_CHAOS_SECONDS", "15"))
UNAVAILABLE = re.compile(r"Error:(\d+): Node is unavailable")


class HealTest(MqTestCase):

    # -- helpers
    def read_tree(self, ctl):
        """`tree`, pids left out (as Model.shape), and {id: pid}."""
        ctl.send("tree")
        head = ctl.expect(TREE_HEADER)
        shape, pids = [], {}
        for _ in range(int(head.group(3))):
            line = ctl.next_line(ANSWER)
            self.assertIsNotNone(line, "`tree` ended early")
            m = re.match(r"\s*(\d+).* pid (\d+)", line)
            if m:
                pids[int(m.group(1))] = int(m.group(2))
            shape.append(re.sub(r" pid \d+", "", line))
        return shape, pids

    def wait_dead(self, ctl, ids, timeout=ANSWER):
        """Reads `tree` until every node of ids is listed [dead] (its children re-attached);
        returns the last shape read."""
        end = deadline_after(timeout)
        want = {"  %d [dead]" % i for i in ids}
        while True:
            shape, _ = self.read_tree(ctl)
            if want <= set(shape):
                return shape
            if remaining(end) <= 0:
                self.fail("nodes %s not healed around within %.1fs; tree:\n  %s"
                          % (sorted(ids), timeout, "\n  ".join(shape)))

    def run_lines(self, ctl, model, lines):
        """Sends each line and checks its answer against the model, one at a time."""
        pids = {}
        for line in lines:
            want = model.answer(line)
            ctl.send(line)
            if want == PID:
                pids[int(line.split()[1])] = self.expect_pid(ctl, int(line.split()[1]))
            elif want is not None:
                ctl.expect(want)
        return pids

    def build(self, ctl, model, rng, n):
        """A random tree of n nodes the model knows; every node's dictionary gets a value."""
        ids = rng.sample(range(1, 100), n)
        lines = []
        for k, i in enumerate(ids):
            parent = rng.choice([-1] + ids[:k])
            lines.append("create %d %d" % (i, parent))
        pids = self.run_lines(ctl, model, lines)
        self.run_lines(ctl, model, ["exec %d v %d" % (i, i * 7) for i in ids])
        return pids

    def interior(self, model, rng):
        return rng.choice(sorted(i for i, w in model.nodes.items() if w.children))

    def read_back(self, ctl, model):
        self.run_lines(ctl, model, ["exec %d v" % i for i in model.ids()])

    # -- the rules
    def heal_once(self, topology, seed):
        rng = random.Random(seed)
        ctl = self.start("-q", "--heal", "-t", topology, "-e", "dict")
        model = Model(topology, "dict")
        pids = self.build(ctl, model, rng, 12)
        victim = self.interior(model, rng)
        os.kill(pids[victim], signal.SIGKILL)
        model.die(victim)
        shape = self.wait_dead(ctl, [victim])
        self.assertEqual(shape, model.shape(), "placement after the heal of %d (seed %d)"
                         % (victim, seed))
        _, now = self.read_tree(ctl)
        for i in model.ids():   # the same processes, not new ones
            self.assertEqual(now[i], pids[i], "node %d has another process" % i)
        self.read_back(ctl, model)
        self.run_lines(ctl, model, ["pingall", "ping %d" % victim, "exec %d v" % victim,
                                    "create %d -1" % victim])
        # A second death heals in the new shape.
        second = self.interior(model, rng) if any(w.children for w in model.nodes.values()) \
            else None
        if second is not None:
            os.kill(pids[second], signal.SIGKILL)
            model.die(second)
            self.assertEqual(self.wait_dead(ctl, [victim, second]), model.shape())
            self.read_back(ctl, model)
        self.run_lines(ctl, model, ["remove %d" % victim, "pingall", "ping %d" % victim,
                                    "create %d" % victim, "exec %d v 1" % victim, "pingall"])
        self.assertEqual(self.read_tree(ctl)[0], model.shape())
        self.exit_cleanly(ctl)

    def test_children_reattach_with_their_state_in_every_topology(self):
        for topology in ("tree", "list", "bst", "balanced"):
            for seed in range(SEEDS):
                with self.subTest(topology=topology, seed=seed):
                    self.heal_once(topology, 1000 * seed + len(topology))

    def test_placement_is_where_the_processes_are(self):
        # After a heal, with healing off, kill -9 of a node takes with it exactly the nodes
        # the model has below it: the tree is the processes' own, not only what `tree` says.
        for topology in ("tree", "list", "bst", "balanced"):
            with self.subTest(topology=topology):
                rng = random.Random(50 + len(topology))
                ctl = self.start("-q", "--heal", "-t", topology, "-e", "dict")
                model = Model(topology, "dict")
                pids = self.build(ctl, model, rng, 14)
                victim = self.interior(model, rng)
                orphan = model.nodes[victim].children[-1]
                os.kill(pids[victim], signal.SIGKILL)
                model.die(victim)
                self.assertEqual(self.wait_dead(ctl, [victim]), model.shape())
                ctl.send("heal off")
                ctl.expect("Ok")
                # the orphan's new parent, or the orphan itself at depth 1
                top = orphan.parent.id if orphan.parent is not model.ctl else orphan.id
                below, todo = [], list(model.nodes[top].children)
                while todo:
                    w = todo.pop()
                    below.append(w.id)
                    todo.extend(w.children)
                os.kill(pids[top], signal.SIGKILL)
                self.assert_gone([pids[i] for i in below], SELF_END)
                for i in model.ids():
                    if i != top and i not in below:
                        self.assertTrue(self.tracker.is_ours_alive(pids[i]),
                                        "node %d, not below %d, ended with it" % (i, top))
                self.exit_cleanly(ctl)

    def test_stopped_node_is_not_healed_around(self):
        ctl = self.start("-q", "--heal", "-T", "600", "-e", "dict")
        model = Model("tree", "dict")
        pids = self.run_lines(ctl, model, ["create 1", "create 2 1", "create 3 2",
                                           "create 4 2", "exec 3 v 3"])
        before, _ = self.read_tree(ctl)
        self.halt(pids[2])
        self.continue_at_end(pids[2])
        ctl.send("exec 3 v")
        ctl.expect("Error:3: Node is unavailable", 0.6 + ANSWER)
        ctl.send("pingall")
        ctl.expect("Ok: 2;3;4", 0.6 + ANSWER)
        self.assertEqual(self.read_tree(ctl)[0], before, "a stopped node's children moved")
        self.resume(pids[2])
        ctl.send("exec 3 v")
        ctl.expect("Ok:3: 3")
        ctl.send("pingall")
        ctl.expect("Ok: -1")
        self.assertEqual(self.read_tree(ctl)[0], before)
        self.exit_cleanly(ctl)

    def nested(self, topology, pick):
        """Two nodes killed at once: the end is the model's, with the deaths in either
        order."""
        rng = random.Random(len(topology))
        ctl = self.start("-q", "--heal", "-t", topology, "-e", "dict")
        model = Model(topology, "dict")
        pids = self.build(ctl, model, rng, 14)
        a, b = pick(model)
        for v in (a, b):
            os.kill(pids[v], signal.SIGKILL)
        wants = []
        for order in ((a, b), (b, a)):
            snapshot = copy.deepcopy(model)
            for v in order:
                snapshot.die(v)
            wants.append(snapshot)
        shape = self.wait_dead(ctl, [a, b])
        live = [line for line in shape if not line.endswith("[dead]")]
        match = [m for m in wants
                 if live == [x for x in m.shape() if not x.endswith("[dead]")]]
        self.assertTrue(match, "after the deaths of %d and %d: got\n  %s\nwant one of\n  %s"
                        % (a, b, "\n  ".join(shape),
                           "\n  or\n  ".join("\n  ".join(m.shape()) for m in wants)))
        self.read_back(ctl, match[0])
        self.exit_cleanly(ctl)

    def test_a_node_and_its_parent_die_together(self):
        def pick(model):
            for i in model.ids():
                w = model.nodes[i]
                if w.children and w.parent is not model.ctl:
                    return w.parent.id, w.id
            self.fail("no interior node below an interior node")
        for topology in ("tree", "list", "bst", "balanced"):
            with self.subTest(topology=topology):
                self.nested(topology, pick)

    def test_a_node_and_its_grandparent_die_together(self):
        # the dead node's children go to its parent, itself an orphan of the other death
        def pick(model):
            for i in model.ids():
                w = model.nodes[i]
                if w.children and w.parent is not model.ctl and \
                        w.parent.parent is not model.ctl:
                    return w.parent.parent.id, w.id
            self.fail("no interior node three levels down")
        for topology in ("tree", "list", "bst", "balanced"):
            with self.subTest(topology=topology):
                self.nested(topology, pick)

    def test_a_child_that_moved_away_comes_back_to_the_node_that_started_it(self):
        # in a list, 9 is inserted between 1 and 2: node 2, started by 1, moves under 9;
        # when 9 dies, 2 comes back to 1 as an orphan, at once (not after a wait)
        ctl = self.start("-q", "--heal", "-t", "list", "-e", "dict")
        model = Model("list", "dict")
        pids = self.run_lines(ctl, model, ["create 1", "create 2 1", "create 3 2",
                                           "create 9 1", "exec 2 v 2", "exec 3 v 3"])
        os.kill(pids[9], signal.SIGKILL)
        model.die(9)
        self.assertEqual(self.wait_dead(ctl, [9], timeout=ANSWER / 2), model.shape())
        self.read_back(ctl, model)
        self.exit_cleanly(ctl)

    def test_news_sent_to_a_parent_that_then_dies_is_told_again(self):
        # 2 is stopped, so what 3 tells it stays unread: the losses of 4 and 5, and 6 and 7
        # come to 3 as their orphans. Then 2 dies with that news; 3, healed to 1, tells it
        # again.
        ctl = self.start("-q", "--heal", "-e", "dict")
        model = Model("tree", "dict")
        pids = self.run_lines(ctl, model, ["create 1", "create 2 1", "create 3 2",
                                           "create 4 3", "create 5 3", "create 6 5",
                                           "create 7 4", "exec 3 v 3", "exec 6 v 6",
                                           "exec 7 v 7"])
        self.halt(pids[2])
        for v in (4, 5):
            os.kill(pids[v], signal.SIGKILL)
        gone = deadline_after(ANSWER)   # 3 has reaped them: it has sent their losses
        while any(proc_stat(pids[v]) for v in (4, 5)):
            self.assertGreater(remaining(gone), 0, "nodes 4 and 5 not reaped by 3")
            time.sleep(0.01)
        os.kill(pids[2], signal.SIGKILL)
        for v in (2, 4, 5):     # 2 is known dead first: 4 and 5 only once it is
            model.die(v)
        shape = self.wait_dead(ctl, [2, 4, 5])
        self.assertEqual(shape[:-2] + sorted(shape[-2:]), model.shape())
        self.read_back(ctl, model)
        self.exit_cleanly(ctl)

    def test_two_siblings_die_together(self):
        def pick(model):
            for i in model.ids():
                kids = [c for c in model.nodes[i].children if c.children]
                if len(kids) >= 2:
                    return kids[0].id, kids[1].id
            return sorted(i for i, w in model.nodes.items() if w.children)[:2]
        for topology in ("tree", "balanced"):
            with self.subTest(topology=topology):
                self.nested(topology, pick)

    def test_in_flight_fail_once_and_later_ones_go_by_the_new_path(self):
        ctl = self.start("-q", "--heal")
        self.run_lines(ctl, Model("tree", "sum"),
                       ["create 1", "create 2 1", "create 3 2", "create 4 2", "create 5 4"])
        _, pids = self.read_tree(ctl)
        targets = [3, 4, 5]
        lines = ["exec %d 1 %d" % (targets[k % 3], k) for k in range(3000)]
        ctl.send_lines(lines[:1500])
        ctl.lines(100)                      # under way
        os.kill(pids[2], signal.SIGKILL)
        ctl.send_lines(lines[1500:])
        got = ctl.lines(3000 - 100, 3 * ANSWER)
        ctl.expect_none(0.3)
        seen = {}
        for line in got:
            m = re.fullmatch(r"Ok:(\d+): (\d+)", line)
            u = UNAVAILABLE.fullmatch(line)
            self.assertTrue(m or u, "unexpected answer %r" % line)
            if m:
                k = int(m.group(2))
                self.assertEqual(targets[k % 3], int(m.group(1)), line)
                self.assertNotIn(k, seen, "answered twice: %r" % line)
                seen[k] = line
        unavailable = [line for line in got if UNAVAILABLE.fullmatch(line)]
        self.assertEqual(len(seen) + len(unavailable), 2900)
        # What was given after the heal all came through.
        self.wait_dead(ctl, [2])
        for n in targets:
            ctl.send("exec %d 2 40 2" % n)
            ctl.expect("Ok:%d: 42" % n)
        ctl.send("pingall")
        ctl.expect("Ok: 2")
        self.exit_cleanly(ctl)

    def test_heartbit_reports_the_dead_node_once_and_no_orphan(self):
        ctl = self.start("-q", "--heal")
        self.run_lines(ctl, Model("tree", "sum"),
                       ["create 1", "create 2 1", "create 3 2", "create 4 2", "create 5 3"])
        _, pids = self.read_tree(ctl)
        ctl.send("heartbit 100")
        ctl.expect("Ok")
        os.kill(pids[2], signal.SIGKILL)
        start = time.monotonic()
        ctl.expect("Heartbit: node 2 is unavailable now", 0.5 + ANSWER)
        self.assertLess(time.monotonic() - start, 0.5 + 0.3, "reported late")
        ctl.expect_none(1.5)    # not again, and no orphan
        ctl.send("exec 5 1 5")
        ctl.expect("Ok:5: 5")
        self.exit_cleanly(ctl)

    def test_a_node_dies_while_a_remove_moves_it(self):
        for topology in ("tree", "list"):
            with self.subTest(topology=topology):
                ctl = self.start("-q", "--heal", "-t", topology, "-e", "dict")
                model = Model(topology, "dict")
                lines = (["create 1", "create 2 1", "create 3 2", "create 5 3"] +
                         (["create 4 2"] if topology == "tree" else []))
                self.run_lines(ctl, model, lines + ["exec 5 v 5"])
                _, pids = self.read_tree(ctl)
                ctl.send("remove 2")
                os.kill(pids[3], signal.SIGKILL)
                ctl.expect("Ok")
                wants = []
                for first in ("remove", "die"):
                    m = copy.deepcopy(model)
                    for step in ((first, "die") if first == "remove" else ("die", "remove")):
                        if step == "remove":
                            m.answer("remove 2")
                        else:
                            m.die(3)
                    wants.append(m.shape())
                shape = self.wait_dead(ctl, [3])
                self.assertIn(shape, wants)
                ctl.send("exec 5 v")
                ctl.expect("Ok:5: 5")
                ctl.send("pingall")
                ctl.expect("Ok: 3")
                self.exit_cleanly(ctl)

    def test_switched_at_the_prompt(self):
        ctl = self.start("-q")
        for line, want in (("heal", "Ok: off"), ("heal on", "Ok"), ("heal", "Ok: on"),
                           ("heal off", "Ok"), ("heal maybe", "Error: Invalid switch (on or "
                                                              "off) 'maybe'")):
            ctl.send(line)
            ctl.expect(want)
        self.run_lines(ctl, Model("tree", "sum"), ["create 1", "create 2 1", "create 3 2"])
        _, pids = self.read_tree(ctl)
        os.kill(pids[2], signal.SIGKILL)
        self.assert_gone([pids[3]], ANSWER)     # off: the subtree goes, as the course asks
        ctl.send("pingall")
        ctl.expect("Ok: 2;3")
        self.exit_cleanly(ctl)

    def test_chaos(self):
        """Pipelined execs to random nodes while random interior nodes die; every answer
        exact or unavailable, each request answered once, and every node never killed keeps
        every write it acknowledged."""
        rng = random.Random(7)
        ctl = self.start("-q", "--heal", "-t", "balanced", "-e", "dict")
        model = Model("balanced", "dict")
        pids = self.run_lines(ctl, model, ["create %d" % i for i in range(1, 41)])
        sent = {}           # serial -> (node, name, value)
        serial = 0
        killed = set()
        end = time.monotonic() + CHAOS_SECONDS
        next_kill = time.monotonic() + 0.3
        answers = []
        while time.monotonic() < end:
            batch = []
            for _ in range(50):
                node = rng.choice(sorted(model.nodes))
                serial += 1
                sent[serial] = node
                batch.append("exec %d k%d %d" % (node, serial, serial))
            ctl.send_lines(batch)
            answers += ctl.lines(len(batch), 3 * ANSWER)
            if time.monotonic() >= next_kill:
                inner = sorted(i for i, w in model.nodes.items() if w.children)
                if inner:
                    v = rng.choice(inner)
                    os.kill(pids[v], signal.SIGKILL)
                    killed.add(v)
                    model.die(v)
                    self.wait_dead(ctl, [v])
                next_kill = time.monotonic() + 0.3
        self.assertEqual(len(answers), serial)
        oks = [a for a in answers if re.fullmatch(r"Ok:\d+", a)]
        bad = [a for a in answers if not re.fullmatch(r"Ok:\d+", a) and
               not UNAVAILABLE.fullmatch(a)]
        self.assertEqual(bad, [])
        self.assertGreater(len(oks), serial // 2)
        # Answers do not say which write they are: read every write back instead. A write
        # answered Ok must be there; one answered unavailable may or may not be.
        unavailable = {}
        for a in answers:
            u = UNAVAILABLE.fullmatch(a)
            if u:
                unavailable[int(u.group(1))] = unavailable.get(int(u.group(1)), 0) + 1
        lines = ["exec %d k%d" % (sent[s], s) for s in sorted(sent) if sent[s] not in killed]
        ctl.send_lines(lines)
        got = ctl.lines(len(lines), 3 * ANSWER)
        missing = {}
        for line in got:
            m = re.fullmatch(r"Ok:(\d+): 'k\d+' not found", line)
            if m:
                missing[int(m.group(1))] = missing.get(int(m.group(1)), 0) + 1
            else:
                self.assertRegex(line, r"Ok:\d+: \d+")
        for node, n in missing.items():
            self.assertLessEqual(n, unavailable.get(node, 0),
                                 "node %d lost acknowledged writes" % node)
        ctl.send("pingall")
        ctl.expect("Ok: " + ";".join(str(k) for k in sorted(killed)))
        self.exit_cleanly(ctl)


if __name__ == "__main__":
    unittest.main()
