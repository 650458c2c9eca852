#!/bin/bash
# sandbox_escapes.sh - ways out of the workspace that a path-string check
# would miss; each must be refused, and no outside byte may be read.
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
plan 10
make_ws
mkdir -p "$TMP/outside"
echo "SECRET-OUTSIDE" > "$TMP/outside/secret.txt"
echo "inside" > "$WS/inside.txt"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
INI
ln -s /etc "$WS/etc-link"
ln -s "$TMP/outside" "$WS/out-link"

run_py() { fg "$WS/fleetguard.ini" "$PYTHON3" -c "$1" 2>/dev/null; }
denied() {  # denied NAME PYTHON-EXPR
	local out
	out=$(run_py "
import os
try:
    $2
    print('ALLOWED')
except PermissionError:
    print('denied')
")
	check "$1" [ "$out" = denied ]
}

denied "symlink in the workspace to an outside tree" "open('$WS/out-link/secret.txt').read()"
denied "'..' chains out of the workspace" "open('$WS/a/../../outside/secret.txt'.replace('/a/..', '')).read()"
denied "openat(dirfd of the workspace, '../outside/secret.txt')" \
	"fd = os.open('$WS', os.O_RDONLY); os.open('../outside/secret.txt', os.O_RDONLY, dir_fd=fd)"
denied "/proc/self/root/... of an outside file" "open('/proc/self/root$TMP/outside/secret.txt').read()"
denied "chdir('/') then a relative open" "os.chdir('/'); open('${TMP#/}/outside/secret.txt').read()"
denied "a hard link to an outside file" "os.link('$TMP/outside/secret.txt', '$WS/hard')"
denied "rename of an outside file into the workspace" "os.rename('$TMP/outside/secret.txt', '$WS/moved')"

# A descriptor opened before the library loaded, reopened through /proc.
out=$(exec 7< "$TMP/outside/secret.txt"; fg "$WS/fleetguard.ini" "$PYTHON3" -c "
try:
    print(open('/proc/self/fd/7').read())
except PermissionError:
    print('denied')
" 2>/dev/null)
check "/proc/self/fd/N of an outside descriptor inherited before the shim loaded" [ "$out" = denied ]

# A thread flips a workspace symlink between an inside and an outside target
# while another opens it 20,000 times: never an outside byte.
cat > "$WS/race.py" <<PY
import os, threading
ws, outside = "$WS", "$TMP/outside/secret.txt"
link = ws + "/flip"
stop = False
def flipper():
    i = 0
    while not stop:
        tmp = ws + "/flip.tmp"
        try:
            os.symlink(outside if i % 2 else ws + "/inside.txt", tmp)
            os.replace(tmp, link)
        except OSError:
            pass
        i += 1
os.symlink(ws + "/inside.txt", link)
t = threading.Thread(target=flipper); t.start()
leaks = inside = denied = 0
for _ in range(20000):
    try:
        with open(link) as f:
            data = f.read()
        if "SECRET" in data: leaks += 1
        else: inside += 1
    except PermissionError:
        denied += 1
    except FileNotFoundError:
        pass
stop = True; t.join()
print(leaks, inside, denied)
PY
read -r leaks inside denied < <(FLEETGUARD_QUIET=1 fg "$WS/fleetguard.ini" "$PYTHON3" "$WS/race.py" 2>/dev/null)
diag "race: leaks=$leaks inside=$inside denied=$denied"
check "symlink race: 20,000 opens, no outside byte read (and both targets were seen)" \
	sh -c "[ '$leaks' = 0 ] && [ '${inside:-0}' -gt 0 ] && [ '${denied:-0}' -gt 0 ]"

check "the outside file is untouched" [ "$(cat "$TMP/outside/secret.txt")" = SECRET-OUTSIDE ]
finish
