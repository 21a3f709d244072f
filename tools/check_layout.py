#!/usr/bin/env python3
"""Checks the shape of src/: no module depends on itself through its includes (a module is a
.c/.h pair of one stem; A depends on B when A's .c or .h includes "B.h"), and no .c file is
longer than MAX_LINES. Prints what is wrong and exits 1. Usage: check_layout.py SRC_DIR"""
import os
import re
import sys

MAX_LINES = 600

root = sys.argv[1] if len(sys.argv) > 1 else "src"
include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
deps, problems = {}, []
for folder, _, files in os.walk(root):
    for name in files:
        if not name.endswith((".c", ".h")):
            continue
        path = os.path.join(folder, name)
        text = open(path, errors="replace").read()
        stem = os.path.splitext(name)[0]
        targets = deps.setdefault(stem, set())
        for h in include.findall(text):
            t = os.path.splitext(os.path.basename(h))[0]
            if t != stem:
                targets.add(t)
        lines = text.count("\n")
        if name.endswith(".c") and lines > MAX_LINES:
            problems.append("%s: %d lines (at most %d)" % (path, lines, MAX_LINES))
for m in deps:
    deps[m] &= set(deps)

# A module is on a cycle when it can reach itself.
for start in sorted(deps):
    seen, stack, parent = {start: None}, [start], {}
    found = None
    while stack and not found:
        m = stack.pop()
        for d in sorted(deps[m]):
            if d == start:
                found = m
                break
            if d not in seen:
                seen[d] = m
                stack.append(d)
    if found:
        chain, m = [start], found
        while m != start:
            chain.insert(1, m)
            m = seen[m]
        problems.append("include cycle: " + " -> ".join(chain + [start]))
for p in problems:
    print(p)
print("%d modules checked" % len(deps))
sys.exit(1 if problems else 0)
