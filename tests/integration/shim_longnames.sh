#!/bin/bash
# shim_longnames.sh - names of 4096 bytes or more, which the kernel refuses
# by their length alone, get its ENAMETOOLONG under the library too, from
# every path family: no denial, no crash.
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
plan 4
make_ws
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
INI

# One line per (name, call): the errno name the call ended with, or "ok".
# The names are longer than the shim's own buffers (PATH_MAX, and twice
# that for a relative name joined to the working directory), absolute and
# relative, with and without '..'.
cat > "$WS/long.py" <<'PY'
import errno, os, subprocess, sys
os.chdir(sys.argv[1])
open("short", "w").close()
names = {
    "abs4097": "/" + "a" * 4096,
    "rel4096": "a/" * 2048,
    "rel10000": "b" * 10000,
    "abs10005": "/tmp/" + "c/" * 5000,
    "dotdot9010": "../" * 3000 + "etc/passwd",
}
def access(p):
    if not os.access(p, os.R_OK):
        raise OSError(errno.ENOENT, "access")
ops = {
    "open-read": lambda p: os.close(os.open(p, os.O_RDONLY)),
    "open-creat": lambda p: os.close(os.open(p, os.O_WRONLY | os.O_CREAT, 0o644)),
    "mkdir": lambda p: os.mkdir(p),
    "stat": lambda p: os.stat(p),
    "lstat": lambda p: os.lstat(p),
    "unlink": lambda p: os.unlink(p),
    "rmdir": lambda p: os.rmdir(p),
    "rename-from": lambda p: os.rename(p, "short2"),
    "rename-to": lambda p: os.rename("short", p),
    "link-to": lambda p: os.link("short", p),
    "symlink-at": lambda p: os.symlink("short", p),
    "chmod": lambda p: os.chmod(p, 0o600),
    "chown": lambda p: os.chown(p, os.getuid(), os.getgid()),
    "truncate": lambda p: os.truncate(p, 0),
    "readlink": lambda p: os.readlink(p),
    "listdir": lambda p: os.listdir(p),
    "utime": lambda p: os.utime(p),
    "exec": lambda p: subprocess.run([p]),
}
for nn, p in names.items():
    for on, f in ops.items():
        try:
            f(p)
            r = "ok"
        except OSError as e:
            r = errno.errorcode.get(e.errno, str(e.errno))
        print(nn, on, r)
PY
mkdir "$TMP/plain"
"$PYTHON3" "$WS/long.py" "$TMP/plain" > "$TMP/want" 2>&1
fg "$WS/fleetguard.ini" "$PYTHON3" "$WS/long.py" "$WS" > "$TMP/got" 2> "$TMP/err"
rc=$?
diag "$(diff "$TMP/want" "$TMP/got" | head -20)" "$(cut -c1-200 "$TMP/err" | head -5)"
check "without the library every call ends in ENAMETOOLONG" \
	sh -c "[ \$(grep -c ' ENAMETOOLONG\$' '$TMP/want') -eq 90 ] && [ \$(wc -l < '$TMP/want') -eq 90 ]"
check "under the library the program runs to its end (exit 0)" [ "$rc" -eq 0 ]
check "under the library every call ends as it does without it" cmp -s "$TMP/want" "$TMP/got"
check "and nothing is reported as a denial" [ ! -s "$TMP/err" ]
finish
