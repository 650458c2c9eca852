#!/bin/bash
# errno_calls.sh - the hooked path calls on awkward names give the same result and errno under the library (and under fleetguard run) as without it.
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

# The library judges a path after the kernel resolved it and then acts on
# what it opened, so every error a program can meet on the way (a missing
# component, a file used as a directory, a symbolic-link loop, a name too
# long, readlink of a file) must come out as the plain call gives it:
# coreutils and CPython tell EINVAL from ENOENT, ENOTDIR from EISDIR.
# tests/bin/errnos makes each case and prints each outcome; the policy
# allows its folder, so every line must be the same as without fleetguard.
. "$FG_TOP_SRCDIR/tests/lib.sh"
plan 5
make_ws
# (a copy in the workspace: under fleetguard run the program must be readable)
BIN="$WS/errnos"
cp "$FG_TOP_BUILDDIR/tests/bin/errnos" "$BIN"
cat > "$WS/all.ini" <<INI
[filesystem]
write = $WS

[audit]
log = $TMP/audit/audit.log
events = all
INI
sed 's/^events = all$/events = denied/' "$WS/all.ini" > "$WS/denied.ini"

"$BIN" "$WS/d" > "$TMP/plain" 2> "$TMP/err"
n=$(wc -l < "$TMP/plain")
check "the plain run made every case ($n outcomes)" sh -c "[ $n -ge 600 ] && grep -qx 'readlink(file): EINVAL' '$TMP/plain'"

# same OUT NAME: OUT holds exactly the plain outcomes
same() {
	if cmp -s "$TMP/plain" "$1"; then
		ok "$2"
	else
		fail "$2"
		diag "$(diff "$TMP/plain" "$1" | head -20)"
	fi
}
FLEETGUARD_QUIET=1 fg "$WS/all.ini" "$BIN" "$WS/d" > "$TMP/lib-all" 2>> "$TMP/err"
same "$TMP/lib-all" "under the library, events = all: the same outcomes"
FLEETGUARD_QUIET=1 fg "$WS/denied.ini" "$BIN" "$WS/d" > "$TMP/lib-denied" 2>> "$TMP/err"
same "$TMP/lib-denied" "under the library, events = denied: the same outcomes"
n=$(grep -c '"op":"readlink"' "$TMP/audit/audit.log")
# (readlink of "" reads a descriptor already held: not judged)
check "the calls were judged and recorded ($n readlink records)" [ "$n" -ge 15 ]

if ! [ "$(landlock_abi)" -ge 1 ] 2>/dev/null; then
	skip_check "under fleetguard run: the same outcomes" "this kernel has no Landlock"
else
	fg_prove_run
	FLEETGUARD_QUIET=1 fgrun --policy "$WS/all.ini" -- "$BIN" "$WS/d" > "$TMP/run" 2>> "$TMP/err"
	same "$TMP/run" "under fleetguard run (Landlock, the supervisor), events = all: the same outcomes"
fi
[ -s "$TMP/err" ] && diag "stderr:" "$(head -5 "$TMP/err")"
finish
