#!/bin/sh
# gateway_auto.sh - gateway = auto: on for http, on for https under run, off for bare https in library-only mode.
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
plan 13
make_ws
fg_prove_run
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-subj /CN=localhost -days 1 -addext "subjectAltName=IP:127.0.0.1" 2> /dev/null ||
	{ echo "Bail out! openssl req failed"; exit 1; }
start_server
HTTP_PORT=$PORT
spawn_server "$TMP/tls" --tls "$TMP/cert.pem" "$TMP/key.pem" > /dev/null
TLS_PORT=$(cat "$TMP/tls/port")
trap 'gw_stop; for p in $SRV_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
XDG_STATE_HOME="$TMP/xdg"
export XDG_STATE_HOME
CA=$("$GW_BIN" --print-ca)
FGT="$FG_TOP_BUILDDIR/fleetguard"

# policy PROTO PORT [ENDPOINT LINES...]: $TMP/policy.ini with one endpoint
# and no gateway line unless given; the gateway of the last one is stopped.
policy() {
	local proto=$1 port=$2
	shift 2
	gw_stop
	PORT=$port BK_EP_EXTRA=$(printf '%s\n' "$@") write_policy "$proto"
	"$FGT" breaker reset llm --policy "$POLICY" > /dev/null 2>&1
}
llm_records() { audit_count '"op":"llm"'; }
# ran_through_gateway BEFORE: the gateway runs, and wrote a record since
ran_through_gateway() { [ -n "$(gw_pid)" ] && [ "$(llm_records)" -gt "$1" ]; }
# went_direct BEFORE: no gateway, no record since
went_direct() { [ -z "$(gw_pid)" ] && [ "$(llm_records)" -eq "$1" ]; }

# --- fleetguard check shows the decision -------------------------------------------
policy https "$TLS_PORT"
"$FGT" check "$POLICY" > "$TMP/check" 2>&1
check "check: https, auto: off in library-only mode, on under run" \
	grep -qx 'gateway = auto   ; library-only: off, under fleetguard run: on' "$TMP/check"
"$FGT" check --json "$POLICY" > "$TMP/check.json" 2>&1
check "check --json: the mode and both decisions" \
	"$PYTHON3" -c 'import json, sys; g = json.load(open(sys.argv[1]))["endpoints"][0]["gateway"]; sys.exit(g != {"mode": "auto", "library": False, "run": True})' "$TMP/check.json"

# --- library-only, https, auto: the library judges, the client talks to the provider --
n=$(llm_records)
client --cafile "$TMP/cert.pem" --count 1 "https://127.0.0.1:$TLS_PORT/v1/chat"
check "library-only https (auto): 200 from the provider itself, verified by its own cert" expect_outcomes "200"
check "library-only https (auto): no gateway started, no llm record" went_direct "$n"

# --- library-only, https, auto with a key only the gateway uses: on --------------------
policy https "$TLS_PORT" "ca_file = $TMP/cert.pem"
n=$(llm_records)
client --cafile "$CA" --count 1 "https://127.0.0.1:$TLS_PORT/v1/chat"
check "library-only https with ca_file (auto): 200 through the gateway's TLS" expect_outcomes "200"
check "library-only https with ca_file: the gateway ran and recorded it" ran_through_gateway "$n"

# --- under run, https, auto: on (the agent trusts the gateway's CA through run) --------
policy https "$TLS_PORT"
n=$(llm_records)
fgrun --policy "$POLICY" -- "$PYTHON3" "$CLIENT_PY" --count 1 "https://127.0.0.1:$TLS_PORT/v1/chat" \
	> "$TMP/out" 2> "$TMP/err"
# no ca_file: the gateway cannot verify this self-signed provider, and says
# so in a 502 that reached the agent over the gateway's own TLS
check "under run https (auto): the gateway answers (502: it cannot verify the test provider)" \
	expect_outcomes "502"
check "under run https (auto): the gateway ran and recorded the request" \
	sh -c "[ -n \"\$(ls '$TMP'/state/fleetguard-gw-*.ports 2> /dev/null)\" ] &&
	       [ \$(grep -c '\"op\":\"llm\".*\"status\":502' '$TMP/audit.log') -ge 1 ] && [ \$(grep -c '\"op\":\"llm\"' '$TMP/audit.log') -gt $n ]"

# --- http, auto: on in library-only mode ---------------------------------------------------
policy http "$HTTP_PORT"
n=$(llm_records)
client --count 1 "http://127.0.0.1:$HTTP_PORT/v1/chat"
check "library-only http (auto): 200" expect_outcomes "200"
check "library-only http (auto): through the gateway" ran_through_gateway "$n"

# --- http, gateway = no: off ----------------------------------------------------------------
policy http "$HTTP_PORT" "gateway = no"
n=$(llm_records)
client --count 1 "http://127.0.0.1:$HTTP_PORT/v1/chat"
check "http with gateway = no: 200 straight from the provider" expect_outcomes "200"
check "http with gateway = no: no gateway, no llm record" went_direct "$n"
check "gateway = no with a key the gateway needs is an error naming the key" \
	sh -c "printf '[endpoint x]\naddress = a.example:443\ngateway = no\nfallback_model = m\n' > '$TMP/bad.ini' &&
	       ! '$FGT' check '$TMP/bad.ini' > /dev/null 2> '$TMP/bad.err' &&
	       grep -q 'bad.ini:4: fallback_model is used by the gateway: remove gateway = no' '$TMP/bad.err'"
finish
