#!/bin/sh
# gateway_http.sh - plain-HTTP LLM calls of real clients go through fleetguard-gateway.
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
. "$FG_TOP_SRCDIR/tests/integration/breaker_lib.sh"
. "$FG_TOP_SRCDIR/tests/integration/gateway_lib.sh"
# an open period long enough for the checks made while open, on a loaded
# machine, and never doubled past it by a probe that meets the failing server
BK_OPEN=8 BK_MAX=8
export BK_OPEN BK_MAX
plan 26
make_ws
start_server
touch "$SRV/keepalive"
BK_EP_EXTRA="gateway = yes" write_policy http
trap 'gw_stop; for p in $SRV_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
URL="http://127.0.0.1:$PORT/v1/chat"

# while_open CMD...: CMD succeeds while the circuit is open.  The checks
# made while open need the open period (8 s from the third failure) not
# to have ended before they ran; on a loaded machine (load 20, 2 cores) a
# few python starts take longer.  When CMD fails and the period had
# ended by then (the server saw a probe, or the status no longer says
# open), its failure says nothing of the gateway: the circuit is opened
# again (fleetguard breaker open, audited) and CMD tried again, 3 times
# at most.  A failure while the circuit was open fails the check.
open_lapsed() {
	[ "$(requests)" -gt "$1" ] ||
		! "$FG_TOP_BUILDDIR/fleetguard" status --policy "$POLICY" | grep -Eq '^llm +[^ ]+ +open '
}
while_open() {
	local try=1 seen
	seen=$(requests)
	until "$@"; do
		open_lapsed "$seen" && [ $try -lt 3 ] || return 1
		diag "the open period had ended before the check ran: opened again (try $try)"
		"$FG_TOP_BUILDDIR/fleetguard" breaker open llm --policy "$POLICY" > /dev/null || return 1
		try=$((try + 1)) seen=$(requests)
	done
}

# --- the redirect is transparent ---------------------------------------------
client --count 1 "$URL"
check "urllib: 200 through the gateway" expect_outcomes "200"
check "the gateway was started on demand" test -n "$(gw_pid)"
check "the provider saw the gateway, not the agent (Host kept)" \
	sh -c "awk 'NR == 1 {exit !(\$6 == \"127.0.0.1:$PORT\")}' '$SRV/requests'"

# --- while open: 503 circuit_open, on a kept-alive connection too -----------
mode 503
client --lib http.client --keepalive --count 6 "$URL"
check "http.client kept-alive 503: three answers, then circuit_open" \
	expect_outcomes "503 503 503 503 503 503"
check "kept-alive: the server saw three, the rest were answered by the gateway" expect_requests 4
check "kept-alive: the refusals name the circuit" \
	sh -c "[ \$(grep -c ' circuit_open\$' '$TMP/out') -eq 3 ]"
client --count 2 "$URL"
check "urllib while open: circuit_open at once" \
	sh -c "[ \"\$(awk '{print \$1, \$3}' '$TMP/out' | sort -u)\" = '503 circuit_open' ]"
check "fleetguard status shows the gateway's counts" while_open \
	sh -c "'$FG_TOP_BUILDDIR/fleetguard' status --policy '$POLICY' | grep -Eq '^llm .* open +3 +0 +3 '"
check "the gateway's log has the transition" gw_log_has "circuit open for 127\.0\.0\.1:$PORT: threshold"

if command -v curl > /dev/null && ! asan_breaks curl; then
	curl_open() {
		fg "$POLICY" curl -sS -i "$URL" -d '{}' > "$TMP/curl" 2>&1 &&
			grep -q '^HTTP/1.1 503' "$TMP/curl" && grep -q '^Retry-After: [0-9]' "$TMP/curl" &&
			grep -q '"type":"circuit_open","endpoint":"llm"' "$TMP/curl"
	}
	check "curl while open: 503 with Retry-After and the JSON error" while_open curl_open
else
	skip_check "curl while open" "curl absent or hangs under a preloaded ASan runtime, without fleetguard too"
fi

# --- half-open probe, recovery --------------------------------------------------
mode 200
wait_open 9
client --lib http.client --keepalive --count 3 "$URL"
check "after the open period: the probe closes the circuit" expect_outcomes "200 200 200"
check "recovered: closed line" gw_log_has "circuit closed for 127\.0\.0\.1:$PORT: probe succeeded"

# --- streaming passes through, unbuffered --------------------------------------
mode stream:4
touch "$SRV/hold"
fg "$POLICY" "$PYTHON3" -c '
import http.client, os, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("POST", "/v1/chat", body=b"{}")
r = c.getresponse()
first = r.readline()
# the server holds the rest until the first event was seen here
os.unlink(sys.argv[2])
rest = r.read()
print(r.status, first.decode().strip(), rest.decode().count("data:"), rest.decode().strip().splitlines()[-1])
' "$PORT" "$SRV/hold" > "$TMP/stream" 2>&1
check "SSE: the first event arrives before the server sends the rest" \
	test "$(cat "$TMP/stream")" = "200 data: 0 4 data: [DONE]"

# --- upstream dying mid-stream ---------------------------------------------------
mode cut:2
fg "$POLICY" "$PYTHON3" -c '
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("POST", "/v1/chat", body=b"{}")
r = c.getresponse()
try:
    r.read()
    print("complete")
except http.client.IncompleteRead as e:
    print("cut", e.partial.decode().count("data:"))
