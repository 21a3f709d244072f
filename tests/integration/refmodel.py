"""A reference model of the mqtree contract (SPEC sections 2 to 4), without any process.

Given the command lines of a session with no faults, one at a time, it says the exact answer
each gets: what typing them one by one, waiting for every answer, must print, and so what any
way of giving them must print too (SPEC section 2, "In order, and asynchronous"). It keeps the
tree of each topology as src/control/topo.c and topo_rules.c do, ties included, and each node's
state for `-e sum` (none) and `-e dict` (its dictionary).

    m = Model("bst", "dict")
    m.answer("create 5")          -> PID        (the marker for `Ok: PID`)
    m.answer("exec 5 a 1")        -> "Ok:5"
    m.answer("exec 5 a")          -> "Ok:5: 1"
    m.answer("# a comment")       -> None       (no answer)

`step(line)` also says which node an answer is from (a key unique to one life of one node), for
checking each node's answers in their order. `shape()` is what `tree` shows, pids left out.

Python 3 standard library only.
"""

import re

PID = "Ok: PID"                         # the answer `Ok: PID` of a create that succeeds
PID_RE = re.compile(r"^Ok: \d+$")
NOT_PIDS = ("Ok: 0", "Ok: 1")
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
ID_MAX = 2147483647
QUOTE = 32                              # BUF_QUOTE: characters of a token shown in an error
NAME_MAX = 256                          # dict: longest name
SUM_MAX_COUNT = 100000000
TOPOLOGIES = ("list", "tree", "bst", "balanced")
SETS = ("sum", "dict")


def matches(expected, got):
    """Whether the line got is the answer expected (PID: any `Ok: <digits>` but the answers
    of ping, `Ok: 0` and `Ok: 1`: no compute node has pid 0 or 1)."""
    if expected == PID:
        return got is not None and PID_RE.match(got) is not None and got not in NOT_PIDS
    return got == expected


def quote(token):
    """buf_quote: 'TOKEN', at most QUOTE characters then ..., anything unprintable as ?."""
    shown = "".join(c if " " <= c < "\x7f" else "?" for c in token[:QUOTE])
    return "'" + shown + ("..." if len(token) > QUOTE else "") + "'"


def escape(text):
    """buf_escape: one answer is one line."""
    out = []
    for c in text:
        if c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c < " " or c == "\x7f":
            out.append("\\x%02x" % ord(c))
        else:
            out.append(c)
    return "".join(out)


# ---- command line tokens (src/common/parse.c) ----

_LINE_SPACE = " \t\r"
_SET_SPACE = " \t\r\n"          # token_space in src/exec/token.h


def line_tokens(line):
    """(tokens, rest after the second token), as parse_tokens cuts a line."""
    toks, i, n, rest = [], 0, len(line), ""
    while i < n:
        while i < n and line[i] in _LINE_SPACE:
            i += 1
        if i == n:
            break
        start = i
        while i < n and line[i] not in _LINE_SPACE:
            i += 1
        toks.append(line[start:i])
        if len(toks) == 2:
            rest = line[i:]
    return toks, rest


def set_tokens(text):
    out, cur = [], []
    for c in text:
        if c in _SET_SPACE:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(c)
    if cur:
        out.append("".join(cur))
    return out


def parse_id(tok):
    """parse_id: digits only (leading zeros allowed), at most 2147483647; None if not."""
    if not tok or not all("0" <= c <= "9" for c in tok):
        return None
    v = int(tok)
    return v if v <= ID_MAX else None


def parse_parent(tok):
    return -1 if tok == "-1" else parse_id(tok)


INVALID, RANGE = "invalid", "range"


def num_value(tok):
    """token_num_value: an optional sign then digits, a 64-bit signed integer; else INVALID
    or RANGE."""
    body = tok[1:] if tok[:1] in ("+", "-") else tok
    if not body or not all("0" <= c <= "9" for c in body):
        return INVALID
    v = int(body)
    if tok[:1] == "-":
        v = -v
    return v if INT64_MIN <= v <= INT64_MAX else RANGE


