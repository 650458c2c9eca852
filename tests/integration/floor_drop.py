# floor_drop.py - the agent of floor_drop.sh: changes its credentials, then reads, creates, renames, unlinks, chmods, links and binds with raw calls, printing each outcome.
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
#
# usage: floor_drop.py MODE DIR
#   plain     no change (root as it started)
#   drop      setgroups([]), setresgid and setresuid to 65534 (glibc: every thread)
#   groups    the same, keeping supplementary group 4242
#   capdrop   stays uid 0, drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from
#             its effective set with a raw capset (this thread only)
#   thread    a second thread drops to 65534 with raw system calls (only
#             itself) and acts; then the first thread, still root, acts
#   userns    unshare(CLONE_NEWUSER): no capability left outside it
#   child     drop, then a child (/bin/sh) creates made-child and reads rootfile
# Every call below goes through libc's syscall() (no library hook in the
# way); each prints "TAG OP ok" or "TAG OP <errno name>".
import ctypes
import errno
import os
import platform
import socket
import subprocess
import sys
import threading

libc = ctypes.CDLL("libc.so.6", use_errno=True)
NR = {
    "x86_64": dict(openat=257, mkdirat=258, unlinkat=263, renameat=264, linkat=265,
                   fchmodat=268, setresuid=117, setresgid=119, setgroups=116, capset=126,
                   unshare=272),
    "aarch64": dict(openat=56, mkdirat=34, unlinkat=35, renameat=38, linkat=37,
                    fchmodat=53, setresuid=147, setresgid=149, setgroups=159, capset=91,
                    unshare=97),
}[platform.machine()]
AT_FDCWD = -100


def sc(name, *args):
    r = libc.syscall(NR[name], *args)
    return r, ctypes.get_errno() if r < 0 else 0


def say(tag, op, r):
    res, err = r
    print("%s %s %s" % (tag, op, "ok" if res >= 0 else errno.errorcode.get(err, str(err))),
          flush=True)
    return res


def b(path):
    return path.encode()


def act(tag, d):
    """The calls judged from outside: reads, creations, name changes."""
    fd = say(tag, "read-rootfile", sc("openat", AT_FDCWD, b(d + "/rootfile"), os.O_RDONLY))
    if fd >= 0:
        os.close(fd)
    fd = say(tag, "read-nobodyfile", sc("openat", AT_FDCWD, b(d + "/nobodyfile"), os.O_RDONLY))
    if fd >= 0:
        os.close(fd)
    fd = say(tag, "read-grpfile", sc("openat", AT_FDCWD, b(d + "/grpfile"), os.O_RDONLY))
    if fd >= 0:
        os.close(fd)
    fd = say(tag, "write-rootfile", sc("openat", AT_FDCWD, b(d + "/rootfile"), os.O_WRONLY))
    if fd >= 0:
        os.close(fd)
    fd = say(tag, "create", sc("openat", AT_FDCWD, b("%s/made-%s" % (d, tag)),
                               os.O_CREAT | os.O_WRONLY, 0o644))
    if fd >= 0:
        os.close(fd)
    say(tag, "mkdir", sc("mkdirat", AT_FDCWD, b("%s/dir-%s" % (d, tag)), 0o755))
    say(tag, "create-in-rootdir", sc("openat", AT_FDCWD, b("%s/rootdir/new-%s" % (d, tag)),
                                     os.O_CREAT | os.O_WRONLY, 0o644))
    say(tag, "unlink-in-rootdir", sc("unlinkat", AT_FDCWD, b(d + "/rootdir/f"), 0))
    say(tag, "rename-sticky", sc("renameat", AT_FDCWD, b(d + "/sticky/rootowned"),
                                 AT_FDCWD, b("%s/sticky/moved-%s" % (d, tag))))
    say(tag, "unlink-sticky", sc("unlinkat", AT_FDCWD, b(d + "/sticky/rootowned"), 0))
    say(tag, "chmod-rootfile", sc("fchmodat", AT_FDCWD, b(d + "/rootfile"), 0o666))
    say(tag, "link-rootfile", sc("linkat", AT_FDCWD, b(d + "/rootfile"),
                                 AT_FDCWD, b("%s/link-%s" % (d, tag)), 0))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.bind("%s/sock-%s" % (d, tag))
        print("%s bind ok" % tag, flush=True)
    except OSError as e:
        print("%s bind %s" % (tag, errno.errorcode.get(e.errno, str(e.errno))), flush=True)
    s.close()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", d + "/rootsock")     # root's, mode 0600, nobody bound to it
        print("%s sendto-rootsock ok" % tag, flush=True)
    except OSError as e:
        print("%s sendto-rootsock %s" % (tag, errno.errorcode.get(e.errno, str(e.errno))),
              flush=True)
    s.close()
    fd = say(tag, "read-denied", sc("openat", AT_FDCWD, b(d + "/secrets/s.txt"), os.O_RDONLY))
    if fd >= 0:
        os.close(fd)


def raw_drop(keep_group=False):
    groups = (ctypes.c_uint * 1)(4242)
    sc("setgroups", 1 if keep_group else 0, groups)
    sc("setresgid", 65534, 65534, 65534)
    sc("setresuid", 65534, 65534, 65534)


def capdrop():
    class Hdr(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]
    h = Hdr(0x20080522, 0)
    d = (Data * 2)()
    if libc.syscall(125 if platform.machine() == "x86_64" else 90, ctypes.byref(h), d) < 0:
        sys.exit("capget failed")
    d[0].effective &= ~((1 << 1) | (1 << 2))    # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    r = sc("capset", ctypes.byref(h), d)
    if r[0] < 0:
        sys.exit("capset failed")


def main():
    mode, d = sys.argv[1], sys.argv[2]
    if mode == "drop" or mode == "groups":
        os.setgroups([4242] if mode == "groups" else [])
        os.setresgid(65534, 65534, 65534)
        os.setresuid(65534, 65534, 65534)
    elif mode == "capdrop":
        capdrop()
    elif mode == "userns":
        if sc("unshare", 0x10000000)[0] < 0:
            sys.exit("unshare failed")
    if mode == "child":
        os.setgroups([])
        os.setresgid(65534, 65534, 65534)
        os.setresuid(65534, 65534, 65534)
        r = subprocess.run(["/bin/sh", "-c", 'echo x > "$1/made-child" && echo made; '
                            'cat "$1/rootfile" || echo unread', "sh", d],
                           capture_output=True, text=True)
        print("child", r.returncode, r.stdout.replace("\n", " "), flush=True)
        return
    if mode != "thread":
        act(mode, d)
        return
    t = threading.Thread(target=lambda: (raw_drop(), act("dropped", d)))
    t.start()
    t.join()
    act("root", d)


main()
