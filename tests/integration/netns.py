"""Hosts for tests, made of Linux network namespaces: one namespace a host, each joined by a
veth pair to a bridge in a namespace of its own (the switch). Addresses are 10.77.0.1,
10.77.0.2, ... on the hosts' eth0; their traffic never leaves these namespaces, so the same
addresses serve every test at once. Namespace names carry this process's pid and a counter.

Everything made is removed by remove(), which tests call in a cleanup, and at exit as a last
resort. Needs root and iproute2; root_reason() says why not when they are missing.
"""

import atexit
import itertools
import os
import shutil
import subprocess
import sys
import time

SUBNET = "10.77.0."
_serial = itertools.count()

# Run in the switch namespace: every frame on its interfaces (unbound: all of them; each
# frame is seen as it enters the bridge and as it leaves), appended to a file, until its stdin
# closes; the frames already received are written before it ends.
CAPTURE = r"""
import os, select, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))   # ETH_P_ALL
s.setblocking(False)
with open(sys.argv[1], "wb") as out:
    print("capturing", flush=True)
    stop = False
    while True:
        ready, _, _ = select.select([s] + ([] if stop else [sys.stdin]), [], [],
                                    0 if stop else None)
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 64):
            stop = True
        if s in ready:
            while True:
                try:
                    frame = s.recv(65536)
                except BlockingIOError:
                    break
                out.write(len(frame).to_bytes(4, "big") + frame)
        elif stop:
            break
"""


def _ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=20,
                          check=check)


def root_reason():
    """None when network namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root (run as root; CI does)"
    if not shutil.which("ip"):
        return "network namespaces need ip from iproute2 (apt-get install -y iproute2)"
    name = "mqprobe%d" % os.getpid()
    made = _ip("netns", "add", name, check=False)
    if made.returncode != 0:
        return "cannot make a network namespace: %s" % made.stderr.strip()
    _ip("netns", "del", name, check=False)
    return None


class Net:
    """n hosts on one switch. host(i) is the namespace of host i (0 .. n-1)."""

    def __init__(self, n):
        self.tag = "mq%d-%d" % (os.getpid(), next(_serial))
        self.switch = self.tag + "-sw"
        self.hosts = ["%s-h%d" % (self.tag, i) for i in range(n)]
        self.made = []
        self.captures = []
        atexit.register(self.remove)
        try:
            self._make()
        except Exception:
            self.remove()
            raise

    def _add_ns(self, name):
        _ip("netns", "add", name)
        self.made.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def _make(self):
        self._add_ns(self.switch)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")
        for i, ns in enumerate(self.hosts):
            self._add_ns(ns)
            port = "p%d" % i
            _ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port,
                "netns", self.switch)
            _ip("-n", self.switch, "link", "set", port, "master", "br0")
            _ip("-n", self.switch, "link", "set", port, "up")
            _ip("-n", ns, "addr", "add", self.address(i) + "/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
        for i in range(1, len(self.hosts)):
            self._reach(i)

    def _reach(self, i):
        """Waits until host i has host 0's link address (its ARP was answered): the switch
        forwards both ways, so a test's first connection loses no SYN to a port not yet up."""
        poke = ("import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                ".sendto(b'', (%r, 9))" % self.address(0))
        end = time.monotonic() + 10
        while True:
            subprocess.run(self.cmd(i) + [sys.executable, "-c", poke], capture_output=True,
                           timeout=20)
            neigh = _ip("-n", self.hosts[i], "neigh", "show", self.address(0)).stdout
            if "REACHABLE" in neigh or "STALE" in neigh or "DELAY" in neigh:
                return
            if time.monotonic() >= end:
                raise RuntimeError("host %d cannot reach host 0: %r" % (i, neigh))
            time.sleep(0.05)

    def address(self, i):
        return SUBNET + str(i + 1)

    def cmd(self, i):
        """The prefix that runs a command on host i: `ip netns exec` execs it (same pid)."""
        return ["ip", "netns", "exec", self.hosts[i]]

    def link(self, i, up):
        """Host i's link to the switch, up or down (as a cable pulled: nothing is closed)."""
        _ip("-n", self.switch, "link", "set", "p%d" % i, "up" if up else "down")

    def capture(self, path, timeout=10):
        """Starts recording every frame on the switch to path; returns the process (end it
        with stop_capture)."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.switch, sys.executable, "-c",
                                 CAPTURE, path], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        self.captures.append(proc)
        line = proc.stdout.readline()
        if line.strip() != "capturing":
            raise AssertionError("the capture did not start: %r" % line)
        return proc

    def stop_capture(self, proc):
        """Ends a capture once it has written what it received."""
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()

    def remove(self):
        for proc in self.captures:
            if proc.poll() is None:
                self.stop_capture(proc)
        self.captures = []
        # A namespace with processes in it stays until they end; the interfaces go with it.
        for ns in reversed(self.made):
            _ip("netns", "del", ns, check=False)
        self.made = []


def frames(path):
    """The frames a capture wrote."""
    with open(path, "rb") as f:
        data = f.read()
    out, off = [], 0
    while off + 4 <= len(data):
        n = int.from_bytes(data[off:off + 4], "big")
        out.append(data[off + 4:off + 4 + n])
        off += 4 + n
    return out


def tcp_payloads(frame_list):
    """The TCP payloads among Ethernet frames of IPv4."""
    out = []
    for fr in frame_list:
        if len(fr) < 34 or fr[12:14] != b"\x08\x00" or fr[23] != 6:
            continue
        ihl = (fr[14] & 0x0F) * 4
        tcp = 14 + ihl
        if len(fr) < tcp + 20:
            continue
        off = tcp + (fr[tcp + 12] >> 4) * 4
        total = int.from_bytes(fr[16:18], "big")
        out.append(fr[off:14 + total])
    return out


def wait_for(predicate, timeout, step=0.02):
    """Polls predicate until it returns something true or the deadline passes; returns its
    last value."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= end:
            return value
        time.sleep(step)
