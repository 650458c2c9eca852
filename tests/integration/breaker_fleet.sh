#!/bin/bash
# breaker_fleet.sh - the breaker is the fleet's, not the process's: six agent
# processes hammering a failing endpoint together cost it threshold requests
# (plus those already in flight) and then one probe per open period, in total.
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

# A prober killed with SIGKILL holds its lease only until it expires.
. "$FG_TOP_SRCDIR/tests/lib.sh"
. "$FG_TOP_SRCDIR/tests/integration/breaker_lib.sh"
plan 13
make_ws
start_server
URL="http://127.0.0.1:$PORT/v1/chat"
CLIENTS=6

# --- six processes, 503 for five seconds, open period 1 s -------------------
BK_THRESHOLD=3 BK_OPEN=1 BK_MAX=1 write_policy http
mode 503
for i in $(seq $CLIENTS); do
	fg "$POLICY" "$PYTHON3" "$CLIENT_PY" --seconds 5 --sleep 0.05 "$URL" \
		> "$TMP/out.$i" 2> "$TMP/err.$i" &
	pids="$pids $!"
done
wait_rc=0
for p in $pids; do wait "$p" || wait_rc=1; done
check "fleet: all six clients ran" [ $wait_rc -eq 0 ]
cat "$TMP"/err.* > "$TMP/err.all"

# Bursts of requests at the server, split where it heard nothing for 0.4 s.
"$PYTHON3" - "$SRV/requests" 3 $CLIENTS 1 > "$TMP/bursts" <<'PY'
import sys
times = sorted(float(l.split()[0]) for l in open(sys.argv[1]))
threshold, clients, probes = map(int, sys.argv[2:])
# A burst ends at a quiet 0.7 s: probes come at least open_seconds (1 s)
# apart, while a loaded machine may spread the first burst's calls.
bursts, cur = [], [times[0]]
for t in times[1:]:
    if t - cur[-1] > 0.7:
        bursts.append(cur)
        cur = []
    cur.append(t)
bursts.append(cur)
print("requests", len(times))
print("bursts", " ".join(str(len(b)) for b in bursts))
print("first_ok", int(threshold <= len(bursts[0]) <= threshold + clients - 1))
print("later_ok", int(all(len(b) <= probes for b in bursts[1:])))
print("cycles", len(bursts) - 1)
PY
diag "$(cat "$TMP/bursts")"
check "fleet: first cycle is threshold (+ calls already in flight)" grep -qx "first_ok 1" "$TMP/bursts"
check "fleet: every later open cycle lets exactly one probe through, fleet-wide" grep -qx "later_ok 1" "$TMP/bursts"
cycles=$(awk '$1 == "cycles" {print $2}' "$TMP/bursts")
check "fleet: probes came back every open period (>= 3 cycles in 5 s)" [ "$cycles" -ge 3 ]
opened=$(grep -c "circuit opened for" "$TMP/err.all")
check "fleet: the circuit opened once, by one process, for all" [ "$opened" -eq 1 ]
refusers=0
for i in $(seq $CLIENTS); do grep -q '^refused' "$TMP/out.$i" && refusers=$((refusers + 1)); done
check "fleet: every process failed fast, not only the ones that saw failures" [ $refusers -eq $CLIENTS ]
total=$(cat "$TMP"/out.* | wc -l)
diag "calls made by the fleet: $total, reaching the server: $(requests)"
check "fleet: most calls never reached the server" [ "$(requests)" -lt $((total / 5)) ]

# --- a prober killed while it holds the probe --------------------------------
# The lease is max(open_seconds, slow_first_byte_seconds): 5 s, so that the
# process started after the kill comes while it still holds on any machine.
BK_THRESHOLD=1 BK_OPEN=1 BK_MAX=1 BK_STATE="$TMP/state2" write_policy http \
	"slow_first_byte_seconds = 5"
mode 503
client --count 1 "$URL"
mode hang
sleep 1.3
before=$(requests)
fg "$POLICY" "$PYTHON3" "$CLIENT_PY" "$URL" > /dev/null 2> "$TMP/err.prober" &
prober=$!
for _ in $(seq 60); do [ "$(requests)" -gt "$before" ] && break; sleep 0.05; done
check "kill: the prober reached the hanging server" [ "$(requests)" -gt "$before" ]
kill -KILL $prober
wait $prober 2> /dev/null
mode 200
# one process polls from right after the kill until its call goes through
client --sleep 0.1 --seconds 30 --until 200 "$URL"
check "kill: right after, the dead prober's lease still holds" expect_outcomes_match "refused( refused)*( 200)?"
check "kill: after the lease, another process probes and closes" expect_outcomes_match "(refused )*200"
check "kill: says the lease expired" stderr_has "probe lease expired, probing$"

# --- min_processes: one misconfigured agent cannot cut off the fleet ----------
BK_THRESHOLD=2 BK_STATE="$TMP/state3" write_policy http "min_processes = 2"
mode 503
client --count 4 "$URL"
check "min_processes: one process failing alone does not open it" expect_outcomes "503 503 503 503"
client --count 2 "$URL"
check "min_processes: a second process failing too opens it" expect_outcomes "503 refused"
finish
