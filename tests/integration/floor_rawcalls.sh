#!/bin/bash
# floor_rawcalls.sh - the supervisor floor against the older system call forms (open, creat, truncate, mknod, utimes, utime by name; removexattr; futimens) and datagrams to an abstract UNIX name and to netlink, made raw past the library.
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

# Each call goes through libc.so.6's own syscall() (looked up in libc, so
# the preloaded hook is not in the way): only the floor answers it.  Under
# --floor supervisor each is judged by the supervisor, which performs the
# allowed ones itself.
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 1
plan 8
ll_setup
mkdir -p "$WS/deny"
echo hidden > "$WS/deny/h"
echo keep > "$WS/t"
ll_policy "$POL" auto "deny = \${root}/deny
[network]
allow = 127.0.0.1:9"

RAW='
import ctypes, os, socket, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
def call(name, nr, *args):
    rc = libc.syscall(nr, *args)
    err = ctypes.get_errno() if rc < 0 else 0
    if rc >= 0 and name.startswith(("open", "creat")):
        os.close(rc)
    print("%s=%d" % (name, err))
ws, secret = sys.argv[1], sys.argv[2]
b = lambda s: s.encode()
call("open_allowed", 2, b(ws + "/t"), os.O_RDONLY, 0)
call("open_denied", 2, b(ws + "/deny/h"), os.O_RDONLY, 0)
call("open_outside", 2, b(secret), os.O_RDONLY, 0)
call("creat_allowed", 85, b(ws + "/c"), 0o600)
call("creat_denied", 85, b(ws + "/deny/c"), 0o600)
call("truncate_allowed", 76, b(ws + "/t"), 1)
call("truncate_denied", 76, b(ws + "/deny/h"), 0)
call("mknod_allowed", 133, b(ws + "/fifo"), 0o10600, 0)
call("mknod_denied", 133, b(ws + "/deny/fifo"), 0o10600, 0)
# the older time calls and xattr removal, performed by the supervisor
tv = (ctypes.c_long * 4)(1000000000, 0, 1000000000, 0)
call("utimes_allowed", 235, b(ws + "/t"), tv)
call("utimes_denied", 235, b(ws + "/deny/h"), tv)
ub = (ctypes.c_long * 2)(1100000000, 1100000000)
call("utime_allowed", 132, b(ws + "/c"), ub)
call("removexattr_denied", 197, b(ws + "/deny/h"), b"user.fg")
fd = os.open(ws, os.O_RDONLY)
call("futimens", 280, fd, None, None, 0)
os.close(fd)
# datagrams: an abstract UNIX name no rule allows, a netlink message
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    u.sendto(b"x", "\0fg-rawcalls-nobody")
    print("abstract=0")
except OSError as e:
    print("abstract=%d" % e.errno)
try:
    n = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    n.sendto(b"\0" * 16, (0, 0))
    print("netlink=0")
except OSError as e:
    print("netlink=%d" % e.errno)
'
out=$(fgrun --policy "$POL" --floor supervisor -- "$PYTHON3" -c "$RAW" "$WS" "$SECRET" 2> "$TMP/err")
rc=$?
diag $out "stderr: $(head -c 400 "$TMP/err")"
v() { printf '%s\n' $out | sed -n "s/^$1=//p"; }
check "ran under the supervisor (rc $rc)" [ $rc -eq 0 ]
check "open(2) and creat(2): allowed in the workspace, EACCES under deny and outside ($(v open_allowed) $(v creat_allowed) / $(v open_denied) $(v open_outside) $(v creat_denied))" \
	[ "$(v open_allowed)$(v creat_allowed)|$(v open_denied)$(v open_outside)$(v creat_denied)" = "00|131313" ]
check "truncate(2) by name: the workspace file is cut, the denied one refused ($(v truncate_allowed) / $(v truncate_denied))" \
	sh -c "[ '$(v truncate_allowed)|$(v truncate_denied)' = '0|13' ] && [ \$(stat -c %s '$WS/t') -eq 1 ] && [ \"\$(cat '$WS/deny/h')\" = hidden ]"
check "mknod(2): a FIFO made in the workspace, refused under deny ($(v mknod_allowed) / $(v mknod_denied))" \
	sh -c "[ '$(v mknod_allowed)|$(v mknod_denied)' = '0|13' ] && [ -p '$WS/fifo' ] && [ ! -e '$WS/deny/fifo' ]"
check "utimes(2) and utime(2) by name: allowed in the workspace (times set), refused under deny ($(v utimes_allowed) $(v utime_allowed) / $(v utimes_denied))" \
	sh -c "[ '$(v utimes_allowed)$(v utime_allowed)|$(v utimes_denied)' = '00|13' ] && [ \$(stat -c %Y '$WS/t') -eq 1000000000 ] && [ \$(stat -c %Y '$WS/c') -eq 1100000000 ]"
check "removexattr(2) under deny is refused, futimens(2) of a held descriptor allowed ($(v removexattr_denied) / $(v futimens))" \
	[ "$(v removexattr_denied)|$(v futimens)" = "13|0" ]
check "a datagram to an abstract UNIX name no rule allows is refused ($(v abstract))" [ "$(v abstract)" = 13 ]
# AF_NETLINK sockets are let through by design (docs/SECURITY.md, the
# seccomp filter): a message to the kernel names no destination
check "a netlink datagram to the kernel goes through, as SECURITY.md says ($(v netlink))" [ "$(v netlink)" = 0 ]
finish
