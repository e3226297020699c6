#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench-upgrade.py: pause-to-resume of a QEMU upgrade in place, three ways.

  library       memory-backend-liveupdate under liveupdate-sim: the old QEMU
                writes its device state (x-ignore-shared) into a memfd kept
                in the session, the session goes through a simulated kexec,
                the old QEMU quits, a new QEMU starts, takes the RAM back by
                label and loads the state.
  handover      memory-backend-liveupdate, no kexec: the new QEMU is started
                before the pause with receive-from=SOCKET and waits; the old
                QEMU saves its device state into the session as above, hands
                the session over (handover-to=SOCKET) and quits; the new
                QEMU takes the RAM and the state by label and loads the state.
  cpr-transfer  QEMU's own mode with memory-backend-memfd (share=on,
                aux-ram-share=on): the new QEMU is started before the pause
                and gets the RAM fds over a unix socket.

The same QEMU binary, guest, and host; the order of the methods rotates
from run to run, RUNS runs each. The time is from the migrate command to
the new QEMU's status "running", read on one clock; for the two library
methods it is also split at each step (medians of each step printed).
Each run checks that the guest went on in the new QEMU. Every QEMU the
benchmark starts is killed when it ends, also on a failure or a signal.

  bench-upgrade.py --qemu BIN --sim LIVEUPDATE-SIM --image IMG --dir DIR
                   [--runs N] [--label TEXT] [-- QEMU ARGS: -accel ...]
"""
import argparse
import os
import re
import signal
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


def wait_log(path, text, proc, timeout=30):
    """Until the QEMU log at path has text; fails if proc ends first."""
    deadline = time.monotonic() + timeout
    while True:
        with open(path, errors="replace") as f:
            if text in f.read():
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("bench: no %r in %s" % (text, path))
        time.sleep(0.01)


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
        self.procs = []  # every QEMU started, for kill_all
        self.steps = {}  # method: {step: [ms, ...]}

    def kill_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()

    def step(self, method, marks):
        """Record the ms between consecutive (name, time) marks."""
        for (_, t_prev), (name, t) in zip(marks, marks[1:]):
            self.steps.setdefault(method, {}).setdefault(name, []).append((t - t_prev) * 1000)

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
        with open(os.path.join(self.a.dir, name + ".log"), "w") as log:
            p = subprocess.Popen(cmd, stdout=log, stderr=log)
        self.procs.append(p)
        return p, serial, qmp

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

    def start_old_lu(self, name):
        """An old QEMU on memory-backend-liveupdate, its guest running."""
        self.n += 1
        session = "bench-%d-%d" % (os.getpid(), self.n)
        obj = "memory-backend-liveupdate,id=ram0,size=%s,session=%s" % (RAM, session)
        old, old_serial, old_qmp = self.start(name, [
            "-machine", "memory-backend=ram0", "-object", obj])
        wait_lines(old_serial, 5)
        return obj, old, old_serial, old_qmp

    def save_lu(self, q, marks):
        """migrate into a memfd, then keep it in the session (save-state)."""
        ignore_shared(q)
        fd = os.memfd_create("qemu-device-state", os.MFD_CLOEXEC)
        q.cmd("getfd", {"fdname": "st"}, fds=[fd])
        marks.append(("", time.monotonic()))
        q.cmd("migrate", {"uri": "fd:st"})
        q.wait_migration()
        marks.append(("migrate", time.monotonic()))
        q.cmd("getfd", {"fdname": "keep"}, fds=[fd])
        q.cmd("qom-set", {"path": "/objects/ram0", "property": "save-state",
                          "value": "keep"})
        marks.append(("keep state", time.monotonic()))
        return fd

    def restore_lu(self, new_qmp, marks):
        """On the new QEMU: QMP's greeting (its machine is built), then the
        kept state loaded, until the guest runs."""
        qn = QMP(new_qmp)
        marks.append(("new QEMU to QMP", time.monotonic()))
        uri = qn.cmd("qom-get", {"path": "/objects/ram0", "property": "incoming-state"})
        ignore_shared(qn)
        qn.cmd("migrate-incoming", {"uri": uri})
        marks.append(("restore + run", self.wait_running(qn)))

    def library(self):
        obj, old, old_serial, old_qmp = self.start_old_lu("lib-old")
        q = QMP(old_qmp)
        marks = []
        fd = self.save_lu(q, marks)
        subprocess.run([self.a.sim, "reboot"], check=True, stdout=subprocess.DEVNULL)
        marks.append(("simulated kexec", time.monotonic()))
        q.cmd("quit")
        old.wait()
        marks.append(("old QEMU quits", time.monotonic()))
        new, new_serial, new_qmp = self.start("lib-new", [
            "-machine", "memory-backend=ram0", "-object", obj + ",require-kept=on",
            "-incoming", "defer"])
        self.restore_lu(new_qmp, marks)
        os.close(fd)
        self.finish([new], old_serial, new_serial)
        self.step("library", marks)
        return (marks[-1][1] - marks[0][1]) * 1000

    def handover(self):
        sock = os.path.join(self.a.dir, "handover.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        obj, old, old_serial, old_qmp = self.start_old_lu("ho-old")
        new, new_serial, new_qmp = self.start("ho-new", [
            "-machine", "memory-backend=ram0",
            "-object", obj + ",require-kept=on,receive-from=" + sock,
            "-incoming", "defer"])
        wait_log(os.path.join(self.a.dir, "ho-new.log"), "waiting up to", new)
        q = QMP(old_qmp)
        marks = []
        fd = self.save_lu(q, marks)
        q.cmd("qom-set", {"path": "/objects/ram0", "property": "handover-to",
                          "value": sock})
        marks.append(("handover-to", time.monotonic()))
        q.cmd("quit")
        marks.append(("quit (reply)", time.monotonic()))
        self.restore_lu(new_qmp, marks)
        old.wait()
        os.close(fd)
        self.finish([old, new], old_serial, new_serial)
        self.step("handover", marks)
        return (marks[-1][1] - marks[0][1]) * 1000

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
    methods = {"library": b.library, "handover": b.handover,
               "cpr-transfer": b.cpr_transfer}
    ms = {m: [] for m in methods}
    # A signal ends the runs like a failure: every QEMU started is killed.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda n, _: sys.exit("bench: signal %d" % n))
    try:
        for i in range(a.runs):
            # Rotate the order, so that no method always runs first or warm.
            names = list(methods)
            order = names[i % len(names):] + names[:i % len(names)]
            for m in order:
                t = methods[m]()
                ms[m].append(t)
                print("run %d  %-13s %8.1f ms" % (i + 1, m, t), flush=True)
    finally:
        b.kill_all()
    print()
    print("| method (%s256 MiB guest, %d runs) | median ms | min | max |"
          % (a.label + ", " if a.label else "", a.runs))
    print("|---|---|---|---|")
    for m, v in ms.items():
        print("| %s | %.1f | %.1f | %.1f |" % (m, statistics.median(v), min(v), max(v)))
    for m, steps in b.steps.items():
        print()
        print("| %s: step | median ms | min | max |" % m)
        print("|---|---|---|---|")
        for name, v in steps.items():
            print("| %s | %.1f | %.1f | %.1f |" % (name, statistics.median(v), min(v), max(v)))


if __name__ == "__main__":
    main()
