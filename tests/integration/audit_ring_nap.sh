#!/bin/bash
# audit_ring_nap.sh - records a process pipelines into its ring reach the
# log while the process still runs, though it rings the daemon's doorbell
# only when the ring fills up: the daemon's nap picks them up, a burst
# larger than the ring loses nothing and keeps its order.
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

# A doorbell per record woke the daemon on the other CPU for every record
# of a sparse stream (python's start-up: about 50); docs/AUDIT.md, "The
# ring's doorbell".
. "$FG_TOP_SRCDIR/tests/lib.sh"
plan 7
audit_ws

# stats.py N GO [PAUSE M]: N stats of names of its own; with PAUSE, that
# many seconds of sleep, then M more; its pid on stdout; then it waits on
# the FIFO GO
cat > "$WS/work/stats.py" <<'PY'
import os, sys, time
def stats(n, kind):
    for i in range(n):
        try:
            os.stat(os.path.join(os.path.dirname(go), "%s-%d-%d" % (kind, os.getpid(), i)))
        except FileNotFoundError:
            pass
n, go = int(sys.argv[1]), sys.argv[2]
stats(n, "nap-probe")
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[3]))
    stats(int(sys.argv[4]), "nap-late")
print(os.getpid(), flush=True)
with open(go) as f:
    f.read()
PY

# count PID N [KIND]: the records of PID's stats in the log is N
count_is() { [ "$(grep -c "${3:-nap-probe}-$1-" "$LOG" 2> /dev/null)" = "$2" ]; }

# run_waiting N [PAUSE M]: starts the script, sets PID (the agent's) and
# BG (the job); the caller releases it with release
run_waiting() {
	rm -f "$WS/work/go" "$TMP/pid"
	mkfifo "$WS/work/go"
	fg "$WS/fleetguard.ini" "$PYTHON3" "$WS/work/stats.py" "$1" "$WS/work/go" "${@:2}" \
		> "$TMP/pid" 2> "$TMP/err" &
	BG=$!
	wait_until 30 test -s "$TMP/pid"
	PID=$(head -1 "$TMP/pid")
}
release() { timeout 30 sh -c "echo > '$WS/work/go'"; wait "$BG"; }

# 1. a sparse stream: 200 records, fewer than a doorbell's worth, then
# 2 s of nothing (the daemon's batch sync and any checkpoint are done, it
# has nothing left to wake up for but its nap), then 50 more
run_waiting 200 2 50
check "records sent after a quiet spell are in the log while their process still runs" \
	wait_until 20 count_is "$PID" 50 nap-late
check "... and so are the 200 before (pid ${PID:-none})" count_is "$PID" 200
check "... and it was still running then" kill -0 "$BG"
release

# 2. a burst of 3000 records (about 1 MB) through the 128 KiB ring
run_waiting 3000
check "a burst of 3000 stats is in the log while its process still runs" \
	wait_until 30 count_is "$PID" 3000
release
check "in the order they were made" "$PYTHON3" - "$LOG" "$PID" <<'PY'
import json, sys
pre = "nap-probe-%s-" % sys.argv[2]
seen = [int(json.loads(l)["path"].rsplit("-", 1)[1])
        for l in open(sys.argv[1]) if pre in l]
sys.exit(0 if seen == list(range(3000)) else "order: %r..." % seen[:20])
PY

# 3. where strace is: the doorbells of 400 records, one per record before
if command -v strace > /dev/null; then
	strace -f -qq -e trace=sendto -o "$TMP/st" -E LD_PRELOAD="$FG_PRELOAD" \
		-E FLEETGUARD_POLICY="$WS/fleetguard.ini" \
		"$PYTHON3" -c 'import os, sys
for i in range(400):
    try:
        os.stat(os.path.join(sys.argv[1], "bell-%d" % i))
    except FileNotFoundError:
        pass' "$WS/work"
	bells=$(grep -c 'sendto([0-9]*, "D", 1' "$TMP/st")
	check "400 pipelined records rang the doorbell $bells times (fewer than 40)" [ "$bells" -lt 40 ]
else
	skip_check "400 pipelined records ring the doorbell fewer than 40 times" "strace not installed"
fi

"$VERIFY" "$LOG" > "$TMP/out" 2>&1; rc=$?
check "the audit log verifies ($(head -1 "$TMP/out"))" [ $rc -eq 0 ]
finish
