#!/bin/bash
# floor_attr.sh - fleetguard run --floor=supervisor: metadata calls by path
# that Landlock does not control (chmod, chown, utimensat, setxattr,
# removexattr, inotify_add_watch; the AT_EMPTY_PATH way through an O_PATH
# descriptor; name_to_handle_at) reach the supervisor, which refuses them on
# a deny inside the write tree and performs them elsewhere; a static binary
# and ctypes alike, judged from outside (mode, times, attributes unchanged),
# while coreutils and python3 keep working on the workspace.
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
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 1
plan 26
ll_setup
PROBE="$WS/attr_probe"
cp "$FG_TOP_BUILDDIR/tests/bin/attr_probe" "$PROBE"
mkdir -p "$WS/secrets"
echo "workspace secret" > "$WS/secrets/a.txt"
echo "key material" > "$WS/token"
echo data > "$WS/data.txt"
chmod 640 "$WS/token" "$WS/secrets/a.txt"
ll_policy "$POL" auto "deny = \${root}/secrets, \${root}/token"
sup() { fgrun --floor=supervisor --policy "$POL" -- "$@"; }
meta() { stat -c '%a %Y' "$1"; }
cd "$WS" || exit 1
before=$(meta "$WS/token")

cp "$WS/token" "$TMP/scratch"
out=$(fg "$POL" "$PROBE" chmod "$TMP/scratch" 2>/dev/null); rc=$?
check "gap: a static program's chmod is not seen by the library ($out)" [ "$rc" -eq 0 ]
xattr_ok=$("$PROBE" setxattr "$TMP/scratch" 2>/dev/null)

for call in chmod chmod-empty chown utimes setxattr removexattr inotify; do
	out=$(sup "$PROBE" $call "$WS/token" 2>/dev/null); rc=$?
	check "static $call on the denied file: EACCES from the supervisor ($out)" \
		[ "$rc" -eq 3 -a "$out" = "$call EACCES" ]
done
out=$(sup "$PROBE" handle "$WS/token" 2>/dev/null); rc=$?
check "static name_to_handle_at: EOPNOTSUPP ($out)" [ "$out" = "handle EOPNOTSUPP" ]
out=$(sup "$PROBE" chmod "$WS/secrets/a.txt" 2>/dev/null); rc=$?
check "static chmod inside the denied directory: EACCES ($out)" [ "$rc" -eq 3 ]
check "and from outside: mode and times of the denied file are unchanged" \
	[ "$(meta "$WS/token")" = "$before" -a "$(stat -c %a "$WS/secrets/a.txt")" = 640 ]

CTYPES='
import ctypes, os, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
r = libc.syscall(90, sys.argv[1].encode(), 0o666)
print("ok" if r == 0 else os.strerror(ctypes.get_errno()))
'
out=$(sup "$PYTHON3" -c "$CTYPES" "$WS/token" 2>/dev/null)
check "ctypes raw chmod of the denied file: refused ($out)" \
	[ "$out" = "Permission denied" -a "$(meta "$WS/token")" = "$before" ]
grep '"op":"chmod"' "$LOG" | grep '"via":"kernel"' | grep '"decision":"deny"' | grep -q "\"path\":\"$WS/token\""
check "the supervisor's refusal is in the log, via kernel" [ $? -eq 0 ]

# --- the workspace keeps working ------------------------------------------
out=$(sup "$PROBE" chmod "$WS/data.txt" 2>/dev/null); rc=$?
check "static chmod of a workspace file: performed ($out, mode $(stat -c %a "$WS/data.txt"))" \
	[ "$rc" -eq 0 -a "$(stat -c %a "$WS/data.txt")" = 600 ]
out=$(sup "$PROBE" utimes "$WS/data.txt" 2>/dev/null); rc=$?
check "static utimensat of a workspace file: performed ($out, mtime $(stat -c %Y "$WS/data.txt"))" \
	[ "$rc" -eq 0 -a "$(stat -c %Y "$WS/data.txt")" = 1 ]
out=$(sup "$PROBE" setxattr "$WS/data.txt" 2>/dev/null)
check "static setxattr of a workspace file: as without the floor ($out; outside: $xattr_ok)" \
	[ "$out" = "$xattr_ok" ]
