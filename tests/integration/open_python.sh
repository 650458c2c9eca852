#!/bin/bash
# open_python.sh - the open family under a real CPython: allowed reads and
# writes work, secrets and outside paths raise PermissionError with the
# spec's stderr line, and the audit log verifies (and a flipped byte does not).
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
mkdir -p "$TMP/home/.ssh" "$TMP/sibling"
echo "secret key" > "$TMP/home/.ssh/id_rsa"
echo "neighbour" > "$TMP/sibling/data.txt"
echo "hello" > "$WS/in.txt"
cat > "$WS/fleetguard.ini" <<INI
[workspace]
root = $WS

[filesystem]
system = yes
write = \${root}
deny = $TMP/home/.ssh
INI

py() { fg "$WS/fleetguard.ini" "$PYTHON3" -c "$@" 2>"$TMP/err"; }

out=$(cd "$WS" && py 'print(open("in.txt").read().strip())')
check "read inside the workspace (relative path)" [ "$out" = hello ]

py "
with open('$WS/out.txt', 'w') as f: f.write('written')
with open('$WS/out.txt', 'a') as f: f.write('+more')
print(open('$WS/out.txt').read())" > "$TMP/out"
check "write and append inside the workspace" [ "$(cat "$TMP/out")" = "written+more" ]

py "
try:
    open('/etc/shadow')
except PermissionError as e:
    print(e)
" > "$TMP/out"
check "open('/etc/shadow') raises PermissionError" \
	grep -qx "\[Errno 13\] Permission denied: '/etc/shadow'" "$TMP/out"
check "stderr names the operation, path, reason and policy" \
	grep -q "^fleetguard: denied open /etc/shadow: .* (policy $WS/fleetguard.ini" "$TMP/err"

py "
try:
    open('$TMP/home/.ssh/id_rsa')
except PermissionError as e:
    print('denied')
" > "$TMP/out"
check "a secret under a deny tree is refused" [ "$(cat "$TMP/out")" = denied ]
check "the deny rule's line is named" grep -q "(policy $WS/fleetguard.ini:7)" "$TMP/err"

py "
try:
    open('$TMP/sibling/data.txt')
except PermissionError:
    print('denied')
" > "$TMP/out"
check "the workspace's sibling directory is refused" [ "$(cat "$TMP/out")" = denied ]

ln -s "$TMP/home/.ssh/id_rsa" "$WS/innocent"
py "
try:
    print(open('$WS/innocent').read())
except PermissionError:
    print('denied')
" > "$TMP/out"
check "a symlink in the workspace to a secret is refused" [ "$(cat "$TMP/out")" = denied ]

py "
import os
try:
    open('$WS/../sibling/new.txt', 'w')
except PermissionError:
    print('denied', os.path.exists('$TMP/sibling/new.txt'))
" > "$TMP/out"
check "creating a file outside through '..' is refused and nothing is created" \
	[ "$(cat "$TMP/out")" = "denied False" ]

log="$WS/.fleetguard/audit.log"
check "the audit log records the denial" grep -q '"path":"/etc/shadow".*"decision":"deny"' "$log"
check "the audit log verifies" "$FG_BIN/fleetguard-verify" "$log"

# Flip one byte inside the third record's path.
python3 - "$log" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, 'rb').read().split(b'\n')
i = lines[2].index(b'"op":"') + 6
lines[2] = lines[2][:i] + bytes([lines[2][i] ^ 1]) + lines[2][i + 1:]
open(p, 'wb').write(b'\n'.join(lines))
PY
"$FG_BIN/fleetguard-verify" "$log" > "$TMP/vout" 2>&1
rc=$?
diag "$(cat "$TMP/vout")"
check "a flipped byte makes verify exit 1 naming record 3" \
	sh -c "[ $rc -eq 1 ] && grep -q 'audit.log:3: seq 3: hash mismatch' '$TMP/vout'"
finish
