#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench-upgrade.py: pause-to-resume of a QEMU upgrade in place, two ways.

  library       memory-backend-liveupdate under liveupdate-sim: the old QEMU
                writes its device state (x-ignore-shared) into a memfd kept
                in the session, the session goes through a simulated kexec,
                the old QEMU quits, a new QEMU starts, takes the RAM back by
                label and loads the state.
  cpr-transfer  QEMU's own mode with memory-backend-memfd (share=on,
                aux-ram-share=on): the new QEMU is started before the pause
                and gets the RAM fds over a unix socket.

The same QEMU binary, guest, and host; the two alternate, RUNS times each.
The time is from the migrate command to the new QEMU's status "running",
read on one clock. Each run checks that the guest went on in the new QEMU.

  bench-upgrade.py --qemu BIN --sim LIVEUPDATE-SIM --image IMG --dir DIR
                   [--runs N] [--label TEXT] [-- QEMU ARGS: -accel ...]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMP, ignore_shared  # noqa: E402

RAM = "256M"


def lines(path):
    try:
        with open(path, errors="replace") as f:
            return [l for l in f if re.match(r"L=[0-9a-f]{8} S=[0-9a-f]{8} OK\r?\n", l)]
    except FileNotFoundError:
        return []


def wait_lines(path, n, timeout=90):
    deadline = time.monotonic() + timeout
    while len(lines(path)) < n:
        if time.monotonic() > deadline:
            sys.exit("bench: the guest printed fewer than %d lines in %s" % (n, path))
        time.sleep(0.05)


class Bench:
    def __init__(self, a):
        self.a = a
        self.n = 0

    def start(self, name, extra):
        serial = os.path.join(self.a.dir, name + ".serial")
        qmp = os.path.join(self.a.dir, name + ".qmp")
        for p in (serial, qmp):
            if os.path.exists(p):
                os.unlink(p)
        cmd = [self.a.qemu] + self.a.extra + [
            "-nodefaults", "-display", "none", "-machine", "pc", "-m", RAM,
            "-drive", "file=%s,format=raw,if=ide" % self.a.image,
            "-serial", "file:" + serial,
            "-qmp", "unix:%s,server=on,wait=off" % qmp] + extra
        log = open(os.path.join(self.a.dir, name + ".log"), "w")
        return subprocess.Popen(cmd, stdout=log, stderr=log), serial, qmp

    def wait_running(self, q):
        while not q.cmd("query-status")["running"]:
            time.sleep(0.001)
        return time.monotonic()

    def finish(self, procs, old_serial, new_serial):
        last_old = lines(old_serial)[-1]
        wait_lines(new_serial, 1)
        first_new = lines(new_serial)[0]
        if int(first_new[2:10], 16) != int(last_old[2:10], 16) + 1:
            sys.exit("bench: the guest did not go on: %r then %r" % (last_old, first_new))
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()

    def library(self):
        self.n += 1
        session = "bench-%d-%d" % (os.getpid(), self.n)
        obj = "memory-backend-liveupdate,id=ram0,size=%s,session=%s" % (RAM, session)
        old, old_serial, old_qmp = self.start("lib-old", [
            "-machine", "memory-backend=ram0", "-object", obj])
        wait_lines(old_serial, 5)
        q = QMP(old_qmp)
        ignore_shared(q)
        fd = os.memfd_create("qemu-device-state", os.MFD_CLOEXEC)
        q.cmd("getfd", {"fdname": "st"}, fds=[fd])
        t0 = time.monotonic()
        q.cmd("migrate", {"uri": "fd:st"})
        q.wait_migration()
        q.cmd("getfd", {"fdname": "keep"}, fds=[fd])
        q.cmd("qom-set", {"path": "/objects/ram0", "property": "save-state",
                          "value": "keep"})
        subprocess.run([self.a.sim, "reboot"], check=True, stdout=subprocess.DEVNULL)
        q.cmd("quit")
        old.wait()
        new, new_serial, new_qmp = self.start("lib-new", [
            "-machine", "memory-backend=ram0", "-object", obj + ",require-kept=on",
            "-incoming", "defer"])
        qn = QMP(new_qmp)
        uri = qn.cmd("qom-get", {"path": "/objects/ram0", "property": "incoming-state"})
        ignore_shared(qn)
        qn.cmd("migrate-incoming", {"uri": uri})
        t1 = self.wait_running(qn)
        os.close(fd)
        self.finish([new], old_serial, new_serial)
        return (t1 - t0) * 1000

    def cpr_transfer(self):
        main = os.path.join(self.a.dir, "main.sock")
        cpr = os.path.join(self.a.dir, "cpr.sock")
        for p in (main, cpr):
            if os.path.exists(p):
                os.unlink(p)
        ram = ["-machine", "memory-backend=ram0,aux-ram-share=on", "-object",
               "memory-backend-memfd,id=ram0,size=%s,share=on" % RAM]
        old, old_serial, old_qmp = self.start("cpr-old", ram)
        wait_lines(old_serial, 5)
        q = QMP(old_qmp)
        cpr_addr = {"transport": "socket", "type": "unix", "path": cpr}
        main_addr = {"transport": "socket", "type": "unix", "path": main}
        new, new_serial, new_qmp = self.start("cpr-new", ram + [
            "-incoming", "unix:" + main,
            "-incoming", '{"channel-type": "cpr", "addr": {"transport": "socket", '
                         '"type": "unix", "path": "%s"}}' % cpr])
        q.cmd("migrate-set-parameters", {"mode": "cpr-transfer"})
        while not os.path.exists(cpr):
            time.sleep(0.01)
        # The socket exists a moment before the new QEMU listens on it (a
        # probe would be taken for the cpr channel): retry the refusal.
        for _ in range(500):
            try:
                t0 = time.monotonic()
                q.cmd("migrate", {"channels": [
                    {"channel-type": "main", "addr": main_addr},
                    {"channel-type": "cpr", "addr": cpr_addr}]})
                break
            except RuntimeError as e:
                if "Connection refused" not in str(e):
                    raise
                time.sleep(0.01)
        qn = QMP(new_qmp)
        t1 = self.wait_running(qn)
        q.wait_migration()
        q.cmd("quit")
        self.finish([old, new], old_serial, new_serial)
        return (t1 - t0) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--label", default="", help="what the table says of the runs")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    b = Bench(a)
    ms = {"library": [], "cpr-transfer": []}
    for i in range(a.runs):
        # Alternate which goes first, so that neither always runs warm.
        order = ["library", "cpr-transfer"] if i % 2 == 0 else ["cpr-transfer", "library"]
        for m in order:
            t = b.library() if m == "library" else b.cpr_transfer()
            ms[m].append(t)
            print("run %d  %-13s %8.1f ms" % (i + 1, m, t), flush=True)
    print()
    print("| method (%s256 MiB guest, %d runs) | median ms | min | max |"
          % (a.label + ", " if a.label else "", a.runs))
    print("|---|---|---|---|")
    for m, v in ms.items():
        print("| %s | %.1f | %.1f | %.1f |" % (m, statistics.median(v), min(v), max(v)))


if __name__ == "__main__":
    main()
