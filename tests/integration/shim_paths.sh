#!/bin/bash
# shim_paths.sh - path forms the kernel answers in its own way are answered
# the same under the library: a trailing '/' on a missing or plain file,
# and paths deeper than the kernel can name (built with chdir).
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
plan 7
make_ws
mkdir "$TMP/ro"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
read = $TMP/ro
INI

# Each line: what the kernel answered, errno names or "ok".
cat > "$WS/slash.py" <<'PY'
import errno, os, sys
os.chdir(sys.argv[1])
os.mkdir("dir"); open("file", "w").close()
def t(f):
    try:
        f(); return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
print("create dir/missing/", t(lambda: os.close(os.open("dir/missing/", os.O_WRONLY | os.O_CREAT, 0o644))),
      os.path.lexists("dir/missing"))
print("open file/", t(lambda: os.close(os.open("file/", os.O_RDONLY))))
print("stat file/", t(lambda: os.stat("file/")))
print("mkdir dir/new/", t(lambda: os.mkdir("dir/new/")))
PY
mkdir "$TMP/plain" "$WS/s"
"$PYTHON3" "$WS/slash.py" "$TMP/plain" > "$TMP/want"
fg "$WS/fleetguard.ini" "$PYTHON3" "$WS/slash.py" "$WS/s" > "$TMP/got" 2> "$TMP/err"
diag "$(cat "$TMP/got" "$TMP/err")"
check "open('dir/missing/', O_CREAT) fails with EISDIR and creates nothing, as without the library" \
	sh -c "grep -qx 'create dir/missing/ EISDIR False' '$TMP/got' && grep -qx 'create dir/missing/ EISDIR False' '$TMP/want'"
check "open and stat of 'file/' fail with ENOTDIR, mkdir 'dir/new/' works, as without the library" \
	cmp -s "$TMP/want" "$TMP/got"

# 24 levels of 200 bytes: over 4 KB below the starting directory, which
# the kernel can no longer name (getcwd and /proc/self/fd answer ENAMETOOLONG).
cat > "$WS/deep.py" <<'PY'
import os, sys
os.chdir(sys.argv[1])
name = "d" * 200
for _ in range(24):
    os.mkdir(name); os.chdir(name)
try:
    os.mkdir("x")
    fd = os.open("x/f", os.O_WRONLY | os.O_CREAT, 0o644); os.close(fd)
    os.stat("x/f"); os.rename("x/f", "x/g"); os.unlink("x/g"); os.rmdir("x")
    print("ok")
except OSError as e:
    print(type(e).__name__, e.errno)
PY
mkdir "$WS/deep"
out=$("$PYTHON3" "$WS/deep.py" "$TMP/plain")
check "without the library: mkdir, create, stat, rename, unlink, rmdir 4.8 KB deep work" [ "$out" = ok ]
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" "$WS/deep.py" "$WS/deep" 2> "$TMP/err")
diag "$(cut -c1-200 "$TMP/err")"
check "under the library: the same calls work in the workspace" [ "$out" = ok ]
# deep in a read-only tree the same mkdir is refused: the tree still decides
chmod -R a+rwx "$TMP/ro"
"$PYTHON3" - "$TMP/ro" <<'PY'
import os, sys
os.chdir(sys.argv[1])
for _ in range(24):
    os.mkdir("d" * 200); os.chdir("d" * 200)
PY
cat > "$WS/deepro.py" <<'PY'
import os, sys
os.chdir(sys.argv[1])
for _ in range(24):
    os.chdir("d" * 200)
try:
    os.mkdir("x"); print("created")
except OSError as e:
    print(type(e).__name__, e.errno)
PY
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" "$WS/deepro.py" "$TMP/ro" 2> "$TMP/err")
diag "$(sed "s/d\{200\}/D/g" "$TMP/err")"
check "deep in a read-only tree: mkdir raises PermissionError" [ "$out" = "PermissionError 13" ]
check "the denial line shows the path's head and tail (ancestor, ..., name), the reason and the rule" \
	grep -q "^fleetguard: denied mkdir $TMP/ro/[d/]*\[\.\.\.\][d/]*\.\.\./x: read-only tree (policy $WS/fleetguard.ini:4)$" "$TMP/err"
check "its record has the whole judged path and says deny" \
	grep -q "\"op\":\"mkdir\",\"path\":\"$TMP/ro/d[d/]*/\.\.\./x\".*\"decision\":\"deny\"" "$WS/.fleetguard/audit.log"
finish