# ---- command sets (src/exec/set_sum.c, set_dict.c): (ok, text or None) ----

def sum_exec(args, state):
    toks = set_tokens(args)
    if not toks:
        return False, "Expected N K1 ... KN"
    n = num_value(toks[0])
    if n == INVALID:
        return False, "Invalid count " + quote(toks[0])
    if n == RANGE or n < 1 or n > SUM_MAX_COUNT:
        return False, "Count out of range " + quote(toks[0])
    total = 0
    for tok in toks[1:]:
        v = num_value(tok)
        if v == INVALID:
            return False, "Invalid number " + quote(tok)
        if v == RANGE:
            return False, "Number out of range " + quote(tok)
        total += v
    if len(toks) - 1 != n:
        return False, "Expected %d numbers, got %d" % (n, len(toks) - 1)
    return True, str(total)


def dict_exec(args, state):
    toks = set_tokens(args)
    if not toks or len(toks) > 2:
        return False, "Expected NAME [VALUE]"
    name = toks[0]
    if len(name) > NAME_MAX:
        return False, "Name too long"
    if not all(c.isascii() and c.isalnum() for c in name):
        return False, "Invalid name " + quote(name)
    if len(toks) == 2:
        v = num_value(toks[1])
        if v == INVALID:
            return False, "Invalid value " + quote(toks[1])
        if v == RANGE:
            return False, "Value out of range " + quote(toks[1])
        state[name] = v
        return True, None
    if name in state:
        return True, str(state[name])
    return True, "'%s' not found" % name


EXEC = {"sum": sum_exec, "dict": dict_exec}


# ---- the tree (src/control/topo.c, topo_rules.c) ----

class Node:
    def __init__(self, node_id, serial):
        self.id = node_id
        self.serial = serial        # unique to this life of the id
        self.parent = None          # a Node; the control node is Model.ctl
        self.side = 0
        self.children = []          # in the order topo.c keeps them
        self.state = {}             # dict: name -> value
        self.size = 1               # nodes in its subtree, itself included


