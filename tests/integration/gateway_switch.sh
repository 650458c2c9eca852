#!/bin/sh
# gateway_switch.sh - a tree of another policy starts on the same audit log while the last tree's gateway lingers.
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

# Policy A sends an endpoint through the gateway; policy B has another
# [audit] max_size, so A's audit daemon cannot serve it.  After A's agent
# ends, its gateway lingers (10 s) with a connection to A's daemon.  That
# connection is a follower's: the daemon makes way for B at once and hangs
# the gateway up, which leaves (docs/SECURITY.md, "Switching policies
# on one log").  While an agent of A still runs, B is refused with a line
# that names the daemon and when it goes.

. "$FG_TOP_SRCDIR/tests/lib.sh"
. "$FG_TOP_SRCDIR/tests/integration/breaker_lib.sh"
. "$FG_TOP_SRCDIR/tests/integration/gateway_lib.sh"
plan 10
make_ws
# every gateway this test started (A's second one too) is stopped at exit
trap 'for f in "$TMP"/state/fleetguard-gw-*.ports; do [ -f "$f" ] && kill "$(sed -n "1s/^fleetguard-gateway 1 //p" "$f")" 2> /dev/null; done; rm -rf "$TMP"' EXIT
LOG="$TMP/audit.log"
mkdir -p "$TMP/state"
for ws in A B; do mkdir -p "$WS/$ws"; done
cat > "$TMP/A.ini" <<INI
[filesystem]
write = $WS/A
[network]
allow = 127.0.0.1:*
[breaker]
state_dir = $TMP/state
[endpoint llm]
address = 127.0.0.1:9
protocol = http
[audit]
log = $LOG
INI
cat > "$TMP/B.ini" <<INI
[filesystem]
write = $WS/B
[audit]
log = $LOG
max_size = 50M
INI
# daemon_of MAX: the pid of the audit daemon of $LOG run with --max-size MAX
daemon_of() { pgrep -f "^fg-auditd --log $LOG .*--max-size $1 " | head -1; }

# --- A's agent ends; its gateway lingers, connected to A's daemon -------------
fg "$TMP/A.ini" /bin/true 2> "$TMP/errA"
check "A's agent ran, and started A's gateway ($(cat "$TMP/errA"))" \
	wait_until 10 sh -c "[ -n \"\$(cat '$TMP'/state/fleetguard-gw-*.ports 2> /dev/null)\" ]"
GW=$(gw_pid)
DA=$(daemon_of 67108864)
check "the gateway ($GW) lingers, and A's daemon ($DA) with it" \
	sh -c "[ -n '$GW' ] && [ -n '$DA' ] && kill -0 $GW && kill -0 $DA"

# --- B starts at once: A's daemon makes way and lets the gateway go ----------
out=$(fg "$TMP/B.ini" /bin/echo switched 2> "$TMP/errB")
check "B's agent runs at once ($out; $(cat "$TMP/errB"))" [ "$out" = switched ]
check "its start record is in the log, under B's policy" \
	grep -q "\"op\":\"start\",\"policy\":\"$TMP/B.ini\"" "$LOG"
check "A's daemon ($DA) is gone" wait_until 10 sh -c "! kill -0 $DA 2> /dev/null"
check "the gateway ($GW) left" \
	wait_until 10 sh -c "! kill -0 $GW 2> /dev/null"
check "the gateway's log names the daemon that let it go" \
	gw_log_has "audit daemon of $LOG hung up \(it made way for another policy's\): leaving"
check "the log verifies across the switch" "$FG_TOP_BUILDDIR/fleetguard-verify" "$LOG"

# --- an agent of B still runs: A is refused, with what is in the way ---------
mkfifo "$WS/B/fifo"
fg "$TMP/B.ini" sh -c 'echo up > "$1"; read x < "$2"' sh "$WS/B/up" "$WS/B/fifo" &
B=$!
wait_until 20 test -s "$WS/B/up"
DB=$(daemon_of 52428800)
fg "$TMP/A.ini" sh -c 'echo ran > "$1"' sh "$WS/A/ran" 2> "$TMP/errA2"; rc=$?
echo done > "$WS/B/fifo"
wait $B
diag "$(cat "$TMP/errA2")"
check "A is refused while B's agent runs (exit $rc, 126), naming B's daemon ($DB) and when it goes" \
	grep -q "audit daemon at '$LOG.sock' (pid $DB) serves running agents .* once those agents have ended" \
	"$TMP/errA2"
check "and A's program never ran (the refusal came before it, not from a later record)" \
	sh -c "[ $rc -eq 126 ] && [ ! -e '$WS/A/ran' ]"
finish
