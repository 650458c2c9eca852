#!/bin/sh
# gateway_model.sh - the fallback gets the body with fallback_model as its "model", length fixed up.
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
# the circuit is opened by hand and must stay open through every check
BK_OPEN=600 BK_MAX=600
export BK_OPEN BK_MAX
plan 14
make_ws
start_server
touch "$SRV/keepalive"
spawn_server "$TMP/fb" > /dev/null
FB="$TMP/fb"
FB_PORT=$(cat "$FB/port")
touch "$FB/keepalive"
trap 'gw_stop; for p in $SRV_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
# no gateway line: gateway = auto, on for an http endpoint
BK_FALLBACK="http://127.0.0.1:$FB_PORT/v1" BK_EP_EXTRA="fallback_model = llama3.2:1b" write_policy http
URL="http://127.0.0.1:$PORT/v1/chat/completions"
FGT="$FG_TOP_BUILDDIR/fleetguard"
"$FGT" breaker open llm --policy "$POLICY" > /dev/null 2>&1 ||
	{ echo "Bail out! fleetguard breaker open failed"; exit 1; }

# last_body: the fallback's last request body line ("length|chunked N BODY").
last_body() { tail -n 1 "$FB/bodies"; }
nbodies() { if [ -f "$FB/bodies" ]; then wc -l < "$FB/bodies"; else echo 0; fi; }

# --- urllib: one request -------------------------------------------------------
fg "$POLICY" "$PYTHON3" -c '
import json, sys, urllib.request
m = [{"role": "user", "content": "hi \"model\": \"gpt-4o\""}]
b = json.dumps({"model": "gpt-4o-mini", "messages": m}).encode()
want = json.dumps({"model": "llama3.2:1b", "messages": m})
open(sys.argv[2], "w").write("length %d %s\n" % (len(want), want))
r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b, headers={"Content-Type": "application/json"}))
print(r.status)' "$URL" "$TMP/want" > "$TMP/out" 2> "$TMP/err"
check "urllib while open: 200 from the fallback" sh -c "[ \"\$(cat '$TMP/out')\" = 200 ] || { cat '$TMP/err'; exit 1; }"
check "the fallback got the model rewritten, the length fixed up" \
	sh -c "tail -n 1 '$FB/bodies' | cmp -s - '$TMP/want' && awk 'END {exit !(\$3 == \"/v1/chat/completions\")}' '$FB/requests' ||
	       { tail -n 1 '$FB/bodies'; cat '$TMP/want'; exit 1; }"
check "the provider saw nothing" expect_requests 0

# --- http.client: three requests on one kept-alive connection --------------------
fg "$POLICY" "$PYTHON3" -c '
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
out = []
for m in ("a", "a-much-longer-model-name-than-the-fallback-one", "x"):
    c.request("POST", "/v1/chat/completions", body=json.dumps({"stream": False, "model": m}))
    r = c.getresponse()
    r.read()
    out.append(str(r.status))
print(" ".join(out))' "$PORT" > "$TMP/out" 2> "$TMP/err"
check "kept-alive: three answers on one connection (each length right)" \
	sh -c "[ \"\$(cat '$TMP/out')\" = '200 200 200' ] || { cat '$TMP/err'; exit 1; }"
check "kept-alive: each body rewritten, its length what it holds" \
	sh -c "[ \"\$(tail -n 3 '$FB/bodies' | sort -u)\" = 'length 41 {\"stream\": false, \"model\": \"llama3.2:1b\"}' ] &&
	       [ \$(awk '{print \$5}' '$FB/requests' | tail -n 3 | sort -u | wc -l) -eq 1 ]"

# --- curl: a 2 MiB body, sent after the gateway's 100 Continue -----------------
if command -v curl > /dev/null && ! asan_breaks curl; then
	"$PYTHON3" -c '
