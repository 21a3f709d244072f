"""Local links only this instance can use: every socket of the control node and its nodes is
an ipc:// socket in a private directory (mode 0700) that no other user can enter, no process
listens on TCP, two instances never share a directory, and the directory is gone after
`exit` and after `kill -9` of the control node."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import unittest

from harness import ANSWER, EXIT, MARGIN, SELF_END, MqTestCase, deadline_after, remaining

# Run as another user: tries to enter the directory and connect to every socket in it.
INTRUDER = r"""
import json, os, socket, sys
d, names = sys.argv[1], sys.argv[2:]
out = {"uid": os.getuid()}
try:
    os.listdir(d)
    out["list"] = "ok"
except OSError as e:
    out["list"] = e.__class__.__name__
res = {}
for n in names:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(os.path.join(d, n))
        s.sendall(b"\xff" + b"\0" * 8 + b"\x7f")
        res[n] = "connected"
    except OSError as e:
        res[n] = e.__class__.__name__
    s.close()
out["connect"] = res
print(json.dumps(out))
"""

NOBODY = 65534


def python_for(uid):
    """A Python interpreter that uid can run (this one may live in a private home)."""
    for cand in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        try:
            if subprocess.run([cand, "-c", "pass"], user=uid, group=uid, timeout=ANSWER,
                              capture_output=True).returncode == 0:
                return cand
        except OSError:
            pass
    return None


def rundirs(workdir):
    return sorted(os.path.join(workdir, n) for n in os.listdir(workdir)
                  if n.startswith("mqtree-"))


def listening_tcp_inodes():
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":    # LISTEN
                        inodes.add(fields[9])
        except OSError:
            pass
    return inodes


def socket_inodes(pid):
    found = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                found.add(target[8:-1])
    except OSError:
        pass
    return found


class LocalLinksTest(MqTestCase):

    def tree_of(self, ctl, n):
        pids = {}
        for i in range(1, n + 1):
            pids[i] = self.create(ctl, i, -1 if i <= 2 else (i - 1) // 2)
        return pids

    def the_rundir(self, ctl):
        dirs = rundirs(ctl.workdir)
        self.assertEqual(len(dirs), 1, "one private directory per instance: %r" % dirs)
        return dirs[0]

    def wait_no_dir(self, ctl, timeout):
        deadline = deadline_after(timeout)
        while rundirs(ctl.workdir) and remaining(deadline) > 0:
            time.sleep(0.02)
        self.assertEqual(rundirs(ctl.workdir), [], "the private directory is left behind")

    def test_private_directory_and_no_tcp(self):
        ctl = self.start_tree()
        pids = self.tree_of(ctl, 5)
        d = self.the_rundir(ctl)
        st = os.stat(d)
        self.assertTrue(stat.S_ISDIR(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        self.assertEqual(st.st_uid, os.getuid())
        socks = [n for n in os.listdir(d) if stat.S_ISSOCK(os.lstat(os.path.join(d, n)).st_mode)]
        self.assertIn("control", socks)
        for i, pid in pids.items():
            self.assertIn("%d.%d" % (i, pid), socks, "node %d binds its own socket" % i)
        # No process of the instance listens on TCP.
        listening = listening_tcp_inodes()
        for pid in [ctl.pid] + list(pids.values()):
            self.assertFalse(socket_inodes(pid) & listening, "pid %d listens on TCP" % pid)
        ctl.send("exec 5 2 20 22")
        ctl.expect("Ok:5: 42")

    def test_another_user_cannot_connect(self):
        if os.getuid() != 0:
            self.skipTest("needs root to run the intruder as nobody")
        python = python_for(NOBODY)
        if not python:
            self.skipTest("no Python interpreter that nobody may run")
        ctl = self.start_tree()
        self.tree_of(ctl, 3)
        d = self.the_rundir(ctl)
        # Everything above the private directory is open to nobody: only its mode protects.
        for path in (self.workdir, ctl.workdir):
            os.chmod(path, 0o755)
        names = sorted(os.listdir(d))
        proc = subprocess.run([python, "-c", INTRUDER, d] + names, user=NOBODY,
                              group=NOBODY, capture_output=True, timeout=ANSWER, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        seen = json.loads(proc.stdout)
        self.assertEqual(seen["uid"], NOBODY)
        self.assertEqual(seen["list"], "PermissionError")
        for name in names:
            self.assertEqual(seen["connect"][name], "PermissionError", name)
        # And the tree is as it was.
        ctl.send("exec 3 1 7")
        ctl.expect("Ok:3: 7")
        ctl.send("pingall")
        ctl.expect("Ok: -1")

    def test_two_instances_two_directories(self):
        a, b = self.start_tree(), self.start_tree()
        self.create(a, 1)
        self.create(b, 1)
        da, db = self.the_rundir(a), self.the_rundir(b)
        self.assertNotEqual(os.path.realpath(da), os.path.realpath(db))
        a.send("exec 1 1 5")
        b.send("exec 1 1 6")
        a.expect("Ok:1: 5")
        b.expect("Ok:1: 6")

    def test_gone_after_exit(self):
        ctl = self.start_tree()
        pids = self.tree_of(ctl, 4)
        os.kill(pids[4], signal.SIGKILL)    # leaves its socket file behind
        ctl.send("exec 4 1 1")
        ctl.expect("Error:4: Node is unavailable")
        self.the_rundir(ctl)
        ctl.send("exit")
        self.assertEqual(ctl.wait_exit(EXIT), 0)
        self.wait_no_dir(ctl, MARGIN)

    def test_gone_after_control_killed(self):
        # Nodes at depth 2 and 3 end after their parents: the last one out is a node.
        ctl = self.start_tree()
        pids = self.tree_of(ctl, 6)
        self.the_rundir(ctl)
        self.tracker.scan()
        os.kill(ctl.pid, signal.SIGKILL)
        self.assert_gone(list(pids.values()), SELF_END + MARGIN)
        self.wait_no_dir(ctl, MARGIN)


if __name__ == "__main__":
    unittest.main()
