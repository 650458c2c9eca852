#!/bin/bash
# landlock_bypass.sh - the rows of docs/SECURITY.md's bypass table that
# landlock_static.sh and landlock_ctypes.sh do not cover: io_uring, a second
# libc through dlmopen, LD_PRELOAD cleared by a raw execve, writing
# /proc/self/mem, setuid programs.
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

# Each: what gets past LD_PRELOAD alone (asserted, the documented gap) and
# what fleetguard run's domain refuses.
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 1
plan 11
ll_setup
ll_policy "$WS/off.ini" off "unconfined_exec = allow"
cp "$FG_TOP_BUILDDIR/tests/uring_openat" "$WS/uring_openat"
cd "$WS" || exit 1

# io_uring: a static program, so no hook stands in the way of io_uring_setup
out=$(fg "$WS/off.ini" "$WS/uring_openat" "$SECRET"); rc=$?
check "gap: io_uring openat outside under LD_PRELOAD alone ($out)" [ $rc -eq 0 ]
out=$(fgrun --policy "$POL" -- "$WS/uring_openat" "$SECRET"); rc=$?
# the floor's seccomp filter refuses io_uring_setup itself (IORING_OP_SOCKET
# would skip its socket rules); either way the secret stays unread
check "io_uring openat outside under fleetguard run: refused ($out)" \
	sh -c "[ $rc -eq 3 ] || echo '$out' | grep -q 'io_uring_setup: Function not implemented'"

DLMOPEN='
import ctypes, os, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.dlmopen.restype = libc.dlsym.restype = ctypes.c_void_p
libc.dlmopen.argtypes = [ctypes.c_long, ctypes.c_char_p, ctypes.c_int]
libc.dlsym.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
second = libc.dlmopen(-1, b"libc.so.6", 2)          # LM_ID_NEWLM: no preloads there
op = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int, use_errno=True)(libc.dlsym(second, b"open"))
fd = op(sys.argv[1].encode(), os.O_RDONLY)
# (the second libc keeps its own errno, so only the result is looked at)
print("opened" if fd >= 0 else "refused"); sys.exit(0 if fd >= 0 else 3)
'
out=$(fg "$WS/off.ini" "$PYTHON3" -c "$DLMOPEN" "$SECRET" 2>&1); rc=$?
check "gap: open() of a second libc (dlmopen) under LD_PRELOAD alone ($out)" [ $rc -eq 0 ]
out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$DLMOPEN" "$SECRET" 2>&1); rc=$?
check "open() of a second libc under fleetguard run: refused ($out)" [ $rc -eq 3 ]

# libc's own execve (looked up past the hook) with an empty environment
EXECVE='
import ctypes, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
argv = (ctypes.c_char_p * 3)(b"/bin/cat", sys.argv[1].encode(), None)
envp = (ctypes.c_char_p * 1)(None)
libc.execve(b"/bin/cat", argv, envp)
print("execve failed", ctypes.get_errno())
'
out=$(fg "$WS/off.ini" "$PYTHON3" -c "$EXECVE" "$SECRET" 2>&1)
check "gap: a raw execve without LD_PRELOAD escapes the library ($out)" [ "$out" = "top secret" ]
out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$EXECVE" "$SECRET" 2>&1)
check "the same child under fleetguard run stays in the domain ($out)" \
	sh -c "echo '$out' | grep -q 'Permission denied' && ! echo '$out' | grep -q 'top secret'"

# /proc/self/mem: where an agent could rewrite the library's state
PROCMEM='
import ctypes, os, platform, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
nr = {"x86_64": 257, "aarch64": 56}[platform.machine()]
fd = libc.syscall(nr, -100, b"/proc/self/mem", os.O_RDWR)
print("opened" if fd >= 0 else os.strerror(ctypes.get_errno()))
'
out=$(fg "$WS/off.ini" "$PYTHON3" -c "$PROCMEM" 2>&1)
check "gap: raw open of /proc/self/mem for writing under LD_PRELOAD alone ($out)" [ "$out" = opened ]
out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$PROCMEM" 2>&1)
check "raw open of /proc/self/mem for writing under fleetguard run: refused ($out)" \
	[ "$out" = "Permission denied" ]

# setuid: a copy of id owned by nobody, setuid.  Without no_new_privs it
# would run as nobody; under fleetguard run it gains nothing.
if [ "$(id -u)" -eq 0 ] && cp /usr/bin/id "$WS/suid_id" && chown nobody "$WS/suid_id" &&
	chmod u+s "$WS/suid_id"; then
	out=$("$WS/suid_id" -u)
	check "setuid works outside fleetguard (euid $out)" [ "$out" != 0 ]
	out=$(fgrun --policy "$POL" -- "$WS/suid_id" -u 2>&1); rc=$?
	check "under fleetguard run a setuid program runs without its privilege (euid $out)" \
		sh -c "[ $rc -eq 0 ] && [ '$out' = 0 ]"
	out=$(fgrun --policy "$POL" -- "$WS/suid_id" -u -n 2>&1 >/dev/null; fgrun --policy "$POL" -- "$PYTHON3" -c "
import subprocess; print(subprocess.run(['$WS/suid_id', '-u'], capture_output=True, text=True, close_fds=False).stdout.strip())" 2>&1)
	check "the library lets a setuid exec through while Landlock confines ($out)" [ "$out" = 0 ]
else
	ok "# SKIP setuid checks need root (to make a setuid file owned by nobody)"
	ok "# SKIP setuid checks need root"
	ok "# SKIP setuid checks need root"
fi
finish
