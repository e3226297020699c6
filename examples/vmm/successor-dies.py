#!/usr/bin/env python3
# A successor that dies midway, for examples/vmm/test-takeover.sh: it
# connects to a VMM's --listen socket like `vmm --take-over PATH`, reads
# the greeting (the guest RAM's size), says ready, reads STEP of what the
# old VMM hands over, and exits without acknowledging anything:
#   greeting   die after the greeting, before saying ready (no pause)
#   N          say ready, read N bytes of the handover, die
#   all        say ready, read everything the old VMM sends, die
# Prints what it did; the fds that come with the bytes are dropped.
import os
import socket
import struct
import sys

path, step = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
greeting = b""
while len(greeting) < 24:
    b = s.recv(24 - len(greeting))
    if not b:
        print("hung up by the VMM after %d bytes of the greeting" % len(greeting))
        sys.exit(1)
    greeting += b
magic, ram_size, align = struct.unpack("<8sQQ", greeting)
if magic != b"LUVMMTO\0":
    print("not a VMM's greeting: %r" % greeting)
    sys.exit(1)
if step == "greeting":
    print("read the greeting (%d MiB of RAM), dying" % (ram_size >> 20))
    os._exit(0)
s.sendall(b"R")
got = 0
want = None if step == "all" else int(step)
s.settimeout(1.0)
while want is None or got < want:
    try:
        b = s.recv(4096 if want is None else want - got)
    except socket.timeout:
        break  # everything the old VMM sends before it waits for the answer
    if not b:
        break
    got += len(b)
print("said ready, read %d bytes of the handover, dying" % got)
os._exit(0)
