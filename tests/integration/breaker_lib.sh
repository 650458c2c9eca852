# breaker_lib.sh - a loopback LLM server and a policy for the breaker tests.
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

# Source after tests/lib.sh. Each test has its own state_dir, server and port,
# so runs in parallel do not meet.

SRV_PY="$FG_TOP_SRCDIR/tests/integration/llm_server.py"
CLIENT_PY="$FG_TOP_SRCDIR/tests/integration/llm_client.py"

SRV_PIDS=

# spawn_server DIR [--tls CERT KEY]: a server in DIR; prints its port.
spawn_server() {
	local dir=$1; shift
	mkdir -p "$dir"
	echo 200 > "$dir/mode"
	"$PYTHON3" "$SRV_PY" "$dir" "$@" 2> "$dir/log" &
	SRV_PIDS="$SRV_PIDS $!"
	trap 'for p in $SRV_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
	# (60 s: python may start slowly on a loaded machine)
	wait_until 60 test -s "$dir/port" ||
		{ echo "Bail out! test server did not start"; cat "$dir/log"; exit 1; }
}

# start_server [--tls CERT KEY]: sets SRV (its directory) and PORT.
start_server() {
	SRV="$TMP/srv"
	spawn_server "$SRV" "$@"
	PORT=$(cat "$SRV/port")
}

# mode MODE: how the server answers from now on (see llm_server.py).  The
# file is replaced whole, so the server never reads it half written; and
# since the server closes or reopens its listener on its own time, wait
# (up to 30 s) until it has done so for "refuse" and back.
mode() {
	echo "$1" > "$SRV/mode.tmp" && mv -f "$SRV/mode.tmp" "$SRV/mode"
	if [ "$1" = refuse ]; then
		wait_until 30 test -e "$SRV/refusing"
	else
		wait_until 30 test ! -e "$SRV/refusing"
	fi || { echo "Bail out! the test server did not switch to mode $1"; exit 1; }
}

# requests: how many requests the server has seen.
requests() { if [ -f "$SRV/requests" ]; then wc -l < "$SRV/requests"; else echo 0; fi; }

# request_time N: when the server saw its Nth request (monotonic seconds).
request_time() { sed -n "${1}p" "$SRV/requests" | awk '{print $1}'; }

# expect_gap N M SECONDS: the server saw its Mth request at least SECONDS
# after its Nth.  The server stamps requests as they arrive, so on a loaded
# machine this only grows: a lower bound on the time the breaker kept every
# call away holds however slowly the test runs.
expect_gap() {
	local t1 t2
	t1=$(request_time "$1") t2=$(request_time "$2")
	[ -n "$t1" ] && [ -n "$t2" ] &&
		awk -v a="$t1" -v b="$t2" -v s="$3" 'BEGIN {exit !(b - a >= s)}' ||
		{ diag "request $2 came at '$t2', request $1 at '$t1': want $3 s or more between"; return 1; }
}

# write_policy PROTOCOL [extra [breaker] lines...]: $TMP/policy.ini for the
# endpoint llm = 127.0.0.1:$PORT.  BK_THRESHOLD (3), BK_OPEN (2), BK_MAX (8),
# BK_PROBES (1) and BK_STATE ($TMP/state) change the [breaker] defaults;
# BK_FALLBACK sets the endpoint's fallback; BK_EP_EXTRA gives the lines that end the
# endpoint's section (unset: "gateway = no", the library's own judgement).
write_policy() {
	local proto=$1; shift
	local state=${BK_STATE:-$TMP/state}
	mkdir -p "$state"
	{
		printf '[filesystem]\nmode = off\n\n[network]\nallow = 127.0.0.1:*\n\n'
		printf '[breaker]\nthreshold = %s\nopen_seconds = %s\nmax_open_seconds = %s\n' \
			"${BK_THRESHOLD:-3}" "${BK_OPEN:-2}" "${BK_MAX:-8}"
		printf 'probes = %s\nstate_dir = %s\n' "${BK_PROBES:-1}" "$state"
		for l in "$@"; do printf '%s\n' "$l"; done
		printf '\n[endpoint llm]\naddress = 127.0.0.1:%s\nprotocol = %s\n' "$PORT" "$proto"
		[ -z "$BK_FALLBACK" ] || printf 'fallback = %s\n' "$BK_FALLBACK"
		# these scripts test the library's own judgement: gateway = auto would
		# send an http endpoint through fleetguard-gateway (gateway_*.sh)
		printf '%s\n' "${BK_EP_EXTRA-gateway = no}"
		printf '\n[audit]\nlog = %s\n' "$TMP/audit.log"
	} > "$TMP/policy.ini"
	POLICY="$TMP/policy.ini"
}

# client ARGS...: run llm_client.py under the library; stdout to $TMP/out,
# stderr to $TMP/err.
client() {
	fg "$POLICY" "$PYTHON3" "$CLIENT_PY" "$@" > "$TMP/out" 2> "$TMP/err"
}

# outcomes: the outcome words of the last client run, space separated.
outcomes() { awk '{printf "%s%s", sep, $1; sep=" "}' "$TMP/out"; }

# expect_outcomes WANT: the last run's outcomes are exactly WANT.
expect_outcomes() {
	local got
	got=$(outcomes)
	[ "$got" = "$1" ] || { diag "outcomes: want '$1', got '$got'" "stderr:" "$(cat "$TMP/err")"; return 1; }
}

# expect_outcomes_match ERE: the last run's outcomes match ERE, whole.
expect_outcomes_match() {
	local got
	got=$(outcomes)
	printf '%s\n' "$got" | grep -Eqx "$1" ||
		{ diag "outcomes: want /$1/, got '$got'" "stderr:" "$(cat "$TMP/err")"; return 1; }
}

# expect_requests N: the server has seen exactly N requests.
expect_requests() {
	local got
	got=$(requests)
	[ "$got" -eq "$1" ] || { diag "server saw $got requests, want $1"; return 1; }
}

# stderr_has REGEX: the last run's stderr has a matching line.
stderr_has() {
	grep -Eq "$1" "$TMP/err" || { diag "stderr lacks /$1/:" "$(cat "$TMP/err")"; return 1; }
}

# wait_open: sleep until the breaker would let a probe through (open_seconds
# plus the largest jitter, plus scheduling slack).
wait_open() { sleep "${1:-2.4}"; }
