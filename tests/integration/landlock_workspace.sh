#!/bin/bash
# landlock_workspace.sh - under fleetguard run, ordinary work in the
# workspace keeps working (create, rewrite, rename across directories, link,
# truncate, remove) and python3, sh, coreutils, git and cc still run.
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
plan 8
ll_setup
mkdir -p "$WS/tmp"
echo keep > "$WS/old.txt"
export HOME="$WS" TMPDIR="$WS/tmp" GIT_CONFIG_NOSYSTEM=1
cd "$WS" || exit 1

out=$(fgrun --policy "$POL" -- "$PYTHON3" - 2>&1 <<'EOF'
import os
open("a.txt", "w").write("1")
open("a.txt", "w").write("22")          # rewrite (O_TRUNC) a file made in this run
open("a.txt", "a").write("3")
os.makedirs("d/e")
os.rename("a.txt", "d/e/b.txt")         # across directories
os.link("d/e/b.txt", "d/c.txt")
os.symlink("c.txt", "d/s")
os.mkfifo("d/f")
os.truncate("d/c.txt", 1)
os.truncate("old.txt", 0)
assert open("d/s").read() == "2"
for p in ("d/c.txt", "d/s", "d/f", "d/e/b.txt"):
    os.unlink(p)
os.rmdir("d/e"); os.rmdir("d")
os.rename("old.txt", "renamed.txt"); os.unlink("renamed.txt")
print("python ok")
EOF
); rc=$?
check "python: create, rewrite, rename, link, truncate, remove ($out)" \
	sh -c "[ $rc -eq 0 ] && [ '$out' = 'python ok' ]"

out=$(fgrun --policy "$POL" -- /bin/sh -c '
	set -e
	mkdir -p c/d; printf "b\na\n" > c/d/x; sort c/d/x > c/y; cp c/y c/z; mv c/z c/d/w
	wc -l < c/d/w; ls c/d | tr "\n" " "; cat c/y | head -1; sed -i s/a/q/ c/y; grep -c q c/y
	rm -r c; echo sh ok' 2>&1); rc=$?
check "sh and coreutils ($(echo $out))" sh -c "[ $rc -eq 0 ] && echo '$out' | grep -q 'sh ok'"

fgrun --policy "$POL" -- /bin/sh -c 'git init -q repo && cd repo && echo hi > f &&
	git add f && git -c user.name=t -c user.email=t@example.com commit -qm first &&
	git log --oneline | wc -l' > "$TMP/out" 2>&1; rc=$?
check "git init, add, commit, log ($(tr '\n' ' ' < "$TMP/out"))" sh -c "[ $rc -eq 0 ] && [ \"\$(tail -1 '$TMP/out')\" = 1 ]"

printf '#include <stdio.h>\nint main(void) { puts("hello from cc"); return 0; }\n' > hello.c
out=$(fgrun --policy "$POL" -- /bin/sh -c 'cc -o hello hello.c && ./hello' 2>&1); rc=$?
check "cc compiles and the program runs ($out)" sh -c "[ $rc -eq 0 ] && [ '$out' = 'hello from cc' ]"

# close_fds=False: with close_fds=True the library's exec record fails
# (EIO) on main as well, without Landlock: reported to the lead.
out=$(fgrun --policy "$POL" -- "$PYTHON3" -c '
import subprocess, sys
print(subprocess.run(["/bin/sh", "-c", "echo child; exit 5"], capture_output=True, text=True, close_fds=False).stdout.strip())
' 2>&1); rc=$?
check "python spawns sh ($out)" sh -c "[ $rc -eq 0 ] && [ '$out' = child ]"

grep -c '"op":"landlock"' "$LOG" > "$TMP/n"
check "one landlock record per fleetguard run: children do not stack layers ($(cat "$TMP/n") for 5 runs)" \
	[ "$(cat "$TMP/n")" -eq 5 ]

fgrun --policy "$POL" -- /bin/sh -c "cat '$SECRET'" > "$TMP/out" 2>&1; rc=$?
check "outside the workspace stays refused (rc $rc)" sh -c "[ $rc -ne 0 ] && ! grep -q 'top secret' '$TMP/out'"

"$VERIFY" "$LOG" > "$TMP/out" 2>&1; rc=$?
check "the audit log verifies ($(head -1 "$TMP/out"))" [ $rc -eq 0 ]
finish
