# floor_cred.py - both ends of floor_cred.sh: a UNIX socket receiver that
# writes down the credentials the kernel attached to each message, and a
# sender that drops to nobody or claims credentials (SCM_CREDENTIALS).
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
import os
import socket
import struct
import sys

UCRED = struct.Struct("iII")


def creds_of(anc):
    return ["%d:%d:%d" % UCRED.unpack(d[:UCRED.size]) for lvl, typ, d in anc
            if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS]


def receive(kind, path, out):
    """Until END: one line per message, 'text creds' (stream: also the
    connecting peer's SO_PEERCRED)."""
    stream = kind == "stream"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM if stream else socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o777)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    if stream:
        s.listen(8)
    with open(out + ".ready", "w"):
        pass
    lines = []
    while True:
        c, peer = s, ""
        if stream:
            c, _ = s.accept()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            peer = " peer=%d:%d:%d" % UCRED.unpack(
                c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, UCRED.size))
        data, anc, _, _ = c.recvmsg(4096, socket.CMSG_SPACE(UCRED.size))
        if stream:
            c.close()
        if data == b"END":
            break
        lines.append("%s %s%s" % (data.decode(), " ".join(creds_of(anc)), peer))
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(out + ".tmp", out)


def send(kind, path, how, tag):
    """how: plain (sendmsg), sendto, claim-self, claim-root (pid 1, uid 0),
    each optionally after dropping to nobody (drop-...).  Prints the pid and
    uid it has and 'sent', or the errno name; exit 0 or 3 (EPERM)."""
    if how.startswith("drop-"):
        os.setgroups([])
        os.setresgid(65534, 65534, 65534)
        os.setresuid(65534, 65534, 65534)
        how = how[5:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM if kind == "stream" else socket.SOCK_DGRAM)
    if kind == "stream":
        s.connect(path)
    anc = []
    if how == "claim-self":
        anc = [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS,
                UCRED.pack(os.getpid(), os.getuid(), os.getgid()))]
    elif how == "claim-root":
        anc = [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, UCRED.pack(1, 0, 0))]
    msg = ("%s %d:%d:%d" % (tag, os.getpid(), os.getuid(), os.getgid())).encode()
    print(msg.decode().split(" ")[1], end=" ")
    try:
        if how == "sendto":
            s.sendto(msg, path)
        else:
            s.sendmsg([msg], anc, 0, None if kind == "stream" else path)
    except OSError as e:
        print(os.strerror(e.errno))
        sys.exit(3 if e.errno == 1 else 4)
    print("sent")


if sys.argv[1] == "recv":
    receive(*sys.argv[2:5])
else:
    send(*sys.argv[2:6])
