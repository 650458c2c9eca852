#!/bin/sh
# gateway_https.sh - HTTPS calls of Python, asyncio, curl and Node go through the gateway's TLS.
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
command -v openssl > /dev/null || skip_all "openssl command not installed"
plan 15
make_ws
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-subj /CN=localhost -days 1 -addext "subjectAltName=IP:127.0.0.1" 2> /dev/null ||
	{ echo "Bail out! openssl req failed"; exit 1; }
start_server --tls "$TMP/cert.pem" "$TMP/key.pem"
touch "$SRV/keepalive"
trap 'gw_stop; for p in $SRV_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
XDG_STATE_HOME="$TMP/xdg"
export XDG_STATE_HOME
CA=$("$GW_BIN" --print-ca)
BK_EP_EXTRA="gateway = yes
ca_file = $TMP/cert.pem" write_policy https
URL="https://127.0.0.1:$PORT/v1/chat"

check "the CA is made at first use: key 0600 in a 0700 directory" \
	sh -c "[ \"\$(stat -c %a '$TMP/xdg/fleetguard/gateway-ca') \$(stat -c %a '$TMP/xdg/fleetguard/gateway-ca/ca.key')\" = '700 600' ]"

client --cafile "$CA" --count 1 "$URL"
check "urllib https: 200 through the gateway's TLS" expect_outcomes "200"
mode 503
client --lib http.client --keepalive --cafile "$CA" --count 5 "$URL"
check "http.client https kept-alive: three 503s, then circuit_open" expect_outcomes "503 503 503 503 503"
check "https: the server saw four (one 200, three 503)" expect_requests 4
check "https: the refusals name the circuit" sh -c "[ \$(grep -c ' circuit_open\$' '$TMP/out') -eq 2 ]"

# --- asyncio: the stack whose 5xx the library counted as successes ---------
mode 200
wait_open 9
fg "$POLICY" "$PYTHON3" - "$PORT" "$CA" "$SRV/mode" > "$TMP/aio" 2>&1 <<'PY'
import asyncio, ssl, sys

