"""Runs every test case of one integration test module side by side, each in its own Python
process (so each has its own control node, threads and deadlines), and reports like unittest.

    python3 run_cases.py MODULE [-j N]

For a module whose ctest entry runs alone (RUN_SERIAL): its cases are short and light, but
they wait out timing windows (heartbit's 4*MS..5*MS and the silences around it). One after
another they take the sum of those windows; side by side, the longest one. A case's own
neighbours are then only the other cases of the same module, never the rest of the suite.

Python 3 standard library only. The processes it starts are its own: it waits for each with
a deadline and, past it, ends that one by its pid (its control nodes then see the end of their
input and exit, as after any ended test).
"""

import argparse
import os
import queue
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DEADLINE = 240.0        # for every case together; below the ctest TIMEOUT of 300 s


def case_ids(module):
    """The ids (module.Class.test) of every test in module, in unittest's order."""
    sys.path.insert(0, HERE)
    suite = unittest.defaultTestLoader.loadTestsFromName(module)
    out, todo = [], [suite]
    while todo:
        item = todo.pop(0)
        if isinstance(item, unittest.TestSuite):
            todo[:0] = list(item)
        else:
            out.append(item.id())
    if unittest.defaultTestLoader.errors:
        raise SystemExit("run_cases: cannot load %s:\n%s"
                         % (module, "\n".join(unittest.defaultTestLoader.errors)))
    return out


class Case:
    """One test case in its own process, watched by its own thread: the thread reads its
    output, waits for its end until the deadline (then ends it by its pid) and puts the case
    on the `done` queue."""

    def __init__(self, test_id):
        self.id = test_id
        self.output = b""
        self.status = None
        self.took = 0.0
        self.timed_out = False

    def start(self, deadline, done):
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "unittest", "-v", self.id],
                                     cwd=HERE, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._watch, args=(deadline, done), daemon=True,
                         name=self.id).start()

    def _watch(self, deadline, done):
        reader = threading.Thread(target=self._read, daemon=True)
        reader.start()
        try:
            self.status = self.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.proc.kill()            # by its pid: the process this runner started
            self.status = self.proc.wait()
        reader.join(10)
        self.took = time.monotonic() - self.started
        done.put(self)

    def _read(self):
        self.output = self.proc.stdout.read()
        self.proc.stdout.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module")
    parser.add_argument("-j", "--jobs", type=int, default=0,
                        help="cases at once (default: all of them)")
    args = parser.parse_args()
    ids = case_ids(args.module)
    if not ids:
        raise SystemExit("run_cases: no tests in %s" % args.module)
    jobs = args.jobs if args.jobs > 0 else len(ids)
    start = time.monotonic()
    deadline = start + DEADLINE
    cases = [Case(i) for i in ids]
    done = queue.Queue()
    waiting, running = list(cases), 0
    while waiting or running:
        while waiting and running < jobs:
            waiting.pop(0).start(deadline, done)
            running += 1
        done.get()                      # each watcher puts its case by the deadline (+10 s)
        running -= 1
    failed = [c for c in cases if c.status != 0]
    for case in cases:
        sys.stdout.write("==== %s (%.2fs, %s)\n" % (
            case.id, case.took, "ok" if case.status == 0 else
            "ended after %.0fs" % DEADLINE if case.timed_out else "exit status %d" % case.status))
        sys.stdout.write(case.output.decode("utf-8", "replace"))
    sys.stdout.write("\n%d cases of %s side by side in %.2fs: %s\n" % (
        len(cases), args.module, time.monotonic() - start,
        "FAILED %s" % [c.id for c in failed] if failed else "OK"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
