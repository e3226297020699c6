#!/usr/bin/env python3
"""Check `liveupdate-ctl status --json` output against doc/state-json.md.

Usage: check-state-json.py [--expect PATH=VALUE ...] FILE|-

Parses the output with Python's json module, checks every field of schema
version 1 and its type, then each --expect: PATH is dotted
(boot.liveupdate_count.value), VALUE is compared as JSON when it parses
as JSON (1, true, null, "x"), else as a string; PATH~TEXT checks that
TEXT is in the string at PATH. Exit 0 when all holds, 1 otherwise.
"""
import json
import sys

REASONS = {"available", "simulated", "kernel-too-old", "no-config",
           "kho-disabled", "no-cmdline", "busy", "permission-denied",
           "no-device", "device-error"}
STR = (str,)
OPT_STR = (str, type(None))
OPT_INT = (int, type(None))
errors = []


def need(obj, key, types, where):
    if not isinstance(obj, dict) or key not in obj:
        errors.append(f"{where}.{key}: missing")
        return None
    value = obj[key]
    if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
        errors.append(f"{where}.{key}: {value!r} is not {types}")
    return value


def origin(obj, where):
    src = need(obj, "source", OPT_STR, where)
    missing = need(obj, "missing", OPT_STR, where)
    if src is not None and missing is not None:
        errors.append(f"{where}: both a source and a missing reason")


def fact(obj, key, types, where):
    f = need(obj, key, (dict,), where)
    if f is None:
        return
    value = need(f, "value", types, f"{where}.{key}")
    origin(f, f"{where}.{key}")
    if value is None and f.get("missing") is None:
        errors.append(f"{where}.{key}: no value and no reason why")


def tree(obj, where):
    need(obj, "compatible", OPT_STR, where)
    origin(obj, where)
    for i, sub in enumerate(need(obj, "subtrees", (list,), where) or []):
        w = f"{where}.subtrees[{i}]"
        need(sub, "name", STR, w)
        need(sub, "size", OPT_INT, w)
        fmt = need(sub, "format", OPT_STR, w)
        note = need(sub, "note", OPT_STR, w)
        if fmt is None and not note:
            errors.append(f"{w}: no format and no note saying why")


def check(doc):
    if need(doc, "schema", STR, "") != "liveupdate-state":
        errors.append("schema is not liveupdate-state")
    if need(doc, "version", (int,), "") != 1:
        errors.append("version is not 1")
    need(doc, "library_version", STR, "")
    a = need(doc, "availability", (dict,), "") or {}
    possible = need(a, "possible", (bool,), "availability")
    need(a, "simulated", (bool,), "availability")
    reason = need(a, "reason", STR, "availability")
    if reason not in REASONS:
        errors.append(f"availability.reason: {reason!r} unknown")
    if possible != (reason in ("available", "simulated")):
        errors.append("availability.possible disagrees with the reason")
    need(a, "text", STR, "availability")
    holder = need(a, "holder", (dict, type(None)), "availability")
    if holder is not None:
        need(holder, "pid", (int,), "availability.holder")
        need(holder, "command", OPT_STR, "availability.holder")
    origin(a, "availability")
    b = need(doc, "boot", (dict,), "") or {}
    if need(b, "kind", STR, "boot") not in ("cold", "live-update", "unknown"):
        errors.append("boot.kind unknown")
    origin(b, "boot")
    fact(b, "previous_release", OPT_STR, "boot")
    fact(b, "kexec_count", OPT_INT, "boot")
    fact(b, "liveupdate_count", OPT_INT, "boot")
    fact(b, "luo_abi", OPT_STR, "boot")
    k = need(doc, "kho", (dict,), "") or {}
    for side in ("in", "out"):
        tree(need(k, side, (dict,), "kho") or {}, f"kho.{side}")
    h = need(doc, "host", (dict,), "") or {}
    fact(h, "kernel_release", OPT_STR, "host")
    need(h, "memory", (dict, type(None)), "host")


def lookup(doc, path):
    for part in path.split("."):
        if isinstance(doc, list):
            doc = doc[int(part)]
        else:
            doc = doc[part]
    return doc


def expect(doc, spec):
    contains = "~" in spec and ("=" not in spec or spec.index("~") < spec.index("="))
    path, want = spec.split("~" if contains else "=", 1)
    try:
        got = lookup(doc, path)
    except (KeyError, IndexError, ValueError, TypeError):
        errors.append(f"{path}: absent")
        return
    if contains:
        if not isinstance(got, str) or want not in got:
            errors.append(f"{path}: {got!r} does not contain {want!r}")
        return
    try:
        want_v = json.loads(want)
    except ValueError:
        want_v = want
    if got != want_v:
        errors.append(f"{path}: {got!r}, expected {want_v!r}")


def main(argv):
    expects = []
    while len(argv) > 1 and argv[0] == "--expect":
        expects.append(argv[1])
        argv = argv[2:]
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    text = sys.stdin.read() if argv[0] == "-" else open(argv[0]).read()
    try:
        doc = json.loads(text)
    except ValueError as e:
        print(f"check-state-json: not JSON: {e}")
        print(text)
        return 1
    check(doc)
    for spec in expects:
        expect(doc, spec)
    for e in errors:
        print(f"check-state-json: {e}")
    if not errors:
        print(f"check-state-json: schema 1 ok, {len(expects)} expectation(s) hold")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
