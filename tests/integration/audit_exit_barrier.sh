#!/bin/bash
# audit_exit_barrier.sh - a process's children send their exit records without waiting, and the records of every child are in the log when the tree's first process has ended (exit or _exit).
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

# A process whose parent is a process of its tree sends its exit record
# without waiting for it; the first process of the tree (whose parent,
# here this script, is not of the tree) waits at its end for a barrier
# over the whole log, and that holds whether it ends with exit() (Python)
# or with _exit() (dash, which writes no exit record at all).  So a
# reader that waited for the tree finds every child's records, as before
# (docs/AUDIT.md).  Each case runs three times: a missing drain would
# show as a short count in one of them.
. "$FG_TOP_SRCDIR/tests/lib.sh"
plan 8
audit_ws
fg_prove_run

# n_of OP AGENT: the records of op OP written by images named AGENT.
n_of() { grep '"op":"'"$1"'"' "$LOG" | grep -c '"agent":"'"$2"'"'; }

# runs CMD...: runs it three times, each time counting the true children's
# exit records right after it ended; prints the three counts.
runs() {
	local out="" before after
	for k in 1 2 3; do
		before=$(n_of exit true)
		"$@"
		after=$(n_of exit true)
		out="$out $((after - before))"
	done
	echo $out
}

FG_LOOP='i=0; while [ $i -lt 30 ]; do /bin/true; i=$((i+1)); done'
BG_LOOP='i=0; while [ $i -lt 30 ]; do /bin/true & i=$((i+1)); done; wait'
out=$(runs fg "$WS/fleetguard.ini" /bin/sh -c "$FG_LOOP")
check "dash (ends with _exit), 30 children one after the other: every exit record is in ($out)" \
	[ "$out" = "30 30 30" ]
out=$(runs fg "$WS/fleetguard.ini" /bin/sh -c "$BG_LOOP")
check "dash, 30 children at once (fork, not vfork): every exit record is in ($out)" \
	[ "$out" = "30 30 30" ]
out=$(runs fg "$WS/fleetguard.ini" "$PYTHON3" -c \
	'import subprocess
for _ in range(20): subprocess.run(["/bin/true"])
ps = [subprocess.Popen(["/bin/true"]) for _ in range(10)]
for p in ps: p.wait()')
check "Python (ends with exit()), 30 children: every exit record is in ($out)" \
	[ "$out" = "30 30 30" ]
last=$(tail -1 "$LOG")
check "... and Python's own exit record is the last record (its barrier came first)" \
	grep -q '"op":"exit".*' <<<"$last"
check "... of Python itself" grep -q '"exe":"[^"]*python' <<<"$last"
out=$(runs fgrun --policy "$WS/fleetguard.ini" -- /bin/sh -c "$BG_LOOP")
check "under fleetguard run, 30 children at once: every exit record is in ($out)" \
	[ "$out" = "30 30 30" ]
# a waiter named in a hint is believed for nothing but the wait: a child
# that is not that process's does wait, and its records are in too
out=$(FLEETGUARD_AUDIT_FD=987:0:1 runs fg "$WS/fleetguard.ini" /bin/sh -c "$FG_LOOP")
check "a forged hint with a waiter: every exit record is in ($out)" [ "$out" = "30 30 30" ]
check "the log is intact" "$VERIFY" "$LOG"