class Model:
    """The expected answers of one control node `-t topology -e cmdset`, with no faults."""

    USAGE = {
        "create": (1, 2, "ID [PARENT] [@HOST]"), "exec": (1, None, "ID ARGS..."),
        "ping": (1, 1, "ID"), "pingall": (0, 0, ""), "kill": (1, 1, "ID"),
        "remove": (1, 1, "ID"),
    }

    def __init__(self, topology, cmdset):
        if topology not in TOPOLOGIES or cmdset not in EXEC:
            raise ValueError("no model of -t %s -e %s" % (topology, cmdset))
        self.topology = topology
        self.cmdset = cmdset
        self.ctl = Node(-1, 0)
        self.nodes = {}
        self.dead = {}              # --heal: dead nodes healed around, in the order they died
        self._serial = 0

    # -- reading the tree
    def ids(self):
        return sorted(self.nodes)

    def _binary(self):
        return self.topology in ("bst", "balanced")

    def _slots(self, p):
        """How many child slots p has; 0: any number (all side 0)."""
        if self.topology == "list":
            return 0 if p is self.ctl else 1
        if self.topology == "tree":
            return 0
        return 1 if p is self.ctl else 2

    def _holder(self, p, side):
        if self._slots(p) == 0:
            return None
        for c in p.children:
            if c.side == side:
                return c
        return None

    def shape(self):
        """What `tree` lists after its header, pids left out: a line per node in pre-order,
        indented two spaces per level, with (L)/(R) in bst and balanced."""
        out = []
        for node, depth in self._walk(self.ctl, 0):
            mark = ""
            if self._binary() and node.parent is not self.ctl:
                mark = " (R)" if node.side else " (L)"
            out.append("  " * depth + str(node.id) + mark)
        return out + ["  %d [dead]" % d for d in self.dead]

    def _walk(self, top, depth):
        todo = [(c, depth + 1) for c in reversed(top.children)]
        while todo:
            node, d = todo.pop()
            yield node, d
            todo.extend((c, d + 1) for c in reversed(node.children))

    def where(self, node_id):
        """(parent id or -1, side, size of its subtree), for tests of the model."""
        w = self.nodes[node_id]
        return w.parent.id, w.side, w.size

    # -- changing it
    def _sizes_add(self, p, delta):
        while p is not None:
            p.size += delta
            p = p.parent

    def _detach(self, w):
        p = w.parent
        p.children.remove(w)
        self._sizes_add(p, -w.size)
        w.parent = None

    def _attach(self, w, p, side, at=None):
        if at is None:      # slot_index: after every child whose side is not greater
            at = len(p.children)
            while at > 0 and p.children[at - 1].side > side:
                at -= 1
        p.children.insert(at, w)
        w.parent = p
        w.side = side
        self._sizes_add(p, w.size)

    def _move(self, w, p, side):
        """topo_move: a node moved to the parent of one of its ancestors A goes right before
        A (taking A's place while A is still there); otherwise into its slot."""
        if w.parent is p and w.side == side:
            return
        anc = w.parent          # ancestor_under: the ancestor of w that is a child of p
        while anc is not self.ctl and anc.parent is not p:
            anc = anc.parent
        if anc is self.ctl:
            anc = None
        self._detach(w)
        self._attach(w, p, side, p.children.index(anc) if anc is not None else None)

    def _place(self, node_id, parent_arg):
        """topo_place: (parent Node, side, node to adopt) or the error."""
        if node_id in self.nodes or node_id in self.dead:
            return "Already exists"
        if self.topology == "bst":
            p, side = self.ctl, 0
            c = self._holder(p, side)
            while c is not None:
                p, side = c, int(node_id > c.id)
                c = self._holder(p, side)
            return p, side, None
        if self.topology == "balanced":
            root = self._holder(self.ctl, 0)
            if root is None:
                return self.ctl, 0, None
            x = root
            while True:
                for side in (0, 1):
                    if self._holder(x, side) is None:
                        return x, side, None
                x = self._pick(x, larger=False)
        if parent_arg == -1:
            return self.ctl, 0, None
        p = self.nodes.get(parent_arg)
        if p is None:
            return "Parent not found"
        adopt = p.children[0] if self.topology == "list" and p.children else None
        return p, 0, adopt

    @staticmethod
    def _pick(x, larger):
        """pick_child: the child with the fewest nodes, the leftmost on a tie; or with larger,
        the most nodes, the rightmost on a tie."""
        best = None
        for c in x.children:
            if best is None or (c.size >= best.size if larger else c.size < best.size):
                best = c
        return best

    def _create(self, node_id, parent_arg):
        where = self._place(node_id, parent_arg)
        if isinstance(where, str):
            return "Error: " + where
        p, side, adopt = where
        self._serial += 1
        w = Node(node_id, self._serial)
        self.nodes[node_id] = w
        if adopt is not None:
            at = p.children.index(adopt)
            self._detach(adopt)
            self._attach(w, p, side, at)
            self._attach(adopt, w, 0, 0)
        else:
            self._attach(w, p, side)
        return PID

    def _plan_remove(self, w):
        """topo_plan_remove: the moves (node, new parent, side), in order."""
        moves = []
        if self.topology in ("list", "tree"):
            for c in w.children:
                moves.append((c, w.parent, 0))
        elif self.topology == "bst":
            l, r = self._holder(w, 0), self._holder(w, 1)
            if l is None or r is None:
                if l is not None or r is not None:
                    moves.append((l or r, w.parent, w.side))
                return moves
            s = r
            while self._holder(s, 0) is not None:
                s = self._holder(s, 0)
            if s is not r:
                sr = self._holder(s, 1)
                if sr is not None:
                    moves.append((sr, s.parent, s.side))
                moves += [(s, w.parent, w.side), (l, s, 0), (r, s, 1)]
            else:
                moves += [(s, w.parent, w.side), (l, s, 0)]
        else:   # balanced
            leaf = w
            while leaf.children:
                leaf = self._pick(leaf, larger=True)
            if leaf is w:
                return moves
            moves.append((leaf, w.parent, w.side))
            for c in w.children:
                if c is not leaf:
                    moves.append((c, leaf, c.side))
        return moves

    def die(self, node_id):
        """--heal: node node_id dies (kill -9). Its children re-join as a remove of it
        would put them, with their state; it stays known, dead, aside, until kill or
        remove."""
        w = self.nodes.pop(node_id)
        for node, parent, side in self._plan_remove(w):
            self._move(node, parent, side)
        assert not w.children, "a heal left children behind"
        self._detach(w)
        self.dead[node_id] = w

    def _remove(self, node_id):
        if self.dead.pop(node_id, None) is not None:
            return "Ok"
        w = self.nodes.get(node_id)
        if w is None:
            return "Error: Not found"
        for node, parent, side in self._plan_remove(w):
            self._move(node, parent, side)
        assert not w.children, "remove left children behind"
        self._detach(w)
        del self.nodes[node_id]
        return "Ok"

    def _kill(self, node_id):
        if self.dead.pop(node_id, None) is not None:
            return "Ok"
        w = self.nodes.get(node_id)
        if w is None:
            return "Error: Not found"
        self._detach(w)
        del self.nodes[node_id]
        for node, _ in self._walk(w, 0):
            del self.nodes[node.id]
        return "Ok"

    def _exec(self, node_id, rest):
        if node_id in self.dead:
            return "Error:%d: Node is unavailable" % node_id, None
        w = self.nodes.get(node_id)
        if w is None:
            return "Error:%d: Not found" % node_id, None
        ok, text = EXEC[self.cmdset](rest, w.state)
        line = ("Ok:%d" if ok else "Error:%d") % node_id
        if text or not ok:
            line += ": " + escape(text or "")
        return line, w.serial

    # -- the commands
    def step(self, line):
        """(answer, key): the answer line expected for line (PID for `Ok: PID`, None when the
        line gets none), and for an exec of a node that exists the key of that node's life
        (its answers must come in order), else None."""
        toks, rest = line_tokens(line)
        if not toks or toks[0].startswith("#"):
            return None, None
        name = toks[0]
        if name not in self.USAGE:
            if name in ("tree", "help", "heartbit", "heartbeat", "exit", "quit"):
                raise ValueError("the model does not answer %r" % name)
            return "Error: Unknown command " + quote(name), None
        lo, hi, usage = self.USAGE[name]
        # The model knows no host but the control's, whose name it does not know either.
        host = name == "create" and len(toks) > 2 and toks[-1].startswith("@")
        nargs = len(toks) - 1 - host
        if nargs < lo:
            return "Error: Missing argument; usage: %s%s%s" % (name, " " if usage else "",
                                                                usage), None
        if name == "exec":
            node_id = parse_id(toks[1])
            if node_id is None:
                return "Error: Invalid id " + quote(toks[1]), None
            return self._exec(node_id, rest)
        if nargs > hi:
            return "Error: Too many arguments; usage: %s%s%s" % (name, " " if usage else "",
                                                                  usage), None
        if name == "pingall":
            return "Ok: " + (";".join(str(d) for d in sorted(self.dead)) or "-1"), None
        node_id = parse_id(toks[1])
        if node_id is None:
            return "Error: Invalid id " + quote(toks[1]), None
        if name == "create":
            parent = -1
            if nargs == 2:
                parent = parse_parent(toks[2])
                if parent is None:
                    return "Error: Invalid id " + quote(toks[2]), None
            if host:
                return "Error: Host not found", None
            return self._create(node_id, parent), None
        if name == "ping":
            if node_id in self.dead:
                return "Ok: 0", None
            return ("Ok: 1" if node_id in self.nodes else "Error: Not found"), None
        if name == "remove":
            return self._remove(node_id), None
        return self._kill(node_id), None

    def answer(self, line):
        return self.step(line)[0]

    def run(self, lines):
        """The answers to a script, in order (lines without an answer left out)."""
        out = []
        for line in lines:
            a = self.answer(line)
            if a is not None:
                out.append(a)
        return out
