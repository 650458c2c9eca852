#!/bin/bash
# landlock_audit.sh - the agent attacks its audit log (kept outside the
# workspace): truncating, rewriting, reading, removing and renaming it through
# the library and with raw system calls fail, the agent holds no descriptor on
# it (its records go to the audit daemon), its actions are still recorded with
# the pid the kernel names, and the log verifies.
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

# A client that talks to the daemon's socket itself can add records in its own
# name (stamped with its real pid), never a malformed one.
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 3
plan 19
ll_setup

ATTACK='
import ctypes, os, platform, sys
log = sys.argv[1]
libc = ctypes.CDLL("libc.so.6", use_errno=True)
NR = {"x86_64": dict(openat=257, truncate=76, ftruncate=77, unlinkat=263, renameat=264),
      "aarch64": dict(openat=56, truncate=45, ftruncate=46, unlinkat=35, renameat=38)}[platform.machine()]

def raw(name, *args):
    r = libc.syscall(NR[name], *args)
    return "ok" if r >= 0 else os.strerror(ctypes.get_errno())

def lib(fn):
    try:
        fn(); return "ok"
    except OSError as e:
        return e.strerror

b = log.encode()
res = {}
res["lib-open-trunc"] = lib(lambda: open(log, "w"))
res["lib-truncate"] = lib(lambda: os.truncate(log, 0))
res["lib-unlink"] = lib(lambda: os.unlink(log))
res["lib-rename"] = lib(lambda: os.rename(log, log + ".x"))
res["lib-rewrite"] = lib(lambda: open(log, "r+").write("x"))
res["raw-open-trunc"] = raw("openat", -100, b, os.O_WRONLY | os.O_TRUNC)
res["raw-truncate"] = raw("truncate", b, 0)
res["raw-unlink"] = raw("unlinkat", -100, b, 0)
res["raw-rename"] = raw("renameat", -100, b, -100, b + b".x")
res["raw-read"] = raw("openat", -100, b, os.O_RDONLY)
res["raw-rewrite"] = raw("openat", -100, b, os.O_WRONLY)
# the library keeps no descriptor on the log: its records go to the daemon
mine = [fd for fd in os.listdir("/proc/self/fd")
        if os.path.realpath("/proc/self/fd/" + fd).startswith(os.path.realpath(log))]
res["descriptors"] = "none" if not mine else "held"
open("work.txt", "w").write("done")
for k, v in res.items():
    print(k, v)
'

cd "$WS" || exit 1
fgrun --policy "$POL" -- "$PYTHON3" -c "$ATTACK" "$LOG" > "$TMP/out" 2> "$TMP/err"; rc=$?
diag "$(cat "$TMP/out")"
for k in lib-open-trunc lib-truncate lib-unlink lib-rename lib-rewrite raw-open-trunc raw-truncate raw-unlink raw-rename raw-read raw-rewrite; do
	check "$k on the audit log fails" grep -qx "$k Permission denied" "$TMP/out"
done
check "the agent holds no descriptor on the log" grep -qx "descriptors none" "$TMP/out"
check "the agent ran to its end and its work is recorded" \
	sh -c "[ $rc -eq 0 ] && grep -q '\"op\":\"open\",\"path\":\"[^\"]*/work.txt\"' '$LOG'"
"$VERIFY" "$LOG" > "$TMP/v" 2>&1; rc=$?
check "the log verifies after the attack ($(head -1 "$TMP/v"))" [ $rc -eq 0 ]

# A client of its own on the daemon's socket (raw calls, past the library):
# a well-formed record is appended with the pid the kernel gives, a record
# that names a field the writer owns is refused and ends the connection.
FORGE='
import ctypes, os, platform, struct, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
NR = {"x86_64": dict(socket=41, connect=42, sendto=44, recvfrom=45, getsockopt=55),
      "aarch64": dict(socket=198, connect=203, sendto=206, recvfrom=207, getsockopt=209)}[platform.machine()]
s = libc.syscall(NR["socket"], 1, 5, 0)
addr = struct.pack("H", 1) + (sys.argv[1] + ".sock").encode() + b"\0"
if libc.syscall(NR["connect"], s, addr, len(addr)) < 0:
    print("connect", os.strerror(ctypes.get_errno())); sys.exit(0)
def cstr(b): return struct.pack("I", len(b) + 1) + b + b"\0"
def ask(m):
    libc.syscall(NR["sendto"], s, m, len(m), 0, None, 0)
    buf = ctypes.create_string_buffer(8)
    n = libc.syscall(NR["recvfrom"], s, buf, 8, 0, None, 0)
    return struct.unpack("i", buf.raw[4:8])[0] if n == 8 else "closed"
def rec(key, path):
    return (b"R\1" + struct.pack("i", 0) + cstr(b"open") + cstr(b"allow") + struct.pack("I", 0) +
            struct.pack("H", 1) + b"\0" + cstr(key) + struct.pack("I", len(path)) + path)
print("pid", os.getpid())
# the daemon, named by the kernel (SO_PEERCRED), lives outside the domain:
# signals to it are refused (Landlock scoping, ABI >= 6)
cred = ctypes.create_string_buffer(12)
size = ctypes.c_uint(12)
libc.syscall(NR["getsockopt"], s, 1, 17, cred, ctypes.byref(size))
try:
    os.kill(struct.unpack("iII", cred.raw)[0], 9)
    print("kill sent")
except OSError as e:
    print("kill", e.strerror)
print("hello", ask(b"H\0" + cstr(b"forger") + cstr(b"/bin/forge")))
print("record", ask(rec(b"path", b"/forged")))
print("reserved", ask(rec(b"seq", b"/forged" + b"2")))
print("after", ask(rec(b"path", b"/forged3")))
'
out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$FORGE" "$LOG" 2>&1)
diag "$out"
pid=$(printf '%s\n' "$out" | sed -n 's/^pid //p')
if [ "$LL_ABI" -ge 6 ]; then
	check "the agent cannot kill the audit daemon (signal scoping)" \
		sh -c "printf '%s\n' '$out' | grep -qx 'kill Operation not permitted'"
else
	skip_check "the agent cannot kill the audit daemon" "Landlock ABI $LL_ABI < 6 has no signal scoping"
fi
check "a client of its own adds a record in its own name" \
	sh -c "printf '%s\n' '$out' | grep -qx 'record 0' &&
	       grep '\"path\":\"/forged\"' '$LOG' | grep -q '\"pid\":$pid,'"
check "a record naming a writer's field is refused, the connection closed" \
	sh -c "printf '%s\n' '$out' | grep -qx 'reserved -74' &&
	       printf '%s\n' '$out' | grep -qx 'after closed' && ! grep -q /forged2 '$LOG'"
"$VERIFY" "$LOG" > "$TMP/v" 2>&1; rc=$?
check "the log verifies after the forging ($(head -1 "$TMP/v"))" [ $rc -eq 0 ]
# the daemon goes once the last confined process has gone (it lingers 2 s;
# a deadline of 60 s, as a loaded machine may be slow to run it down)
wait_until 60 test ! -e "$LOG.sock"
check "the audit daemon leaves when its last process has gone" [ ! -e "$LOG.sock" ]
finish
