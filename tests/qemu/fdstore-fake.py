#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""fdstore-fake.py: the part of systemd's file descriptor store a service
talks to, for the QEMU tests (tests/qemu/fdstore.sh).

  fdstore-fake.py serve NOTIFY   a notify socket (SOCK_DGRAM) at NOTIFY that
                                 keeps the fds sent with FDSTORE=1 under
                                 their FDNAME=, drops them on
                                 FDSTOREREMOVE=1, answers BARRIER=1 (by
                                 closing the fd that came with it), and
                                 logs each on stdout
  fdstore-fake.py exec SESSION -- CMD [ARG...]
                                 after a (simulated) kexec, run CMD as
                                 systemd starts the service: it retrieves
                                 the incoming session SESSION it carried
                                 over (libliveupdate, on the simulator)
                                 and passes it as fd 3 named SESSION
                                 (LISTEN_FDS, LISTEN_FDNAMES, and
                                 LISTEN_PID: this process becomes CMD)
"""
import ctypes
import os
import socket
import sys


def serve(path):
    store = []  # (name, fd), in the order stored
    note = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    note.bind(path)
    print("serving", flush=True)
    while True:
        msg, fds, _, _ = socket.recv_fds(note, 65536, 64)
        fields = dict(l.split("=", 1) for l in msg.decode().split("\n") if "=" in l)
        if fields.get("BARRIER") == "1":
            for fd in fds:
                os.close(fd)
            print("barrier", flush=True)
        elif fields.get("FDSTOREREMOVE") == "1":
            name = fields.get("FDNAME", "")
            for n, fd in [x for x in store if x[0] == name]:
                os.close(fd)
            store[:] = [x for x in store if x[0] != name]
            print("removed %s" % name, flush=True)
        elif fields.get("FDSTORE") == "1":
            for fd in fds:
                store.append((fields.get("FDNAME", "stored"), fd))
            print("stored %s" % fields.get("FDNAME", "stored"), flush=True)


def exec_service(name, argv):
    lib = ctypes.CDLL("libliveupdate.so.1")
    lib.liveupdate_last_error.restype = ctypes.c_char_p
    ctx, sess = ctypes.c_void_p(), ctypes.c_void_p()
    if (lib.liveupdate_ctx_new(None, ctypes.byref(ctx)) < 0 or
            lib.liveupdate_session_retrieve(ctx, name.encode(),
                                            ctypes.byref(sess)) < 0):
        sys.exit("fdstore-fake: %s" % lib.liveupdate_last_error().decode())
    os.dup2(lib.liveupdate_session_get_fd(sess), 3, inheritable=True)
    os.environ.update(LISTEN_FDS="1", LISTEN_FDNAMES=name,
                      LISTEN_PID=str(os.getpid()))
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) > 4 and sys.argv[1] == "exec" and sys.argv[3] == "--":
        exec_service(sys.argv[2], sys.argv[4:])
    else:
        sys.exit(__doc__)
