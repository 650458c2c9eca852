#!/bin/bash
# sandbox_exec.sh - exec and the environment of children: cleared
# environments still carry the shim, unfollowable binaries are refused with
# a message that says how, raw syscall() is judged, io_uring is off.
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

. "$FG_TOP_SRCDIR/tests/lib.sh"
plan 12
make_ws
# kernel = off: this tests the shim alone (with Landlock the kernel confines
# static and setuid programs and the shim lets them run; see landlock_*.sh).
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off
INI
cp "$FG_TOP_BUILDDIR/tests/bin/static_hello" "$WS/static_hello"
cp /usr/bin/id "$WS/setuid_id"
chmod u+s "$WS/setuid_id"

fg "$WS/fleetguard.ini" sh -c 'cat /etc/shadow' > /dev/null 2> "$TMP/err"
check "sh -c 'cat /etc/shadow' fails" sh -c "[ $? -ne 0 ] && grep -q 'cat: /etc/shadow: Permission denied' '$TMP/err'"
fg "$WS/fleetguard.ini" env -i cat /etc/shadow > /dev/null 2> "$TMP/err"
check "env -i cat /etc/shadow fails (the shim is restored)" grep -q 'cat: /etc/shadow: Permission denied' "$TMP/err"
fg "$WS/fleetguard.ini" env -u LD_PRELOAD FLEETGUARD_POLICY=/nonexistent cat /etc/shadow > /dev/null 2> "$TMP/err"
check "a child with LD_PRELOAD removed and FLEETGUARD_POLICY changed is still confined" \
	grep -q 'cat: /etc/shadow: Permission denied' "$TMP/err"
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import subprocess
r = subprocess.run(['/bin/cat', '/etc/shadow'], env={}, capture_output=True, text=True)
print(r.returncode, 'Permission denied' in r.stderr)" 2>/dev/null)
check "python subprocess with env={} is still confined" [ "$out" = "1 True" ]

fg "$WS/fleetguard.ini" sh -c "'$WS/static_hello'" > "$TMP/out" 2> "$TMP/err"
rc=$?
diag "$(cat "$TMP/err")"
check "exec of a static binary is refused (exit 126 from the shell)" sh -c "[ $rc -eq 126 ] && [ ! -s '$TMP/out' ]"
check "the refusal says why and how" sh -c "grep -q '^fleetguard: denied exec $WS/static_hello: static binary, which the preloaded library cannot follow' '$TMP/err' && grep -q 'unconfined_exec = allow' '$TMP/err'"
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import subprocess
try:
    subprocess.run(['$WS/setuid_id'])
except PermissionError:
    print('denied')" 2>"$TMP/err")
check "exec of a setuid program is refused" sh -c "[ '$out' = denied ] && grep -q 'setuid/setgid program' '$TMP/err'"

printf '[filesystem]\nsystem = yes\nwrite = ${root}\nkernel = off\nunconfined_exec = allow\n' > "$WS/allow.ini"
out=$(fg "$WS/allow.ini" sh -c "'$WS/static_hello'" 2>/dev/null)
check "unconfined_exec = allow lets the static binary run" [ "$out" = "static hello" ]

out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
fd = libc.syscall(257, -100, b'/etc/shadow', os.O_RDONLY, 0)
print(fd, ctypes.get_errno())" 2>"$TMP/err")
check "ctypes syscall(SYS_openat, '/etc/shadow') is denied with EACCES" [ "$out" = "-1 13" ]
check "the raw call printed the denial line" grep -q '^fleetguard: denied open /etc/shadow' "$TMP/err"
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
buf = ctypes.create_string_buffer(256)
print(libc.syscall(425, 8, buf), ctypes.get_errno())" 2>/dev/null)
check "syscall(SYS_io_uring_setup) answers ENOSYS" [ "$out" = "-1 38" ]
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print(libc.syscall(39), os.getpid())" 2>/dev/null)
check "other raw calls pass through (getpid answers the pid: $out)" \
	sh -c "set -- $out; [ \$# -eq 2 ] && [ \"\$1\" -gt 0 ] && [ \"\$1\" = \"\$2\" ]"
finish