' "$PORT" > "$TMP/cut" 2>&1
check "upstream reset mid-stream: the client sees the stream cut" test "$(cat "$TMP/cut")" = "cut 2"
mode 200
client --count 1 "$URL"
check "after a cut stream the gateway serves on" expect_outcomes "200"

# --- a client dying mid-request --------------------------------------------------
mode hang
client --timeout 1.5 --count 1 "$URL"
check "a client gives up on a hung provider" expect_outcomes "timeout"
mode 200
client --count 1 "$URL"
check "the gateway serves on, and recorded the abandoned request (499)" \
	sh -c "[ \"\$(awk '{print \$1}' '$TMP/out')\" = 200 ] && grep -q '\"status\":499' '$TMP/audit.log'"

# --- fallback ---------------------------------------------------------------------
spawn_server "$TMP/fb"
FB_PORT=$(cat "$TMP/fb/port")
gw_stop
BK_EP_EXTRA="gateway = yes" BK_FALLBACK="127.0.0.1:$FB_PORT" write_policy http
mode 503
client --count 5 "$URL"
check "fallback: three failures, then the fallback answers" expect_outcomes "503 503 503 200 200"
check "fallback: it saw two requests, Host its own" \
	sh -c "[ \$(wc -l < '$TMP/fb/requests') -eq 2 ] && awk '{exit !(\$6 == \"127.0.0.1:$FB_PORT\")}' '$TMP/fb/requests'"

# --- Node ------------------------------------------------------------------------
if command -v node > /dev/null; then
	gw_stop
	BK_EP_EXTRA="gateway = yes" write_policy http
	"$FG_TOP_BUILDDIR/fleetguard" breaker reset llm --policy "$POLICY" > /dev/null
	mode 200
	fg "$POLICY" node -e '
(async () => {
  const out = [];
  for (let i = 0; i < 6; i++) {
    if (i === 2) require("fs").writeFileSync(process.argv[2] + "/mode", "503\n");
    const r = await fetch(process.argv[1], { method: "POST", body: "{}" });
    const b = await r.json();
    out.push(r.status + (b.error ? ":" + b.error.type : ""));
  }
  console.log(out.join(" "));
})()' "$URL" "$SRV" > "$TMP/node" 2>&1
	check "node fetch (kept-alive): 200 200, three 503, then circuit_open" \
		test "$(cat "$TMP/node")" = "200 200 503 503 503 503:circuit_open"
else
	skip_check "node fetch" "node not installed"
fi

# --- bad input on the gateway's own port ---------------------------------------------
GP=$(gw_port)
"$PYTHON3" - "$GP" > "$TMP/bad" <<'PY'
import socket, sys
def ask(data):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    return out.split(b" ")[1].decode() if out.startswith(b"HTTP/1.1 ") else "none"
print(ask(b"GARBAGE\r\n\r\n"),
      ask(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n"),
      ask(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
      ask(b"GET / HTTP/2.0\r\n\r\n"))
PY
check "malformed, huge, ambiguous, HTTP/2 requests: 400 431 400 505" test "$(cat "$TMP/bad")" = "400 431 400 505"

# --- crash and restart -------------------------------------------------------------
mode 200
"$FG_TOP_BUILDDIR/fleetguard" breaker reset llm --policy "$POLICY" > /dev/null
old=$(gw_pid)
kill -9 "$old"
wait_until 10 sh -c "! kill -0 $old 2> /dev/null"
client --count 1 "$URL"
check "after a crash the next call starts a new gateway" \
	sh -c "[ \"\$(awk '{print \$1}' '$TMP/out')\" = 200 ] && [ -n \"$(gw_pid)\" ] && [ \"\$(sed -n '1s/^fleetguard-gateway 1 //p' \$(ls '$TMP'/state/fleetguard-gw-*.ports))\" != $old ]"

# --- credentials: the gateway holds the key -------------------------------------------
gw_stop
echo "sk-test-123" > "$TMP/key"
chmod 600 "$TMP/key"
BK_EP_EXTRA="gateway = yes
api_key_file = $TMP/key" write_policy http
"$FG_TOP_BUILDDIR/fleetguard" breaker reset llm --policy "$POLICY" > /dev/null
: > "$SRV/auth"
fg "$POLICY" "$PYTHON3" -c '
import sys, urllib.request
r = urllib.request.Request(sys.argv[1], data=b"{}", headers={"Authorization": "Bearer agent-has-none"})
print(urllib.request.urlopen(r).status)' "$URL" > "$TMP/out" 2>&1
check "api_key_file: the provider gets the key, not the agent's header" \
	test "$(cat "$TMP/out") $(cat "$SRV/auth")" = "200 authorization: Bearer sk-test-123"

# --- the audit chain ----------------------------------------------------------------
check "one llm record per request, in the chain" \
	sh -c "[ \$(grep -c '\"op\":\"llm\"' '$TMP/audit.log') -ge 20 ] && '$FG_TOP_BUILDDIR/fleetguard-verify' '$TMP/audit.log' > /dev/null"
check "records name the route: upstream, local and fallback" \
	sh -c "grep -q '\"route\":\"upstream\"' '$TMP/audit.log' && grep -q '\"route\":\"local\"' '$TMP/audit.log' && grep -q '\"route\":\"fallback\"' '$TMP/audit.log'"
check "no key in the audit log" sh -c "! grep -q 'sk-test-123' '$TMP/audit.log'"
finish
