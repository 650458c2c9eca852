#!/usr/bin/env python3
# breaker_calls.py - an agent that connects to a breaker endpoint in the less common ways (non-blocking, closed early, beyond the call table, forked, its descriptor reused), for breaker_calls.sh.
#
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The fleetguard Authors
#
# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License. You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""breaker_calls.py PORT: prints "ok <what>" or "BAD <what>" per step; exit 0
when every step behaved as the kernel says it must."""
import errno
import os
import resource
import select
import socket
import sys
import urllib.request

PORT = int(sys.argv[1])
ADDR = ("127.0.0.1", PORT)
bad = 0


def expect(what, ok):
    global bad
    print(("ok " if ok else "BAD ") + what, flush=True)
    bad += not ok


def get():
    with urllib.request.urlopen("http://127.0.0.1:%d/v1/chat" % PORT, timeout=10) as r:
        return r.status


# non-blocking: in progress, then connect again until EISCONN, then closed
# before anything was sent (no failure: the agent changed its mind)
s = socket.socket()
s.setblocking(False)
rc = s.connect_ex(ADDR)
expect("non-blocking connect: 0 or EINPROGRESS", rc in (0, errno.EINPROGRESS))
select.select([], [s], [], 5)
rc = s.connect_ex(ADDR)
expect("second connect: EISCONN", rc in (0, errno.EISCONN))
s.close()

# closed while still connecting (a happy-eyeballs loser)
s = socket.socket()
s.setblocking(False)
s.connect_ex(ADDR)
s.close()
expect("closed while connecting", True)

# blocking connect, closed with nothing sent
s = socket.create_connection(ADDR, timeout=5)
s.close()
expect("connected and closed unused", True)

# a socket number past the call table (16384): judged by its connect alone
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard >= 16401 or hard == resource.RLIM_INFINITY:
    resource.setrlimit(resource.RLIMIT_NOFILE, (16401, hard))
    t = socket.socket()
    os.dup2(t.fileno(), 16400)
    t.close()
    hi = socket.socket(fileno=16400)
    expect("connect on descriptor 16400", hi.connect_ex(ADDR) == 0)
    hi.close()
else:
    expect("connect on descriptor 16400 (no room: hard limit %d)" % hard, True)

# a tracked number reused behind the library's back (dup2 over it)
a = socket.create_connection(ADDR, timeout=5)
b = socket.socket()
os.dup2(b.fileno(), a.fileno())
b.close()
expect("connect on a reused number", a.connect_ex(ADDR) == 0)
a.close()

# a child forked while a call is up: the child closing its copy is no
# failure of the endpoint's
c = socket.create_connection(ADDR, timeout=5)
pid = os.fork()
if pid == 0:
    c.close()
    sys.exit(0)
_, st = os.waitpid(pid, 0)
expect("forked child exited 0", os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0)
c.close()

# after all this the endpoint's circuit is still closed: real calls go through
for i in range(3):
    expect("call %d answered 200" % i, get() == 200)
sys.exit(1 if bad else 0)
