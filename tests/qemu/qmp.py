#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""qmp.py: drive a QEMU through its QMP socket, for the QEMU tests.

  qmp.py SOCKET cmd NAME [JSON-ARGS]   run one command, print its return
  qmp.py SOCKET save OBJECT            device state into a memfd, kept in
                                       OBJECT's live update session
  qmp.py SOCKET restore OBJECT         load the state OBJECT's session kept
  qmp.py SOCKET save-into PATH         device state into the file PATH
  qmp.py SOCKET wait                   until a migration is completed

save and restore set the migration capability x-ignore-shared, so that the
guest RAM (shared, named) is not copied, and print the state's size and
the time from the pause to the end.
"""
import array
import json
import os
import socket
import sys
import time


class QMP:
    def __init__(self, path, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.file = self.sock.makefile("r")
        self._read()  # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("QEMU closed the QMP connection")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, args=None, fds=()):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        data = json.dumps(req).encode()
        if fds:
            anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                    array.array("i", fds).tobytes())]
            self.sock.sendmsg([data], anc)
        else:
            self.sock.sendall(data)
        msg = self._read()
        if "error" in msg:
            raise RuntimeError("%s: %s" % (name, msg["error"]["desc"]))
        return msg["return"]

    def wait_migration(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.cmd("query-migrate")
            status = st.get("status")
            if status == "completed":
                return st
            if status in ("failed", "cancelled"):
                raise RuntimeError("migration %s: %s" %
                                   (status, st.get("error-desc", "")))
            time.sleep(0.01)
        raise RuntimeError("migration not done within %d s" % timeout)


def ignore_shared(q):
    q.cmd("migrate-set-capabilities",
          {"capabilities": [{"capability": "x-ignore-shared", "state": True}]})


def migrate_into(q, fd):
    """Write the device state (RAM left out) into fd; the ms it took."""
    ignore_shared(q)
    q.cmd("getfd", {"fdname": "lu-state"}, fds=[fd])
    t0 = time.monotonic()
    q.cmd("migrate", {"uri": "fd:lu-state"})
    q.wait_migration()
    return (time.monotonic() - t0) * 1000


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    q = QMP(argv[1])
    what = argv[2]
    if what == "cmd":
        args = json.loads(argv[4]) if len(argv) > 4 else None
        print(json.dumps(q.cmd(argv[3], args)))
    elif what == "save":
        obj = "/objects/" + argv[3]
        fd = os.memfd_create("qemu-device-state", os.MFD_CLOEXEC)
        ms = migrate_into(q, fd)
        q.cmd("getfd", {"fdname": "lu-keep"}, fds=[fd])
        q.cmd("qom-set", {"path": obj, "property": "save-state",
                          "value": "lu-keep"})
        print("saved: %d bytes of device state in %.1f ms"
              % (os.fstat(fd).st_size, ms))
    elif what == "save-into":
        fd = os.open(argv[3], os.O_WRONLY | os.O_TRUNC)
        ms = migrate_into(q, fd)
        print("saved: %d bytes of device state in %.1f ms"
              % (os.fstat(fd).st_size, ms))
    elif what == "restore":
        obj = "/objects/" + argv[3]
        uri = q.cmd("qom-get", {"path": obj, "property": "incoming-state"})
        if not uri:
            sys.exit("restore: %s's session kept no device state" % obj)
        t0 = time.monotonic()
        ignore_shared(q)
        q.cmd("migrate-incoming", {"uri": uri})
        q.wait_migration()
        print("restored from %s in %.1f ms" % (uri,
              (time.monotonic() - t0) * 1000))
    elif what == "wait":
        q.wait_migration()
        print("migration completed")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