import json
print(json.dumps({"messages": [{"role": "user", "content": "x" * (2 << 20)}], "model": "gpt-4o"}), end="")' > "$TMP/big.json"
	n0=$(nbodies)
	fg "$POLICY" curl -sS -v --max-time 30 -H 'Content-Type: application/json' --data-binary "@$TMP/big.json" \
		-o /dev/null -w '%{http_code}\n' "$URL" > "$TMP/curl" 2> "$TMP/curl.err"
	check "curl, 2 MiB with Expect: 100-continue: the gateway answers 100, then the fallback 200" \
		sh -c "grep -q '^< HTTP/1.1 100 Continue' '$TMP/curl.err' && [ \"\$(cat '$TMP/curl')\" = 200 ]"
	check "curl: the whole body arrived rewritten" \
		sh -c "[ \$(cat '$FB/bodies' | wc -l) -eq $((n0 + 1)) ] &&
		       tail -n 1 '$FB/bodies' | awk '{exit !(\$1 == \"length\" && \$2 == $(wc -c < "$TMP/big.json") + 5)}' &&
		       tail -n 1 '$FB/bodies' | grep -q '\"model\": \"llama3.2:1b\"}\$'"
else
	skip_check "curl 100-continue" "curl not usable here"
	skip_check "curl: rewritten body" "curl not usable here"
fi

# --- what passes unchanged: chunked, over 8 MiB, not JSON --------------------------
fg "$POLICY" "$PYTHON3" -c '
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
def chunks():
    yield b"{\"model\": "
    yield b"\"gpt-4o\"}"
c.request("POST", "/v1/chat/completions", body=chunks(), encode_chunked=True)
r = c.getresponse(); r.read()
big = json.dumps({"model": "gpt-4o", "pad": "y" * (9 << 20)}).encode()
c.request("POST", "/v1/chat/completions", body=big)
r2 = c.getresponse(); r2.read()
c.request("POST", "/v1/chat/completions", body=b"model=gpt-4o")
r3 = c.getresponse(); r3.read()
print(r.status, r2.status, r3.status, len(big))' "$PORT" > "$TMP/out" 2> "$TMP/err"
check "chunked, 9 MiB and form bodies: 200 200 200" \
	sh -c "awk '{exit !(\$1 \$2 \$3 == \"200200200\")}' '$TMP/out' || { cat '$TMP/err'; exit 1; }"
big=$(awk '{print $4}' "$TMP/out")
check "a chunked body passes unchanged" \
	sh -c "tail -n 3 '$FB/bodies' | head -n 1 | grep -qx 'chunked 19 {\"model\": \"gpt-4o\"}'"
check "a body over 8 MiB passes unchanged, whole" \
	sh -c "tail -n 2 '$FB/bodies' | head -n 1 | grep -q '^length $big {\"model\": \"gpt-4o\", \"pad\": \"yyy'"
check "a body that is not JSON passes unchanged" sh -c "tail -n 1 '$FB/bodies' | grep -qx 'length 12 model=gpt-4o'"

# --- the audit record -----------------------------------------------------------------
check "every rewrite is in its llm record: model_rewrite and the model asked for" \
	sh -c "[ \$(grep -c '\"route\":\"fallback\".*\"model_rewrite\":\"llama3.2:1b\",\"model_was\":\"gpt-4o-mini\"' '$TMP/audit.log') -eq 1 ] &&
	       [ \$(grep -c '\"model_rewrite\":\"llama3.2:1b\"' '$TMP/audit.log') -eq $(command -v curl > /dev/null && ! asan_breaks curl && echo 5 || echo 4) ] &&
	       [ \$(grep '\"route\":\"fallback\"' '$TMP/audit.log' | grep -vc model_rewrite) -eq 3 ]"

# --- closed: the provider gets the agent's model --------------------------------------
"$FGT" breaker reset llm --policy "$POLICY" > /dev/null 2>&1
# (python3 where curl is absent, or hangs under a preloaded ASan runtime)
{ command -v curl > /dev/null && ! asan_breaks curl &&
	fg "$POLICY" curl -sS -o /dev/null -w '%{http_code}' "$URL" -d '{"model":"gpt-4o-mini"}' > "$TMP/out" 2>&1; } ||
	fg "$POLICY" "$PYTHON3" -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], data=b"{\"model\":\"gpt-4o-mini\"}").status, end="")' "$URL" > "$TMP/out" 2>&1
check "circuit closed: the provider gets the body as the agent sent it" \
	sh -c "[ \"\$(cat '$TMP/out')\" = 200 ] && tail -n 1 '$SRV/bodies' | grep -qx 'length 23 {\"model\":\"gpt-4o-mini\"}'"
check "the chain is intact" sh -c "'$FG_TOP_BUILDDIR/fleetguard-verify' '$TMP/audit.log' > /dev/null"
finish
