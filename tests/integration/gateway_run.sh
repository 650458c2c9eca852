#!/bin/sh
# gateway_run.sh - fleetguard run starts the gateway outside the agent's reach and hands out its CA.
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
command -v openssl > /dev/null || skip_all "openssl command not installed"
# fleetguard run must load the library under test (and, in the sanitizer
# build, after the ASan runtime: fgrun puts it first)
fg_prove_run
plan 7
make_ws
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-subj /CN=localhost -days 1 -addext "subjectAltName=IP:127.0.0.1" 2> /dev/null ||
	{ echo "Bail out! openssl req failed"; exit 1; }
start_server --tls "$TMP/cert.pem" "$TMP/key.pem"
trap 'gw_stop; for p in $SRV_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
XDG_STATE_HOME="$TMP/xdg"
export XDG_STATE_HOME
mkdir -p "$TMP/state"
# the kernel's floor too where there is one: an exact port in [network]
cat > "$TMP/policy.ini" <<EOF
[filesystem]
read = $WS
write = $WS

[network]
allow = 127.0.0.1:$PORT

[breaker]
threshold = 3
state_dir = $TMP/state

[endpoint llm]
address = 127.0.0.1:$PORT
protocol = https
gateway = yes
ca_file = $TMP/cert.pem

[audit]
log = $TMP/audit.log
EOF
POLICY="$TMP/policy.ini"
URL="https://127.0.0.1:$PORT/v1/chat"
RUN="fgrun --policy $POLICY --"
requests=1      # python's below; node and curl each add one where they run

$RUN "$PYTHON3" -c '
import os, sys, urllib.request
r = urllib.request.urlopen(sys.argv[1], data=b"{}")
print(r.status, os.environ["SSL_CERT_FILE"] == os.environ["REQUESTS_CA_BUNDLE"] == os.environ["CURL_CA_BUNDLE"] == os.environ["NODE_EXTRA_CA_CERTS"])
' "$URL" > "$TMP/out" 2> "$TMP/err"
check "run: python https with no option trusts the gateway (the four variables, one bundle)" \
	sh -c "[ \"\$(cat '$TMP/out')\" = '200 True' ] || { cat '$TMP/err'; exit 1; }"
check "run: the bundle holds the system roots and the gateway CA" \
	sh -c "b=\$(ls '$TMP'/state/fleetguard-gw-*.bundle.pem) && grep -c 'BEGIN CERTIFICATE' \"\$b\" | awk '{exit !(\$1 > 10)}' &&
	       tail -n \$(wc -l < '$TMP/xdg/fleetguard/gateway-ca/ca.pem') \"\$b\" | cmp -s - '$TMP/xdg/fleetguard/gateway-ca/ca.pem'"
check "run: the gateway was started, and stays for the tree" test -n "$(gw_pid)"

$RUN "$PYTHON3" -c '
import sys
for f in sys.argv[1:]:
    try:
        open(f).read()
        print("read")
    except PermissionError:
        print("denied")
' "$TMP/xdg/fleetguard/gateway-ca/ca.key" "$(gw_ports)" > "$TMP/out" 2> "$TMP/err"
check "run: the agent cannot read the CA key nor the rendezvous files" \
	test "$(cat "$TMP/out" | tr '\n' ' ')" = "denied denied "

if command -v node > /dev/null; then
	$RUN node -e '
fetch(process.argv[1], { method: "POST", body: "{}" }).then((r) => console.log(r.status));
' "$URL" > "$TMP/node" 2> "$TMP/node.err"
	requests=$((requests + 1))
	check "run: node fetch trusts the gateway through NODE_EXTRA_CA_CERTS" sh -c "[ \"\$(cat '$TMP/node')\" = 200 ] || { sed 's/^/# /' '$TMP/node' | head -20; exit 1; }"
else
	skip_check "run: node fetch" "node not installed"
fi
if command -v curl > /dev/null && ! asan_breaks curl; then
	$RUN curl -sS -o /dev/null -w '%{http_code}' "$URL" -d '{}' > "$TMP/curl" 2> "$TMP/curl.err"
	requests=$((requests + 1))
	check "run: curl trusts the gateway through CURL_CA_BUNDLE" sh -c "[ \"\$(cat '$TMP/curl')\" = 200 ] || { sed 's/^/# /' '$TMP/curl'; exit 1; }"
else
	skip_check "run: curl" "curl absent or hangs under a preloaded ASan runtime"
fi
check "run: the requests are in the audit chain (one per client that ran)" \
	sh -c "[ \$(grep -c '\"op\":\"llm\"' '$TMP/audit.log') -ge $requests ] && '$FG_TOP_BUILDDIR/fleetguard-verify' '$TMP/audit.log' > /dev/null"
finish
