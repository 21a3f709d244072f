#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/ (run it after changing the wire layout or a set).

fuzz_proto: one frame of each message type in the layout of src/wire/proto.h, a routing id and a few
malformed frames. fuzz_parse: command lines. fuzz_set_*: the input of fuzz/fuzz_set.c, a count
of chunk sizes, the sizes, then requests separated by NUL bytes.
"""
import os
import re
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "src", "wire", "proto.h")) as _f:
    VERSION = int(re.search(r"#define PROTO_VERSION (\d+)", _f.read()).group(1))
HELLO, REQ, REP, LOST, PROBE, EXIT, BEAT, PERIOD, BYE = range(1, 10)
PING, EXEC, CREATE, KILL, MOVE, EXPECT, ABORT = range(1, 8)
EXEC_FIRST, EXEC_LAST = 1, 2


def frame(type_, id_, code=0, flags=0, req=0, path=None, body=b""):
    """Header (u8 version, type, code, flags, u32 req, i32 id), a REQ's path, the body."""
    out = struct.pack("<BBBBIi", VERSION, type_, code, flags, req, id_)
    if path is not None:
        out += struct.pack("<H", len(path)) + struct.pack("<%di" % len(path), *path)
    return out + body


def req(op, path, body=b"", flags=0, req_id=7):
    return frame(REQ, path[-1], op, flags, req_id, path, body)


def i32(*values):
    return struct.pack("<%di" % len(values), *values)


PROTO = {
    "hello": frame(HELLO, 3, body=i32(4242) + b"tcp://127.0.0.1:40001"),
    "req_ping": req(PING, [1, 2, 3]),
    "req_exec": req(EXEC, [1, 5], b" 3 1 2 3", EXEC_FIRST | EXEC_LAST),
    "req_exec_piece": req(EXEC, [5], b"4 9223372036854775807 ", EXEC_FIRST),
    "req_create": req(CREATE, [1], i32(9)),
    "req_kill": req(KILL, [2147483647]),
    "req_move": req(MOVE, [1, 4], b"tcp://127.0.0.1:40002"),
    "req_expect": req(EXPECT, [1], i32(4, 4245)),
    "req_abort": req(ABORT, [1, 2], i32(9)),
    "rep_ok": frame(REP, 5, 0, req=7, body=b"6"),
    "rep_err": frame(REP, 5, 1, req=7, body=b"Expected 3 numbers, got 2"),
    "rep_unavail": frame(REP, 5, 2, req=8),
    "rep_credit": frame(REP, 5, 3, req=9),
    "rep_spawned": frame(REP, 9, 4, req=10, body=i32(4243)),
    "lost": frame(LOST, 4, body=i32(4244, 1)),
    "probe": frame(PROBE, 4),
    "exit": frame(EXIT, 4),
    "beat": frame(BEAT, 4, body=i32(4, 5, 6)),
    "period": frame(PERIOD, 4, body=i32(100)),
    "bye": frame(BYE, 6),
    "route_id": b"n\x00\x00\x00\x07",
    "bad_version": bytes([VERSION + 1]) + frame(PROBE, 4)[1:],
    "bad_npath_zero": frame(REQ, 1, PING, path=[]),
    "bad_path_end": frame(REQ, 1, PING, path=[1, 2]),
    "bad_short": frame(BEAT, 1)[:11],
}

PARSE = {
    "create": b"create 1 -1",
    "create_child": b"create 2 1",
    "exec": b"exec 2 3 1 2 3",
    "exec_tabs": b"exec\t2\t\t2 9223372036854775807 9223372036854775807\r",
    "ping": b"ping 2147483647",
    "heartbit": b"heartbit 86400000",
    "bad_numbers": b"kill 2147483648 -0 +1 0x10 00000000000000000001",
    "many": b"  a b  c d e f",
    "long_token": b"x" * 300 + b" -9223372036854775808 9223372036854775808",
    "i128": bytes(range(0x80, 0x90)) + b" 12",
}


def sets(cuts, *requests):
    return bytes([len(cuts)] + cuts) + b"\0".join(requests)


SETS = {
    "sum": {
        "ok": sets([1, 7, 3], b"3 1 2 3", b" 2 9223372036854775807 9223372036854775807",
                   b"1 -9223372036854775808", b"2 +5 -5\n"),
        "errors": sets([2, 5], b"3 1 2", b"x", b"0", b"2 1 1x", b"1 99999999999999999999",
                       b""),
        "long": sets([0, 9, 200], b"8 1234567 -7654321 12345678 123456789012345678 "
                     b"0000000000000000000001 7 -1 +2"),
    },
    "dict": {
        "ok": sets([3, 1], b"x 5", b"x", b"y", b"x -9223372036854775808", b"x", b"Ab9 1"),
        "errors": sets([4], b"", b"bad! 3", b"x 99999999999999999999", b"x 1 2", b"x 1x",
                       b"n" * 257),
    },
    "timer": {
        "ok": sets([2, 3], b"start", b"time", b"stop", b"time", b" start\n", b"time",
                   b"stop"),
        "errors": sets([1], b"", b"foo", b"start stop", b"Start", b"stopp"),
    },
    "search": {
        "ok": sets([5, 2], b"abracadabra abra", b"aaaa aa", b"ab abc", b"\nabc\nb\n",
                   b"Ab9ab9 ab9"),
        "errors": sets([7], b"a-b a", b"abc a-", b"abc", b"", b"a b c"),
    },
}


def write(target, seeds):
    folder = os.path.join(HERE, "corpus", target)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def main():
    write("fuzz_proto", PROTO)
    write("fuzz_parse", PARSE)
    for name, seeds in SETS.items():
        write("fuzz_set_" + name, seeds)


if __name__ == "__main__":
    main()
