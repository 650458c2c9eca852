#!/bin/bash
# landlock_audit_makeway.sh - the first process of a tree sends its
# "landlock" record behind its hello to the audit daemon, before the hello's
# answer is read; when a lingering daemon with other settings refuses that
# hello and makes way, the record went with the refused connection and is
# sent again to the daemon started in its place: each launch's record is in
# the log exactly once, library only and under fleetguard run, and the log
# verifies across the daemons.
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
need_landlock 3
plan 7
ll_setup
cd "$WS" || exit 1
export XDG_STATE_HOME="$TMP/state"

# the same log, three settings: each launch finds the last one's daemon
# lingering, idle, with another max_size
for m in 1 2 3; do
	ll_policy "$WS/p$m.ini" auto
	echo "max_size = ${m}M" >> "$WS/p$m.ini"
done
landlocks() { grep -c '"op":"landlock"' "$LOG"; }
# the daemon serving the log with max_size = $1 MiB (it lingers a while)
daemon_with() { pgrep -f -- "fg-auditd --log $LOG .*--max-size $(($1 * 1048576))( |\$)" >/dev/null; }

pid1=$(fg "$WS/p1.ini" "$PYTHON3" -c 'import os; print(os.getpid())')
check "the first launch ran" [ -n "$pid1" ]
check "its landlock record is in the log once" \
	[ "$(grep -c "\"pid\":$pid1,.*\"op\":\"landlock\"" "$LOG")" = 1 ]

pid2=$(fg "$WS/p2.ini" "$PYTHON3" -c 'import os; print(os.getpid())')
check "library only: a daemon with max_size = 2M took the first one's place" \
	[ -n "$pid2" ] && daemon_with 2
check "the refused hello's landlock record was sent again: once in the log" \
	[ "$(grep -c "\"pid\":$pid2,.*\"op\":\"landlock\"" "$LOG")" = 1 ]

n=$(landlocks)
ran_with_3() { [ "$1" = ran ] && daemon_with 3 && ! daemon_with 2; }
out=$(fgrun --policy "$WS/p3.ini" -- "$PYTHON3" -c 'print("ran")' 2>"$TMP/run.err")
check "fleetguard run: the launch ran with a third daemon ($(head -c 300 "$TMP/run.err"))" \
	ran_with_3 "$out"
check "and its one landlock record is in the log (was $n)" [ "$(landlocks)" = $((n + 1)) ]

wait_until 20 sh -c "! ss -xl 2>/dev/null | grep -qF '$LOG.sock'" ||
	sleep 3     # no ss(8): the daemons linger briefly
check "the log verifies across the three daemons" \
	"$FG_BIN/fleetguard-verify" --witness /dev/null "$LOG"
finish
