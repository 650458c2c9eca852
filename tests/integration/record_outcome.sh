#!/bin/bash
# record_outcome.sh - audit records carry what the call really returned: connect, bind, exec, and whose EACCES it was.
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

# Network calls are judged before they are made and recorded after, with
# their result; an exec is recorded before (the image ends there when it
# works) and, when it fails, once more with its errno.  Under Landlock an
# EACCES on a call the library allowed is named as the kernel's only when
# the permission bits would have let it through.

. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
plan 21
ll_setup
LOG="$WS/.fleetguard/audit.log"

# A listener on a free port, a second free port with nothing on it, and a
# port taken on the any address: "OPEN CLOSED BUSY", served until killed.
cat > "$TMP/ports.py" <<'PY'
import socket, sys, threading
o = socket.socket(); o.bind(("127.0.0.1", 0)); o.listen(16)
c = socket.socket(); c.bind(("127.0.0.1", 0))
b = socket.socket(); b.bind(("0.0.0.0", 0)); b.listen(1)
print(o.getsockname()[1], c.getsockname()[1], b.getsockname()[1], flush=True)
c.close()
def serve():
    while True:
        s, _ = o.accept(); s.close()
threading.Thread(target=serve, daemon=True).start()
sys.stdin.read()
PY
coproc SRV { "$PYTHON3" "$TMP/ports.py"; }
read -r OPEN CLOSED BUSY <&"${SRV[0]}"
trap 'kill $SRV_PID 2>/dev/null; rm -rf "$TMP"' EXIT
FREE=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("0.0.0.0", 0)); print(s.getsockname()[1])')

cat > "$POL" <<INI
[filesystem]
write = \${root}
kernel = off
[network]
allow = 127.0.0.1:$OPEN, 127.0.0.1:$CLOSED, 0.0.0.0:$BUSY, 0.0.0.0:$FREE
INI

# not_grep PATTERN FILE: PATTERN is not in FILE (which exists).
not_grep() { [ -f "$2" ] && ! grep -q -- "$1" "$2"; }

# rec OP KEY VALUE RESULT: the log has an allowed OP record for VALUE
# (its "addr" or "path") whose result is RESULT.
rec() {
	grep "\"op\":\"$1\",\"$2\":\"$3\"" "$LOG" |
		grep -q "\"decision\":\"allow\",\"rule\":\"[^\"]*\",\"result\":$4,"
}

