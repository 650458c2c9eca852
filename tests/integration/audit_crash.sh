#!/bin/sh
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


# audit_crash.sh - writers SIGKILLed at random moments, 50 times: the log
# always verifies, at worst with a torn tail, and the next append leaves an
# intact chain (repairing the torn line, never cutting it).

. "$FG_TOP_SRCDIR/tests/lib.sh"

W="$FG_TOP_BUILDDIR/tests/audit_writer"
V="$FG_TOP_BUILDDIR/fleetguard-verify"
make_ws
plan 4

runs=50 early=0 bad_after_kill=0 bad_after_append=0 torn=0 shrunk=0 repairs=0
# rnd N: a random number in 0..N-1 (no $RANDOM in a POSIX shell)
rnd() { echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1 )); }
# get KEY: one value of the JSON verdict on stdin.
get() { "$PYTHON3" -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
# the total size of the log's files
size() { cat "$TMP/k"/audit.log* 2>/dev/null | wc -c; }
i=0
while [ $i -lt $runs ]; do
	i=$((i + 1))
	rm -rf "$TMP/k"
	L="$TMP/k/audit.log"
	# its own process group, so one kill reaches the forked writers too;
	# small segments, so some kills land in a rotation
	setsid "$W" -p 2 -t 2 -n 0 -s never -m 262144 "$L" &
	pid=$!
	sleep "$(printf '0.%03d' $(($(rnd 100) + 10)))"
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	while kill -0 -- "-$pid" 2>/dev/null; do sleep 0.01; done
	# every fifth run also leaves a line torn part way, as a kill inside
	# write() of a large record would
	if ! ls "$L" "$L".* > /dev/null 2>&1; then
		# killed (under load) before it created any log file: nothing to
		# check (a kill inside a rotation leaves segments, checked below)
		early=$((early + 1))
		continue
	fi
	[ $((i % 5)) -eq 0 ] && "$W" -T $(($(rnd 90) + 1)) "$L"
	out=$("$V" --json "$L")
	rc=$?
	if [ $rc -eq 1 ] && [ "$(printf '%s' "$out" | get status)" = "torn tail" ]; then
		torn=$((torn + 1))
	elif [ $rc -ne 0 ]; then
		bad_after_kill=$((bad_after_kill + 1)); diag "run $i after kill: $out"
	fi
	before=$(size)
	"$W" -n 1 "$L" || bad_after_append=$((bad_after_append + 1))
	[ "$(size)" -gt "$before" ] || shrunk=$((shrunk + 1))
	if out=$("$V" --json "$L"); then
		repairs=$((repairs + $(printf '%s' "$out" | get repairs)))
	else
		bad_after_append=$((bad_after_append + 1)); diag "run $i after append: $out"
	fi
done
diag "$torn of $runs kills left a torn tail; $early came before the log existed"
if [ $bad_after_kill -eq 0 ]; then ok "after each of $runs kills the log verified or had only a torn tail"
else fail "$bad_after_kill of $runs kills left a log with a fault"; fi
if [ $bad_after_append -eq 0 ]; then ok "after each kill the next append left an intact chain"
else fail "$bad_after_append of $runs appends after a kill left a fault"; fi
if [ $shrunk -eq 0 ]; then ok "the next append only ever added bytes"; else fail "the log did not grow $shrunk times"; fi
if [ "$repairs" -ge $(((runs - early) / 5)) ] && [ "$repairs" -eq "$torn" ]; then
	ok "$repairs repair records, one per torn tail"
else
	fail "repair records: $repairs, torn tails: $torn"
fi
finish
