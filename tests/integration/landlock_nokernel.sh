#!/bin/bash
# landlock_nokernel.sh - a kernel without Landlock, made real with a seccomp
# filter that answers ENOSYS to the landlock system calls: kernel = auto
# runs with one notice, kernel = on refuses, in fleetguard run and in the
# constructor alike.
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
plan 8
ll_setup
ll_policy "$WS/on.ini" on

"$NO_LANDLOCK" "$PYTHON3" -c 'import ctypes; print(ctypes.CDLL(None).syscall(444, None, 0, 1))' > "$TMP/out" 2>&1
check "the seccomp wrapper hides Landlock ($(cat "$TMP/out"))" [ "$(cat "$TMP/out")" = -1 ]

FG_RUN_WRAP=$NO_LANDLOCK fg_prove_run
out=$(FG_RUN_WRAP=$NO_LANDLOCK fgrun --policy "$POL" -- /bin/sh -c 'echo ran' 2> "$TMP/err"); rc=$?
check "fleetguard run, kernel = auto: runs ($out, rc $rc)" sh -c "[ $rc -eq 0 ] && [ '$out' = ran ]"
check "fleetguard run, kernel = auto: one notice line" \
	sh -c "[ \$(grep -c 'landlock is not built into this kernel: kernel = auto goes on' '$TMP/err') -eq 1 ] && [ \$(wc -l < '$TMP/err') -eq 1 ]"

out=$(FG_RUN_WRAP=$NO_LANDLOCK fgrun --policy "$WS/on.ini" -- /bin/sh -c 'echo ran' 2> "$TMP/err"); rc=$?
check "fleetguard run, kernel = on: refuses with 126 before CMD runs" \
	sh -c "[ $rc -eq 126 ] && [ -z '$out' ] && grep -q 'refusing to run with \[filesystem\] kernel = on' '$TMP/err'"

"$NO_LANDLOCK" env LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/on.ini" "$PYTHON3" -c 'print("main ran")' > "$TMP/out" 2> "$TMP/err"; rc=$?
check "constructor, kernel = on: exit 126 before main" \
	sh -c "[ $rc -eq 126 ] && [ ! -s '$TMP/out' ] && grep -q 'refusing to start with \[filesystem\] kernel = on' '$TMP/err'"

"$NO_LANDLOCK" env LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$POL" "$PYTHON3" -c '
import subprocess
for i in range(3):
    subprocess.run(["/bin/sh", "-c", "true"], close_fds=False)
print("main ran")' > "$TMP/out" 2> "$TMP/err"; rc=$?
check "constructor, kernel = auto: runs, children too" sh -c "[ $rc -eq 0 ] && grep -q 'main ran' '$TMP/out'"
check "constructor, kernel = auto: the notice is printed once for the whole tree" \
	[ "$(grep -c 'landlock is not built into this kernel' "$TMP/err")" -eq 1 ]

"$NO_LANDLOCK" env LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$POL" "$PYTHON3" -c "open('$SECRET').read()" > /dev/null 2> "$TMP/err"; rc=$?
check "kernel = auto without Landlock: the library still refuses outside reads" \
	sh -c "[ $rc -ne 0 ] && grep -q 'fleetguard: denied open $SECRET' '$TMP/err'"
finish
