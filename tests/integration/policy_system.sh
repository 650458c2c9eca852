#!/bin/bash
# policy_system.sh - "system = yes" is complete: under each example policy,
# and under one that allows nothing but the system set and the workspace,
# CPython with json/ssl/sqlite3/urllib, git, cc, sh and node start and exit 0
# without a single denial; and the workspace's sibling stays unreadable.
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

[ -f "$FG_LIB" ] || skip_all "libfleetguard.so not built"
command -v git >/dev/null && command -v cc >/dev/null || skip_all "git or cc missing"

make_ws
mkdir -p "$TMP/sibling" "$TMP/scratch" "$WS/report"
echo "neighbour's data" > "$TMP/sibling/data.txt"
echo "task" > "$WS/task.txt"

printf '[filesystem]\nsystem = yes\n' > "$TMP/minimal.ini"
policies="$FG_TOP_SRCDIR/examples/policies/coding-agent.ini
$FG_TOP_SRCDIR/examples/policies/readonly-analysis.ini
$TMP/minimal.ini"
plan $(( 3 * 8 ))

# run CMD...: in the workspace, with a plain PATH and TMPDIR outside the
# sibling; stdout and stderr to $TMP/out and $TMP/err
run() {
	(cd "$WS" && PATH=/usr/bin:/bin TMPDIR="$TMP/scratch" HOME="$TMP/home" \
		fg "$WS/fleetguard.ini" "$@") >"$TMP/out" 2>"$TMP/err"
}

# starts NAME CMD...: exit 0 and no denial on stderr
starts() {
	local name=$1 rc; shift
	run "$@"; rc=$?
	if [ "$rc" -eq 0 ] && ! grep -q '^fleetguard: denied' "$TMP/err"; then
		ok "$name"
	else
		fail "$name"
		diag "exit $rc" "$(head -5 "$TMP/err")"
	fi
}

while read -r pol; do
	base=$(basename "$pol" .ini)
	# a workspace per policy, as each would have in use: in a shared one,
	# the previous policy's audit daemon (its log is ${root}/.fleetguard)
	# stays in use by that tree's lingering gateway for up to 10 s, and an
	# agent whose policy chains with another max_size is refused meanwhile
	# (docs/TESTING.md, Sanitizers)
	WS="$TMP/ws-$base"
	mkdir -p "$WS/report"
	echo "task" > "$WS/task.txt"
	cp "$pol" "$WS/fleetguard.ini"
	if "$FG_BIN/fleetguard" check "$WS/fleetguard.ini" >/dev/null 2>"$TMP/err"; then
		ok "$base: fleetguard check accepts it"
	else
		fail "$base: fleetguard check accepts it"; diag "$(cat "$TMP/err")"
	fi
	starts "$base: python3 imports json, ssl, sqlite3, urllib.request" \
		/usr/bin/python3 -c 'import json, ssl, sqlite3, urllib.request'
	starts "$base: git --version" git --version
	starts "$base: cc --version" cc --version
	starts "$base: sh -c ls" sh -c ls
	# node reads its cgroup's limits under /sys/fs/cgroup at every start
	if [ -x /usr/bin/node ]; then
		starts "$base: node -e 0" /usr/bin/node -e 0
	else
		skip_check "$base: node -e 0" "/usr/bin/node not installed (Debian package nodejs)"
	fi
	grep -qx task.txt "$TMP/out" || diag "ls did not list the workspace"

	run cat "$TMP/sibling/data.txt"; rc=$?
	if [ "$rc" -eq 1 ] && grep -q "^fleetguard: denied open $TMP/sibling/data.txt" "$TMP/err" &&
	   ! grep -q neighbour "$TMP/out"; then
		ok "$base: cat of the sibling's file is denied"
	else
		fail "$base: cat of the sibling's file is denied"; diag "exit $rc" "$(cat "$TMP/err")"
	fi
	run /usr/bin/python3 -c "
try:
    open('$TMP/sibling/data.txt').read()
except PermissionError:
    raise SystemExit(3)
"; rc=$?
	check "$base: python3 gets PermissionError on the sibling" [ "$rc" -eq 3 ]
done <<<"$policies"
finish
