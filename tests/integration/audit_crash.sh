#!/bin/sh
# audit_crash.sh - writers SIGKILLed at random moments, 50 times: the log
# always verifies, at worst with a torn tail, and the next append leaves an
# intact chain (repairing the torn line, never cutting it).
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

W="$FG_TOP_BUILDDIR/tests/audit_writer"
V="$FG_TOP_BUILDDIR/fleetguard-verify"
make_ws
plan 4

runs=50 early=0 bad_after_kill=0 bad_after_append=0 torn=0 shrunk=0 repairs=0 wrong_repairs=0
inkill=0 forced=0
# rnd N: a random number in 0..N-1 (no $RANDOM in a POSIX shell)
rnd() { echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1 )); }
# get KEY: one value (a string or a number) of verify's one-line JSON
# verdict on stdin (sed, not a python start per call: 150 of them made
# the test take over a minute on a loaded machine)
get() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
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
	if [ $((i % 5)) -eq 0 ]; then
		"$W" -T $(($(rnd 90) + 1)) "$L"
		forced=$((forced + 1))
	fi
	out=$("$V" --json "$L")
	rc=$?
	# repairs already in the log: a writer of the group that outlived the
	# one killed mid-line (SIGKILL does not stop every thread at the same
	# instant) may have taken the dead owner's lock and repaired it
	had=$(printf '%s' "$out" | get repairs)
	inkill=$((inkill + had))
	was_torn=0
	if [ $rc -eq 1 ] && [ "$(printf '%s' "$out" | get status)" = "torn tail" ]; then
		torn=$((torn + 1)) was_torn=1
	elif [ $rc -ne 0 ]; then
		bad_after_kill=$((bad_after_kill + 1)); diag "run $i after kill: $out"
	fi
	before=$(size)
	"$W" -n 1 "$L" || bad_after_append=$((bad_after_append + 1))
	[ "$(size)" -gt "$before" ] || shrunk=$((shrunk + 1))
	if out=$("$V" --json "$L"); then
		new=$(($(printf '%s' "$out" | get repairs) - had))
		repairs=$((repairs + new))
		# exactly one new repair record for a torn tail, none otherwise
		if [ $new -ne $was_torn ]; then
			wrong_repairs=$((wrong_repairs + 1))
			diag "run $i: $new new repair records, torn tail: $was_torn"
		fi
	else
		bad_after_append=$((bad_after_append + 1)); diag "run $i after append: $out"
	fi
done
diag "$torn of $runs kills left a torn tail; $early came before the log existed;" \
	"$inkill repairs were made by writers of the killed group"
if [ $bad_after_kill -eq 0 ]; then ok "after each of $runs kills the log verified or had only a torn tail"
else fail "$bad_after_kill of $runs kills left a log with a fault"; fi
if [ $bad_after_append -eq 0 ]; then ok "after each kill the next append left an intact chain"
else fail "$bad_after_append of $runs appends after a kill left a fault"; fi
if [ $shrunk -eq 0 ]; then ok "the next append only ever added bytes"; else fail "the log did not grow $shrunk times"; fi
if [ "$repairs" -ge $forced ] && [ $wrong_repairs -eq 0 ]; then
	ok "$repairs repair records by the next append, one per torn tail"
else
	fail "repair records: $repairs, torn tails: $torn, runs with a wrong count: $wrong_repairs"
fi
finish