async def main():
    ctx = ssl.create_default_context(cafile=sys.argv[2])
    r, w = await asyncio.open_connection("127.0.0.1", int(sys.argv[1]), ssl=ctx)
    out = []
    for i in range(6):
        if i == 1:
            open(sys.argv[3], "w").write("503\n")
        w.write(b"POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        await w.drain()
        head = await r.readuntil(b"\r\n\r\n")
        n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
        body = await r.readexactly(n)
        out.append(head.split(b" ")[1].decode() + (":open" if b"circuit_open" in body else ""))
    print(" ".join(out))
    w.close()

asyncio.run(main())
PY
check "asyncio TLS, one kept-alive connection: 200, three 503s, then circuit_open" \
	test "$(cat "$TMP/aio")" = "200 503 503 503 503:open 503:open"

# --- curl: ALPN http/1.1 although it offers h2 ----------------------------------
mode 200
wait_open 9
if command -v curl > /dev/null && ! asan_breaks curl; then
	fg "$POLICY" curl -sS --cacert "$CA" -o /dev/null -w '%{http_code} %{http_version}' "$URL" -d '{}' > "$TMP/curl" 2>&1
	check "curl https: 200 over HTTP/1.1 (ALPN h1 only)" test "$(cat "$TMP/curl")" = "200 1.1"
else
	# the probe curl would have made: it closes the circuit and starts the
	# gateway again (it leaves after 10 s idle: wait_open slept 9, and an
	# ASan start takes longer), so the base-URL check below finds one
	client --cafile "$CA" --count 1 "$URL"
	skip_check "curl https" "curl absent or hangs under a preloaded ASan runtime"
fi

# --- the base-URL form: plain http to the gateway's port ---------------------------
if command -v curl > /dev/null; then
	curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(gw_port)/v1/chat" -d '{}' > "$TMP/base" 2>&1
	check "base URL http://127.0.0.1:PORT/v1: the gateway speaks TLS upstream" \
		sh -c "[ \"\$(cat '$TMP/base')\" = 200 ] || { sed 's/^/# /' '$TMP/base'; exit 1; }"
else
	skip_check "base URL" "curl not installed"
fi

# --- Node: built-in fetch and https, and a fleet ----------------------------------------
if command -v node > /dev/null; then
	fg "$POLICY" env NODE_EXTRA_CA_CERTS="$CA" node -e '
const https = require("https");
https.request(process.argv[1], { method: "POST" }, (r) => {
  let b = ""; r.on("data", (d) => b += d); r.on("end", async () => {
    const f = await fetch(process.argv[1], { method: "POST", body: "{}" });
    console.log(r.statusCode, f.status);
  });
}).end("{}");' "$URL" > "$TMP/node" 2>&1
	check "node https and fetch over TLS: 200 200" test "$(cat "$TMP/node")" = "200 200"

	mode 503
	before=$(requests)
	i=0
	while [ $i -lt 6 ]; do
		fg "$POLICY" env NODE_EXTRA_CA_CERTS="$CA" node -e '
(async () => {
  const out = [];
  for (let i = 0; i < 10; i++) {
    try {
      const r = await fetch(process.argv[1], { method: "POST", body: "{}" });
      const b = await r.text();
      out.push(b.includes("circuit_open") ? "open" : String(r.status));
    } catch (e) { out.push("error"); }
  }
  console.log(out.join(" "));
})()' "$URL" > "$TMP/fleet.$i" 2>&1 &
		i=$((i + 1))
	done
	wait_until 120 sh -c "[ \$(cat '$TMP'/fleet.* | wc -w) -eq 60 ]"
	got=$(($(requests) - before))
	check "fleet: 6 node processes x 10 calls reach the failing server at most 3 + 6 times" \
		sh -c "[ $got -ge 3 ] && [ $got -le 9 ] || { echo '# server saw $got'; exit 1; }"
	check "fleet: every other call was answered circuit_open" \
		sh -c "[ \$(cat '$TMP'/fleet.* | tr ' ' '\n' | grep -c '^open\$') -eq $((60 - got)) ]"
else
	for c in "node https and fetch" "fleet: at most threshold + in-flight" "fleet: circuit_open"; do
		skip_check "$c" "node not installed"
	done
fi

# --- a provider the gateway cannot verify -------------------------------------------
gw_stop
mode 200
BK_EP_EXTRA="gateway = yes" write_policy https
"$FG_TOP_BUILDDIR/fleetguard" breaker reset llm --policy "$POLICY" > /dev/null
client --cafile "$CA" --count 1 "$URL"
check "unverifiable provider: 502 upstream_failed, never a silent pass" \
	test "$(awk '{print $1, $3}' "$TMP/out")" = "502 upstream_failed"
check "the gateway says why, with a hint" gw_log_has "certificate of 127\.0\.0\.1:$PORT is not trusted: .*hint: ca_file"

# --- an HTTPS fallback, any host ------------------------------------------------------
gw_stop
spawn_server "$TMP/fb" --tls "$TMP/cert.pem" "$TMP/key.pem"
FB_PORT=$(cat "$TMP/fb/port")
BK_EP_EXTRA="gateway = yes
ca_file = $TMP/cert.pem
fallback = https://127.0.0.1:$FB_PORT/local" write_policy https
"$FG_TOP_BUILDDIR/fleetguard" breaker reset llm --policy "$POLICY" > /dev/null
mode 503
client --cafile "$CA" --count 5 "$URL"
check "https fallback URL: after three failures the fallback answers" expect_outcomes "503 503 503 200 200"
check "the fallback's path prefix is put before the request's" \
	sh -c "awk '{print \$3}' '$TMP/fb/requests' | sort -u | grep -qx /local/v1/chat"
finish
