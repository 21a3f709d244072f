"""Nodes on other hosts: a control node in one network namespace, agents (`mqtree-node --join`)
in two others, all joined by a bridge (netns.py). Links between hosts are CURVE with keys
from `mqtree-node keygen`; strangers are refused. Skipped, with the reason, where network
namespaces cannot be made (not root)."""

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

import netns
from harness import (ANSWER, EXIT, MARGIN, MQTREE_NODE_BIN, PID_LINE, SELF_END, MqTestCase,
                     deadline_after, remaining)
from refmodel import PID, Model, matches
from support_forged import POKE_BIN

REASON = netns.root_reason()
PORT = 7000
TREE_LINE = re.compile(r"\s*(\d+)(?: \([LR]\))?(?: pid (\d+))? @(\S+)(?: \[\w+\])?")
THIS_HOST = "h0"       # what tests call the control's host (hosts: the machine's name)


def proc_doing(pid):
    """State and kernel wait channel of pid, for a failure message."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/wchan" % pid) as f:
            return "%s in %s" % (state, f.read() or "-")
    except OSError as e:
        return "unknown (%s)" % e


class Agent:
    """mqtree-node --join on host i of net; its stderr is kept."""

    def __init__(self, case, net, i, args):
        self.name = "h%d" % i
        self.proc = subprocess.Popen(net.cmd(i) + [MQTREE_NODE_BIN, "--join"] + list(args),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, cwd=case.workdir)
        self.pid = self.proc.pid
        case.tracker.add_root(self.pid, "agent on " + self.name)
        self.lines = []
        self._cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stderr:
            with self._cv:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cv.notify_all()
        self.proc.stderr.close()
        with self._cv:
            self.lines.append(None)
            self._cv.notify_all()

    def wait_line(self, pattern, timeout=ANSWER):
        """The first stderr line containing pattern; fails at the deadline or end."""
        end = deadline_after(timeout)
        with self._cv:
            while True:
                for line in self.lines:
                    if line is not None and pattern in line:
                        return line
                if None in self.lines or not self._cv.wait(remaining(end)):
                    if None in self.lines or remaining(end) == 0:
                        raise AssertionError("agent %s: no stderr line with %r; got %r"
                                             % (self.name, pattern, self.lines))

    def end(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(EXIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@unittest.skipIf(REASON, REASON)
class HostsTest(MqTestCase):
    """Three hosts: h0 runs the control node, h1 and h2 agents."""

    def setUp(self):
        super().setUp()
        self.net = netns.Net(3)
        self.agents = []
        self.addCleanup(self._end_hosts)
        for name in ("ctl", "h1", "h2", "stranger"):
            self.keygen(name)
        with open(self.path("allowed"), "w") as f:
            for name in ("h1", "h2"):
                with open(self.path(name + ".pub")) as pub:
                    f.write(pub.read())

    def _end_hosts(self):
        for ctl in self.controls:
            ctl.end()
        for a in self.agents:
            a.end()
        self.tracker.wait_gone(self.tracker.pids(), SELF_END + MARGIN)
        self.net.remove()

    def path(self, name):
        return os.path.join(self.workdir, name)

    def keygen(self, name):
        subprocess.run([MQTREE_NODE_BIN, "keygen", self.path(name), name], check=True,
                       capture_output=True, timeout=ANSWER)

    def endpoint(self):
        return "tcp://%s:%d" % (self.net.address(0), self.port)

    def start_control(self, *args, timeout=1000, port=None):
        # A control left by a failure keeps its port; a new one gets another by default.
        self.port = port or PORT + len(self.controls)
        return self.start("-q", "-T", str(timeout), "--listen",
                          "%s:%d" % (self.net.address(0), self.port), "--key", self.path("ctl"),
                          "--allow", self.path("allowed"), *args, prefix=self.net.cmd(0))

    def start_agent(self, i, key=None, control_key="ctl.pub", timeout=1000):
        a = Agent(self, self.net, i, [self.endpoint(), "--key", self.path(key or "h%d" % i),
                                      "--control-key", self.path(control_key),
                                      "--name", "h%d" % i, "--timeout", str(timeout)])
        self.agents.append(a)
        return a

    def cluster(self, *args, timeout=1000):
        ctl = self.start_control(*args, timeout=timeout)
        for i in (1, 2):    # set-up, not under test: a busy machine may be slow to join
            agent = self.start_agent(i, timeout=timeout)
            try:
                agent.wait_line("joined the control", 2 * ANSWER)
            except AssertionError as e:     # what was each side doing?
                raise AssertionError("%s\n  agent: %s; control (state %s) stderr: %r"
                                     % (e, proc_doing(agent.pid), proc_doing(ctl.pid),
                                        ctl.stderr_lines[-20:])) from None
        return ctl

    def tree(self, ctl):
        """{id: (pid or None, host name, state text)} from `tree`."""
        ctl.send("tree")
        head = ctl.expect(re.compile(r"control pid \d+, \w+, (\d+) nodes?"))
        out = {}
        for line in ctl.lines(int(head.group(1))):
            m = TREE_LINE.fullmatch(line)
            self.assertIsNotNone(m, "tree line %r" % line)
            host = m.group(3)
            if host not in ("h1", "h2"):
                host = THIS_HOST
            out[int(m.group(1))] = (m.group(2) and int(m.group(2)), host,
                                    "[unavailable]" in line)
        return out

    def run_script(self, ctl, lines, model):
        """Sends lines, compares the answers (in order: --ordered) with the model's for the
        same lines without their @HOST."""
        want = [model.answer(re.sub(r" @\S+$", "", l)) for l in lines]
        # The control's own host is named by its address (its name is the machine's).
        ctl.send_lines([l.replace("@h0", "@" + self.net.address(0)) for l in lines])
        for line, w in zip(lines, want):
            if w is None:
                continue
            got = ctl.next_line(ANSWER * 2)
            self.assertTrue(matches(w, got), "%r: want %r, got %r%s"
                            % (line, w, got, ctl.context()))

    def wait_unavailable(self, ctl, ids, within):
        """Seconds until `tree` shows every node of ids unavailable (or gone); fails after
        within seconds."""
        start = time.monotonic()
        while True:
            t = self.tree(ctl)
            if all(i not in t or t[i][2] for i in ids):
                return time.monotonic() - start
            if time.monotonic() - start > within:
                self.fail("nodes %s still available after %.1fs: %r" % (ids, within, t))
            time.sleep(0.05)

    # -- the tests

    def test_every_topology_across_three_hosts(self):
        """Nodes on three hosts in one tree; creates, inserts, removes (which move nodes to
        parents on other hosts), kills and execs, answered exactly as the model says."""
        rng = random.Random(int(os.environ.get("MQTREE_SEED", "12")))
        for topology in ("list", "tree", "bst", "balanced"):
            with self.subTest(topology=topology):
                ctl = self.cluster("-o", "-t", topology)
                model = Model(topology, "sum")
                ids = rng.sample(range(1, 60), 9)
                hosts = {}
                lines = []
                for k, i in enumerate(ids):
                    hosts[i] = "h%d" % (k % 3)
                    parent = rng.choice(ids[:k]) if k and topology in ("list", "tree") else -1
                    lines.append("create %d %d @%s" % (i, parent, hosts[i]))
                for i in ids:
                    lines.append("exec %d 3 %d %d 7" % (i, i, rng.randrange(1000)))
                gone = rng.sample(ids, 3)
                lines += ["remove %d" % gone[0], "remove %d" % gone[1], "kill %d" % gone[2]]
                lines += ["exec %d 2 %d 1" % (i, i) for i in ids]
                lines += ["ping %d" % i for i in ids] + ["pingall"]
                self.run_script(ctl, lines, model)
                t = self.tree(ctl)
                self.assertEqual(sorted(t), model.ids())
                for i, (_, host, down) in t.items():
                    self.assertEqual(host, hosts[i], "node %d's host in %r" % (i, t))
                    self.assertFalse(down)
                ctl.send("hosts")
                listed = ctl.lines(3)
                for k, name in enumerate(("h1", "h2")):
                    n = sum(1 for h in t.values() if h[1] == name)
                    self.assertRegex(listed[k + 1], r"^%s %s, %d nodes?, alive$"
                                     % (name, re.escape(self.net.address(k + 1)), n))
                self.exit_cleanly(ctl)
                for a in self.agents:
                    a.end()
                self.agents = []

    def test_remote_kill9(self):
        """kill -9 of a node on another host: it and its subtree are unavailable at once,
        the rest answers."""
        ctl = self.cluster()
        self.run_script(ctl, ["create 1 -1 @h1", "create 2 1 @h2", "create 3 2 @h0",
                              "create 4 1 @h0"], Model("tree", "sum"))
        t = self.tree(ctl)
        os.kill(t[2][0], signal.SIGKILL)
        self.wait_unavailable(ctl, [2, 3], 1.0 + MARGIN)
        ctl.send_lines(["exec 4 1 5", "ping 1", "ping 3"])
        ctl.expect_unordered(["Ok:4: 5", "Ok: 1", "Ok: 0"])
        self.exit_cleanly(ctl)

    def test_heal_across_hosts(self):
        """--heal with nodes on three hosts: kill -9 of a node on another host; its children,
        on its host, on a third and on the control's, re-attach under its parent with their
        state (the same processes, on the same hosts), where the model puts them."""
        ctl = self.cluster("-o", "--heal", "-e", "dict")
        model = Model("tree", "dict")
        ids = range(1, 8)
        self.run_script(ctl, ["create 1 -1 @h1", "create 2 1 @h2", "create 3 2 @h2",
                              "create 4 2 @h1", "create 5 2 @h0", "create 6 3 @h0",
                              "create 7 4 @h2"] +
                        ["exec %d v %d" % (i, 3 * i) for i in ids], model)
        before = self.tree(ctl)
        os.kill(before[2][0], signal.SIGKILL)
        model.die(2)
        end = deadline_after(ANSWER)
        while True:
            ctl.send("tree")
            head = ctl.expect(re.compile(r"control pid \d+, \w+, (\d+) nodes?"))
            lines = ctl.lines(int(head.group(1)))
            shape = [re.sub(r" pid \d+| @\S+", "", l) for l in lines]
            if "  2 [dead]" in shape or remaining(end) <= 0:
                break
        self.assertEqual(shape, model.shape(), "tree after the heal:\n  " + "\n  ".join(lines))
        self.run_script(ctl, ["exec %d v" % i for i in ids] + ["pingall"], model)
        after = self.tree(ctl)
        for i in (1, 3, 4, 5, 6, 7):
            self.assertEqual(after[i][:2], before[i][:2], "node %d: pid or host changed" % i)
        self.exit_cleanly(ctl)

    def test_link_down_found_within_timeout(self):
        """A host whose link is cut (nothing closed): its nodes are unavailable within
        --timeout; those elsewhere still answer."""
        ctl = self.cluster(timeout=1000)
        self.run_script(ctl, ["create 1 -1 @h2", "create 2 1 @h0", "create 3 -1 @h0",
                              "create 4 3 @h2", "create 5 -1 @h1"], Model("tree", "sum"))
        self.net.link(2, False)
        took = self.wait_unavailable(ctl, [1, 2, 4], 1.0 + MARGIN)
        print("link down: unavailable after %.2f s (--timeout 1 s)" % took, file=sys.stderr)
        ctl.send_lines(["exec 3 1 3", "exec 5 1 5"])
        ctl.expect_unordered(["Ok:3: 3", "Ok:5: 5"])
        ctl.send("create 6 @h2")
        ctl.expect("Error: Host is unavailable", 2 * ANSWER)
        self.net.link(2, True)
        self.exit_cleanly(ctl)

    def test_host_stopped_found_within_timeout(self):
        """A host whose agent and nodes are stopped (SIGSTOP: connections stay open, nothing
        answers): its nodes are unavailable within --timeout."""
        ctl = self.cluster(timeout=1000)
        self.run_script(ctl, ["create 1 -1 @h2", "create 2 1 @h2", "create 3 -1 @h0",
                              "create 4 3 @h2"], Model("tree", "sum"))
        t = self.tree(ctl)
        stopped = [self.agents[1].pid] + [t[i][0] for i in (1, 2, 4)]
        for pid in stopped:
            self.continue_at_end(pid)
            self.halt(pid)
        took = self.wait_unavailable(ctl, [1, 2, 4], 1.0 + MARGIN)
        print("stopped host: unavailable after %.2f s (--timeout 1 s)" % took, file=sys.stderr)
        ctl.send("exec 3 1 3")
        ctl.expect("Ok:3: 3")
        for pid in stopped:     # the agent, going on, may end its lost nodes first
            self.resume(pid)
        self.exit_cleanly(ctl)

    def test_agent_killed(self):
        """kill -9 of an agent: every node it started ends within 2 s and is unavailable;
        its host takes no more nodes."""
        ctl = self.cluster()
        self.run_script(ctl, ["create 1 -1 @h1", "create 2 1 @h1", "create 3 -1 @h2",
                              "create 4 3 @h1"], Model("tree", "sum"))
        t = self.tree(ctl)
        os.kill(self.agents[0].pid, signal.SIGKILL)
        self.assert_gone([t[i][0] for i in (1, 2, 4)], SELF_END)
        self.wait_unavailable(ctl, [1, 2, 4], 1.0 + MARGIN)
        ctl.send("exec 3 1 3")
        ctl.expect("Ok:3: 3")
        ctl.send("hosts")
        self.assertEqual(ctl.lines(3)[1], "h1 %s, 3 nodes, unavailable" % self.net.address(1))
        ctl.send("create 9 @h1")
        ctl.expect("Error: Host is unavailable")
        self.exit_cleanly(ctl)

    def test_control_killed(self):
        """kill -9 of the control node: every node on every host ends within 2 s; the agents
        stay up and join the next control node."""
        ctl = self.cluster()
        self.run_script(ctl, ["create 1 -1 @h1", "create 2 1 @h2", "create 3 2 @h0",
                              "create 4 -1 @h2"], Model("tree", "sum"))
        pids = [p for p, _, _ in self.tree(ctl).values()]
        os.kill(ctl.pid, signal.SIGKILL)
        ctl.wait_exit()
        self.assert_gone(pids, SELF_END)
        for a in self.agents:
            self.assertIsNone(a.proc.poll(), "agent %s ended" % a.name)
        again = self.start_control(port=self.port)
        for a in self.agents:
            self.assertTrue(netns.wait_for(
                lambda: sum("joined the control" in (l or "") for l in a.lines) > 1, ANSWER),
                "agent %s did not join again: %r" % (a.name, a.lines))
        self.run_script(again, ["create 7 -1 @h1", "create 8 7 @h2", "exec 8 1 8"],
                        Model("tree", "sum"))
        self.exit_cleanly(again)

    def test_strangers_refused(self):
        """A host with a key not on the allowed list is refused, with a line on both sides;
        an agent given the wrong control key cannot join; a client without CURVE gets
        nothing; none of them shows up in `hosts`."""
        ctl = self.start_control()
        stranger = self.start_agent(1, key="stranger")
        stranger.wait_line("key not allowed")
        self.assertEqual(stranger.proc.wait(ANSWER), 1)
        netns.wait_for(lambda: any("host %s refused: key not allowed" % self.net.address(1)
                                   in l for l in ctl.stderr_lines), ANSWER)
        self.assertIn("mqtree: host %s refused: key not allowed" % self.net.address(1),
                      ctl.stderr_lines)
        wrong = self.start_agent(2, control_key="h1.pub")     # not the control's key
        wrong.wait_line("handshake failed")
        # No CURVE at all: a ZMTP 3.0 greeting with the NULL mechanism, then a READY.
        probe = subprocess.run(self.net.cmd(2) + [
            sys.executable, "-c", NULL_CLIENT, self.net.address(0), str(self.port)],
            capture_output=True, text=True, timeout=3 * ANSWER)
        self.assertEqual(probe.stdout.strip(), "closed", probe.stderr)
        ctl.send("hosts")
        ctl.expect(re.compile(r"\S+ %s, 0 nodes, alive, this host" % self.net.address(0)))
        ctl.send("create 1 @h2")
        ctl.expect("Error: Host not found")
        self.exit_cleanly(ctl)

    def listening(self, i):
        """The TCP ports listening on host i's address (its /proc/net/tcp)."""
        table = subprocess.run(self.net.cmd(i) + ["cat", "/proc/net/tcp"], capture_output=True,
                               text=True, timeout=ANSWER, check=True).stdout.splitlines()[1:]
        addr = "".join("%02X" % int(b) for b in reversed(self.net.address(i).split(".")))
        return sorted(int(f[1].split(":")[1], 16) for f in (l.split() for l in table)
                      if f[3] == "0A" and f[1].split(":")[0] == addr)

    def test_stranger_on_a_host_cannot_use_its_links(self):
        """Every TCP port a process of mqtree listens on, tried by a stranger on the same host
        with a key pair of its own (CURVE, with the real server key) and the routing id of a
        node: no handshake, nothing received, and the tree goes on answering."""
        ctl = self.cluster()
        self.run_script(ctl, ["create 1 -1 @h0", "create 2 1 @h1", "create 3 -1 @h2",
                              "create 4 3 @h2", "create 5 4 @h1", "create 6 2 @h2"],
                        Model("tree", "sum"))
        keys = {}
        for name in ("ctl", "h1", "h2"):
            with open(self.path(name + ".pub")) as f:
                keys[name] = f.read().split()[0]
        tried = 0
        for i, key in ((0, keys["ctl"]), (1, keys["h1"]), (2, keys["h2"])):
            ports = self.listening(i)
            if i == 0:
                self.assertIn(self.port, ports)
            self.assertTrue(ports, "nothing listens on host %d" % i)
            for port in ports:
                poke = subprocess.run(
                    self.net.cmd(i) + [POKE_BIN, "tcp://%s:%d" % (self.net.address(i), port),
                                       "6e00000002", "300", "ff", "00" * 12],
                    env=dict(os.environ, MQPOKE_CURVE_SERVER=key), capture_output=True,
                    text=True, timeout=3 * ANSWER)
                self.assertIn("handshake no", poke.stderr, "port %d of host %d" % (port, i))
                self.assertEqual(poke.stdout, "", "port %d of host %d" % (port, i))
                tried += 1
        self.assertGreaterEqual(tried, 5)   # control: agents, nodes; nodes 1, 2 and 4
        ctl.send_lines(["exec %d 1 %d" % (k, k) for k in range(1, 7)])
        ctl.expect_unordered(["Ok:%d: %d" % (k, k) for k in range(1, 7)])
        self.assertFalse(any(down for _, _, down in self.tree(ctl).values()))
        self.exit_cleanly(ctl)

    def test_no_plaintext_on_the_wire(self):
        """A capture on the switch from before the hosts join until execs have crossed them:
        the ZMTP greetings are seen (they name the CURVE mechanism in the clear), and the
        distinctive argument is in no TCP payload."""
        cap_path = self.path("capture")
        cap = self.net.capture(cap_path)
        ctl = self.cluster("-o")
        self.run_script(ctl, ["create 1 -1 @h1", "create 2 1 @h2", "create 3 2 @h0"],
                        Model("tree", "sum"))
        secret = 7700112233445566
        ctl.send_lines(["exec %d 1 %d" % (i, secret) for i in (1, 2, 3)])
        for i in (1, 2, 3):
            ctl.expect("Ok:%d: %d" % (i, secret))
        self.net.stop_capture(cap)
        payloads = netns.tcp_payloads(netns.frames(cap_path))
        data = b"".join(payloads)
        self.assertIn(b"CURVE", data, "the capture saw no ZMTP greeting")
        self.assertNotIn(str(secret).encode(), data)
        self.assertNotIn(b"exec", data)
        self.exit_cleanly(ctl)


# A client without CURVE: prints "closed" once the control has closed the connection.
NULL_CLIENT = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
greeting = b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\0") + b"\0" * 32
ready = b"\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER"
got = b""
try:
    s.sendall(greeting)
    s.sendall(bytes([0x04, len(ready)]) + ready)
    s.sendall(b"\x00\x10" + b"\x0a" + b"\0" * 15)
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
except socket.timeout:
    print("still open after 5 s; got %r" % got)
    sys.exit(0)
except (ConnectionResetError, BrokenPipeError):
    pass
print("closed")
"""

if __name__ == "__main__":
    unittest.main()
