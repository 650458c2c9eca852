#!/bin/bash
# breaker_https.sh - an https endpoint with a self-signed certificate made
# now: the status is read through OpenSSL (python's SSL_set_fd +
# SSL_read_ex, curl's own BIO + SSL_read), never from the TLS records.
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
command -v openssl > /dev/null || skip_all "openssl command not installed"
plan 14
make_ws
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-subj /CN=localhost -days 1 -addext "subjectAltName=IP:127.0.0.1" 2> /dev/null ||
	{ echo "Bail out! openssl req failed"; exit 1; }
start_server --tls "$TMP/cert.pem" "$TMP/key.pem"
write_policy https
URL="https://127.0.0.1:$PORT/v1/chat"

mode 503
client --cafile "$TMP/cert.pem" --count 5 "$URL"
check "python https 503: three answers, then refused" expect_outcomes "503 503 503 refused refused"
check "python https 503: server saw three" expect_requests 3
# "2 s" rounded; a refusal made more than 0.5 s after the opening (a
# loaded machine) rightly says 1 s
check "python https 503: stderr line" stderr_has "^fleetguard: circuit open for 127\.0\.0\.1:$PORT \(3 consecutive failures\), next probe in [12] s$"
mode 200
wait_open
client --lib http.client --timeout 20 --cafile "$TMP/cert.pem" --count 2 "$URL"
check "python https: probe succeeds, circuit closes" expect_outcomes "200 200"
check "python https: closed line" stderr_has "circuit closed for 127\.0\.0\.1:$PORT: probe succeeded"

mode 429:3
client --cafile "$TMP/cert.pem" --count 4 "$URL"
check "python https 429: Retry-After read through TLS" stderr_has "next probe in 3 s$"
mode 200
sleep 3.4
client --cafile "$TMP/cert.pem" --count 1 "$URL"
check "python https 429: recovered" expect_outcomes "200"

mode reset
client --lib http.client --cafile "$TMP/cert.pem" --count 4 "$URL"
check "python https reset: three resets, then refused" expect_outcomes "reset reset reset refused"
mode 200
wait_open
client --cafile "$TMP/cert.pem" --count 1 "$URL"
check "python https reset: recovered" expect_outcomes "200"

if asan_breaks curl; then
	for c in "curl https 503" "curl https: then refused" "curl https: server saw only three" "curl https: probe succeeds"; do
		skip_check "$c" "curl hangs under a preloaded ASan runtime, without fleetguard too"
	done
else
	mode 503
	before=$(requests)
	: > "$TMP/curl"
	for i in 1 2 3 4; do
		fg "$POLICY" curl -s --cacert "$TMP/cert.pem" -o /dev/null -w '%{http_code}\n' "$URL" >> "$TMP/curl" 2> "$TMP/err"
		echo "exit $?" >> "$TMP/curl"
	done
	check "curl https 503: counted through its own BIO" sh -c "[ \$(grep -c '^503' '$TMP/curl') -eq 3 ]"
	check "curl https: then refused (exit 7)" sh -c "tail -1 '$TMP/curl' | grep -qx 'exit 7'"
	check "curl https: server saw only three" expect_requests $((before + 3))
	mode 200
	wait_open
	fg "$POLICY" curl -s --cacert "$TMP/cert.pem" -o /dev/null -w '%{http_code}' "$URL" > "$TMP/curl" 2> "$TMP/err"
	check "curl https: probe succeeds" grep -qx 200 "$TMP/curl"
fi

# a TLS program that never talks to an endpoint does not load fleetguard's
# idea of libssl, and a program without libssl never loads it
fg "$POLICY" "$PYTHON3" -c 'import sys; print("ssl" in sys.modules, any("libssl" in l for l in open("/proc/self/maps")))' > "$TMP/out" 2> "$TMP/err"
check "no libssl loaded into a program that does not use it" grep -qx "False False" "$TMP/out"
finish