out=$(sup "$PROBE" inotify "$WS/data.txt" 2>/dev/null); rc=$?
check "static inotify_add_watch on a workspace file: a watch ($out)" [ "$rc" -eq 0 ]
out=$(sup "$PROBE" chmod-empty "$WS/data.txt" 2>/dev/null); rc=$?
check "the AT_EMPTY_PATH way on a workspace file works ($out)" [ "$rc" -eq 0 ]
sup sh -c 'touch new.txt && cp -p data.txt copy.txt && chmod 640 copy.txt && touch -d @5 new.txt' 2>/dev/null
check "coreutils touch, cp -p, chmod in the workspace ($(meta "$WS/copy.txt"), $(stat -c %Y "$WS/new.txt"))" \
	[ "$(stat -c %a "$WS/copy.txt")" = 640 -a "$(stat -c %Y "$WS/new.txt")" = 5 ]
out=$(sup "$PYTHON3" -c 'import os; os.utime("data.txt", (7, 7)); os.chmod("data.txt", 0o644); print(os.stat("data.txt").st_mtime)' 2>/dev/null)
check "python3 os.utime and os.chmod in the workspace ($out)" [ "$out" = 7.0 ]
out=$(sup sh -c 'chmod 600 token' 2>&1); rc=$?
check "coreutils chmod of the denied file fails with a message (rc $rc)" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'Permission denied'"
# --- bind: a pathname UNIX socket is a new name -------------------------
NET="$WS/net_probe"
cp "$FG_TOP_BUILDDIR/tests/bin/net_probe" "$NET"
out=$(sup "$NET" unixbind "$WS/secrets/s.sock" 2>/dev/null); rc=$?
check "static bind of a UNIX socket in the denied directory: EACCES, no name made ($out)" \
	[ "$rc" -eq 3 -a ! -e "$WS/secrets/s.sock" ]
out=$(sup "$NET" unixbind "$WS/ok.sock" 2>/dev/null); rc=$?
check "in the workspace: bound, getsockname names what was asked ($out)" \
	[ "$rc" -eq 0 -a "$out" = "bound $WS/ok.sock" -a -S "$WS/ok.sock" ]
# a thread flips the name between a public and the denied directory (same
# length) while raw binds run: the supervisor binds its own copy, so no
# name can land in the denied directory after the check
BIND_RACE='
import ctypes, platform, socket, sys, threading
libc = ctypes.CDLL("libc.so.6", use_errno=True)
nr = {"x86_64": 49, "aarch64": 200}[platform.machine()]
ws, n = sys.argv[1], int(sys.argv[2])
good, bad = (ws + "/publics/").encode(), (ws + "/secrets/").encode()
class SUN(ctypes.Structure):
    _fields_ = [("family", ctypes.c_ushort), ("path", ctypes.c_char * 108)]
addr = SUN(socket.AF_UNIX)
base = ctypes.addressof(addr) + SUN.path.offset
stop = False
def flip():
    while not stop:
        ctypes.memmove(base, bad, len(bad))
        ctypes.memmove(base, good, len(good))
sys.setswitchinterval(1e-5)
t = threading.Thread(target=flip)
t.start()
ok = refused = 0
for i in range(n):
    name = good + b"s%d" % i
    addr.path = name
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    r = libc.syscall(nr, s.fileno(), ctypes.byref(addr), SUN.path.offset + len(name) + 1)
    ok += r == 0
    refused += r != 0 and ctypes.get_errno() == 13
    s.close()
stop = True
t.join()
print(ok, refused)
'
mkdir -p "$WS/publics"
out=$(sup "$PYTHON3" -c "$BIND_RACE" "$WS" 1500 2>/dev/null)
made=$(find "$WS/secrets" -type s | wc -l)
check "1500 raw binds raced by a flipping thread: some bound, none in the denied directory ($out, $made)" \
	sh -c "[ '$made' -eq 0 ] && [ \$(echo '$out' | cut -d' ' -f1) -gt 0 ]"
REL_BIND='
import os, socket, sys
os.chdir(sys.argv[1])
s = socket.socket(socket.AF_UNIX)
s.bind("rel.sock")
print(s.getsockname(), oct(os.stat("rel.sock").st_mode & 0o777))
'
out=$(cd "$WS/publics" && umask 027 && sup "$PYTHON3" -c "$REL_BIND" "$WS/publics" 2>/dev/null)
check "a relative bind: made in the caller's cwd, getsockname as asked, the caller's umask ($out)" \
	[ "$out" = "rel.sock 0o750" -a -S "$WS/publics/rel.sock" ]
out=$(fgrun --floor=masking --policy "$POL" -- "$PROBE" chmod "$WS/token" 2> "$TMP/err"); rc=$?
if grep -q "cannot enter a mount namespace" "$TMP/err"; then
	skip_check "masking: chmod of the denied file" "no user namespaces here"
else
	check "masking: a static chmod of the denied file changes nothing ($out)" \
		[ "$rc" -ne 0 -a "$(meta "$WS/token")" = "$before" ]
fi
finish
