#!/bin/bash
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

# landlock_audit.sh - the agent attacks its audit log (kept outside the
# workspace): truncating, rewriting, removing and renaming it through the
# library and with raw system calls fail, ftruncate on the library's own
# descriptor fails, the agent's actions are still recorded and the log
# verifies.  An in-place overwrite through a fresh descriptor is the one
# thing the kernel lets through: the test asserts that verify catches it.
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 3
plan 13
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
# the library keeps the log open: find that descriptor and cut it
mine = [int(fd) for fd in os.listdir("/proc/self/fd")
        if os.path.realpath("/proc/self/fd/" + fd) == os.path.realpath(log)]
res["raw-ftruncate-shim-fd"] = raw("ftruncate", mine[0], 0) if mine else "no fd"
open("work.txt", "w").write("done")
for k, v in res.items():
    print(k, v)
'

cd "$WS" || exit 1
fgrun --policy "$POL" -- "$PYTHON3" -c "$ATTACK" "$LOG" > "$TMP/out" 2> "$TMP/err"; rc=$?
diag "$(cat "$TMP/out")"
for k in lib-open-trunc lib-truncate lib-unlink lib-rename lib-rewrite raw-open-trunc raw-truncate raw-unlink raw-rename raw-ftruncate-shim-fd; do
	check "$k on the audit log fails" grep -qx "$k Permission denied" "$TMP/out"
done
check "the agent ran to its end and its work is recorded" \
	sh -c "[ $rc -eq 0 ] && grep -q '\"op\":\"open\",\"path\":\"[^\"]*/work.txt\"' '$LOG'"
"$VERIFY" "$LOG" > "$TMP/v" 2>&1; rc=$?
check "the log verifies after the attack ($(head -1 "$TMP/v"))" [ $rc -eq 0 ]

# The kernel grants write-file on the log (the library in every child must
# append to it), so an overwrite through a fresh raw descriptor gets
# through; the hash chain is what shows it.
REWRITE='
import ctypes, os, platform, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
nr = {"x86_64": 257, "aarch64": 56}[platform.machine()]
fd = libc.syscall(nr, -100, sys.argv[1].encode(), os.O_WRONLY)
os.pwrite(fd, b"{\"seq\":9", 0) if fd >= 0 else None
print("rewrote" if fd >= 0 else os.strerror(ctypes.get_errno()))
'
out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$REWRITE" "$LOG" 2>&1)
"$VERIFY" "$LOG" > "$TMP/v" 2>&1; rc=$?
check "gap: a raw in-place overwrite ($out) is caught by fleetguard-verify ($(head -1 "$TMP/v"))" \
	sh -c "[ '$out' != rewrote ] || [ $rc -eq 1 ]"
finish
