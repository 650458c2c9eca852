#!/bin/bash
# audit_ring_run.sh - under fleetguard run (whose seccomp floor has the
# supervisor perform the agent's sendmsg calls), a process that records
# hundreds of reads hands its ring to the audit daemon, every record lands,
# no call is refused for want of a record, and the log verifies.
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

# The bug this holds: the kernel names the sender of a message the
# supervisor performs as the supervisor, the daemon refused the ring for
# it and dropped the connection, and the records sent meanwhile were lost
# (or the next call failed with EIO under on_failure = deny).
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 1
plan 5
ll_setup
cd "$WS" || exit 1

STATS='
import os, sys
n = int(sys.argv[1])
for i in range(n):
    try:
        os.stat("ring-probe-%d-%d" % (os.getpid(), i))
    except FileNotFoundError:
        pass
print(os.getpid())
'
N=400
for round in 1 2 3; do
	fgrun --policy "$POL" -- "$PYTHON3" -c "$STATS" $N > "$TMP/pid.$round" 2> "$TMP/err.$round"
	echo $? > "$TMP/rc.$round"
done
bad=0; missing=""
for round in 1 2 3; do
	[ "$(cat "$TMP/rc.$round")" = 0 ] || bad=$((bad + 1))
done
check "three runs of $N stats each succeed ($bad failed: $(cat "$TMP"/err.* | head -c 300))" [ $bad = 0 ]
check "no call was refused for want of a record" sh -c "! grep -q 'cannot write' '$TMP'/err.*"

for round in 1 2 3; do
	pid=$(cat "$TMP/pid.$round")
	n=$(grep -c "ring-probe-$pid-" "$LOG")
	[ "$n" = $N ] || missing="$missing run $round: $n of $N;"
done
check "every stat of every run is in the log (${missing:-all there})" [ -z "$missing" ]
check "the records carry the agent's own pid" \
	sh -c "grep 'ring-probe-$(cat "$TMP/pid.1")-0\"' '$LOG' | grep -q '\"pid\":$(cat "$TMP/pid.1"),'"

"$VERIFY" "$LOG" > "$TMP/out" 2>&1; rc=$?
check "the audit log verifies ($(head -1 "$TMP/out"))" [ $rc -eq 0 ]
finish