# --- connect and bind ------------------------------------------------------
out=$(fg "$POL" "$PYTHON3" -c "
import errno, socket
try:
    socket.create_connection(('127.0.0.1', $CLOSED))
except ConnectionRefusedError:
    print('refused')
socket.create_connection(('127.0.0.1', $OPEN)).close()
s = socket.socket(); s.setblocking(False)
print(errno.errorcode[s.connect_ex(('127.0.0.1', $OPEN))])
" 2> "$TMP/err")
diag "$out" "$(cat "$TMP/err")"
check "python: a refused connect raises ConnectionRefusedError, a non-blocking one EINPROGRESS" \
	[ "$out" = "refused
EINPROGRESS" ]
check "the refused connect's record: allowed by the policy, result ECONNREFUSED" \
	rec connect addr "127.0.0.1:$CLOSED" '"ECONNREFUSED"'
check "the connect that worked: result 0" rec connect addr "127.0.0.1:$OPEN" 0
check "the non-blocking connect: result EINPROGRESS (under way, not done)" \
	rec connect addr "127.0.0.1:$OPEN" '"EINPROGRESS"'

out=$(fg "$POL" "$PYTHON3" -c "
import socket
s = socket.socket()
try:
    s.bind(('0.0.0.0', $BUSY))
except OSError as e:
    print(e.errno)
socket.socket().bind(('0.0.0.0', $FREE)); print('bound')
" 2> "$TMP/err")
diag "$out" "$(cat "$TMP/err")"
check "python: bind to a taken port raises EADDRINUSE (98), a free one binds" [ "$out" = "98
bound" ]
check "the failed bind's record: result EADDRINUSE" rec bind addr "0.0.0.0:$BUSY" '"EADDRINUSE"'
check "the bind that worked: result 0" rec bind addr "0.0.0.0:$FREE" 0

# a refusal is still recorded before any call, as a denial
out=$(fg "$POL" "$PYTHON3" -c "
import socket
try:
    socket.create_connection(('127.0.0.1', 1))
except PermissionError:
    print('denied')" 2> /dev/null)
check "a denied connect raises PermissionError" [ "$out" = denied ]
check "and is recorded as denied, EACCES" \
	grep -q '"op":"connect","addr":"127.0.0.1:1",.*"decision":"deny",.*"result":"EACCES"' "$LOG"

# --- exec ------------------------------------------------------------------
printf 'neither ELF nor #!\n' > "$WS/garbage"
chmod 755 "$WS/garbage"
out=$(fg "$POL" "$PYTHON3" -c "
import os, subprocess
try:
    subprocess.run(['$WS/garbage'])
except OSError as e:
    print('subprocess', e.errno)
try:
    os.posix_spawn('$WS/garbage', ['garbage'], os.environ)
except OSError as e:
    print('posix_spawn', e.errno)
" 2> "$TMP/err")
diag "$out" "$(cat "$TMP/err")"
check "python: exec of a file of no known format fails with ENOEXEC (8), as without the library" \
	[ "$out" = "subprocess 8
posix_spawn 8" ]
n0=$(grep -c "\"op\":\"exec\",\"path\":\"$WS/garbage\",.*\"result\":0," "$LOG")
n8=$(grep -c "\"op\":\"exec\",\"path\":\"$WS/garbage\",.*\"decision\":\"allow\",.*\"result\":\"ENOEXEC\"" "$LOG")
check "each exec is recorded before the call ($n0 records, result 0)" [ "$n0" -eq 2 ]
check "and once more after it failed, with ENOEXEC (execve and posix_spawn: $n8)" [ "$n8" -eq 2 ]
# coreutils: env execs through execvp; a missing program is not judged
out=$(fg "$POL" env "$WS/no-such-program" 2>&1); rc=$?
check "env of a missing program exits 127, as without the library ($rc)" [ "$rc" -eq 127 ]
"$FG_TOP_BUILDDIR/fleetguard-verify" "$LOG" > "$TMP/verify" 2>&1
check "the log with the second records verifies ($(head -1 "$TMP/verify"))" [ $? -eq 0 ]

# --- whose EACCES: the kernel's ruleset or the permission bits --------------
LL_ABI=$(landlock_abi)
if ! [ "$LL_ABI" -ge 1 ] 2>/dev/null; then
	for c in 1 2 3 4 5 6 7; do
		skip_check "Landlock attribution $c" "this kernel has no Landlock ($LL_ABI)"
	done
	finish
fi
ll_policy "$POL" on
printf '#!/bin/sh\necho ran\n' > "$WS/noexec.sh"
chmod 644 "$WS/noexec.sh"
out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "
import subprocess
try:
    subprocess.run(['$WS/noexec.sh'])
except PermissionError as e:
    print('denied', e.errno)" 2> "$TMP/err")
diag "$out" "$(cat "$TMP/err")"
check "under Landlock, exec of a file without x bits raises PermissionError (13)" \
	[ "$out" = "denied 13" ]
check "that EACCES is the permission bits': no line names the kernel" \
	not_grep "refused by the kernel" "$TMP/err"
check "its second record: allowed by the policy, result EACCES" \
	grep -q "\"op\":\"exec\",\"path\":\"$WS/noexec.sh\",.*\"decision\":\"allow\",.*\"result\":\"EACCES\"" "$LOG"

NOBODY=65534
if [ "$(id -u)" != 0 ]; then
	for c in 1 2 3 4; do skip_check "another user's file $c" "the tests do not run as root"; done
	finish
fi
# the same as an unprivileged user: a root file of mode 000 in a write
# tree, and a write tree itself (which the ruleset refuses to remove)
rm -rf "$WS/.fleetguard"
chmod 755 "$TMP"
mkdir -p "$WS/out" "$WS/empty" "$TMP/state-nobody"
cat > "$POL" <<INI
[filesystem]
write = \${root}/out, \${root}/empty
kernel = on
[audit]
log = $LOG
INI
chown -R $NOBODY "$WS" "$TMP/state-nobody"
echo secret > "$WS/out/locked"
chmod 000 "$WS/out/locked"
out=$(FG_RUN_WRAP="setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env XDG_STATE_HOME=$TMP/state-nobody" \
	fgrun --policy "$POL" -- "$PYTHON3" -c "
import os
for f in (lambda: open('$WS/out/locked'), lambda: os.rmdir('$WS/empty')):
    try:
        f()
    except PermissionError as e:
        print('denied', e.errno)" 2> "$TMP/err")
diag "$out" "$(cat "$TMP/err")"
check "uid $NOBODY: a mode-000 file of root's and a write tree itself both raise PermissionError" \
	[ "$out" = "denied 13
denied 13" ]
check "the file's EACCES is the permission bits': no line for it" \
	not_grep "denied open $WS/out/locked" "$TMP/err"
check "the tree's is the ruleset's: the line names the kernel" \
	grep -q "^fleetguard: denied rmdir $WS/empty: refused by the kernel (landlock)" "$TMP/err"
check "both records: allowed by the policy, result EACCES" \
	sh -c "grep -q '\"op\":\"open\",\"path\":\"$WS/out/locked\",.*\"decision\":\"allow\",.*\"result\":\"EACCES\"' '$LOG' &&
	       grep -q '\"op\":\"rmdir\",\"path\":\"$WS/empty\",.*\"decision\":\"allow\",.*\"result\":\"EACCES\"' '$LOG'"
finish
