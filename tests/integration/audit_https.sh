#!/bin/sh
# audit_https.sh - checkpoints POSTed to an https:// collector (a real TLS
# server on loopback, its certificate from a CA the test makes): they
# arrive and verify, a collector that is down is retried and catches up
# without holding the agent, a certificate from elsewhere is refused and
# shown in fleetguard status, and only fg-auditd links libssl.
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

V="$FG_BIN/fleetguard-verify"
command -v openssl > /dev/null || skip_all "openssl not installed"
make_ws
plan 20
export XDG_STATE_HOME="$TMP/state"
LOG="$WS/.fleetguard/audit.log"
pids=
trap 'kill $pids 2>/dev/null; rm -rf "$TMP"' EXIT
status() { FLEETGUARD_POLICY="$WS/p.ini" "$FG_BIN/fleetguard" status 2>&1; }
# an agent that keeps the daemon up until killed ($! is the agent itself)
keeper() { LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/p.ini" sleep 60 & keep=$!; pids="$pids $keep"; }

# A test CA, a server certificate it signs for 127.0.0.1, and a rogue one
# (self-signed, same name) that no configured CA vouches for.
cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=fleetguard-test-ca -keyout ca.key -out ca.pem > /dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-keyout srv.key -out srv.csr > /dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' > san.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile san.ext -out srv.pem > /dev/null 2>&1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout rogue.key -out rogue.pem > /dev/null 2>&1
[ -s srv.pem ] && [ -s rogue.pem ] || { echo "Bail out! openssl could not make the test certificates"; exit 1; }

# collector PORT CERT KEY OUT: HTTPS on loopback; each POST body a line of OUT.
# While the file OUT.answer exists, each POST is answered with its text as
# the status line instead, and logged to OUT.tries as "ANSWER<TAB>SEQ".
cat > collector.py <<'PY'
import http.server, json, os, ssl, sys
port, cert, key, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if os.path.exists(out + ".answer"):
            with open(out + ".answer", "rb") as f:
                answer = f.read().strip()
            with open(out + ".tries", "ab") as f:
                f.write(answer + b"\t" + str(json.loads(body)["seq"]).encode() + b"\n")
            self.wfile.write(answer + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            if answer != b"HTTP/1.1 200 OK":
                return
        with open(out, "ab") as f:
            f.write(self.path.encode() + b" " + self.headers.get("Content-Type", "").encode()
                    + b" " + body + b"\n")
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer.allow_reuse_address = True
srv = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(out + ".up", "w").close()
srv.serve_forever()
PY
freeport() { "$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(freeport)

check "only fg-auditd links libssl, never the preloaded library" sh -c "
	readelf -d '$FG_BIN/fg-auditd' | grep -q 'NEEDED.*libssl' &&
	! readelf -d '$FG_LIB' | grep -q 'NEEDED.*libssl'"

cat > "$WS/p.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off

[audit]
witness = file, https://127.0.0.1:$port/fleet/checkpoints, ca:$TMP/ca.pem
checkpoint_every = 5
INI
cd "$WS" || exit 1
# the collector is down: the agent is not held up, status says why
keeper
wait_until 10 test -S "$LOG.sock"
start=$(date +%s)
fg "$WS/p.ini" "$PYTHON3" -c '
for i in range(20):
    open("f%d.txt" % i, "w").write("x")'
took=$(($(date +%s) - start))
check "an agent runs while the collector is down (${took} s)" \
	sh -c "[ $took -lt 5 ] && grep -q '\"path\":\"[^\"]*/f19.txt\"' '$LOG'"
wait_until 10 sh -c "FLEETGUARD_POLICY='$WS/p.ini' '$FG_BIN/fleetguard' status 2>&1 | grep -q 'witness https .*: failing (Connection refused), 0 sent, [1-9]'"
status > "$TMP/status"
check "fleetguard status shows the collector failing, checkpoints waiting" \
	grep -q "witness https https://127.0.0.1:$port/fleet/checkpoints: failing (Connection refused), 0 sent, [1-9][0-9]* waiting" "$TMP/status"

# the collector comes up: what waited arrives, in order
"$PYTHON3" "$TMP/collector.py" "$port" "$TMP/srv.pem" "$TMP/srv.key" "$TMP/got" &
pids="$pids $!"
witness=$(ls "$XDG_STATE_HOME"/fleetguard/audit/*.witness)
wait_until 20 sh -c "FLEETGUARD_POLICY='$WS/p.ini' '$FG_BIN/fleetguard' status 2>&1 | grep -q 'witness https .*: ok, [1-9][0-9]* sent, 0 waiting'"
status > "$TMP/status"
check "retried: the collector caught up, status ok with nothing waiting" \
	grep -q "witness https https://127.0.0.1:$port/fleet/checkpoints: ok, [1-9][0-9]* sent, 0 waiting, 0 dropped" "$TMP/status"
"$PYTHON3" - "$TMP/got" > "$TMP/lines" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    path, ctype, body = l.rstrip("\n").split(" ", 2)
    assert path == "/fleet/checkpoints" and ctype == "application/json", (path, ctype)
    j = json.loads(body)
    assert isinstance(j["seq"], int) and j["line"].startswith("fleetguard-checkpoint v1 ")
    assert "log=%s seq=%d head=%s" % (j["log"], j["seq"], j["head"]) in j["line"]
    print(j["line"])
PY
check "each POST is JSON with the checkpoint's fields and its signed line" [ -s "$TMP/lines" ]
check "the collector holds the same checkpoints as the witness file, in order" \
	sh -c "head -n \$(grep -c . '$TMP/lines') '$witness' | cmp -s - '$TMP/lines'"
check "verify --witness takes the collector's checkpoints" \
	sh -c "\"$V\" --witness '$TMP/lines' '$LOG' | grep -q 'signed checkpoints agree'"
kill $keep 2>/dev/null
wait_until 10 sh -c "[ ! -e '$LOG.sock' ]"
check "every checkpoint reached the collector by the time the daemon left" \
	"$PYTHON3" -c '
import json, sys
got = [json.loads(l.split(" ", 2)[2])["line"] for l in open(sys.argv[1])]
sys.exit(got != open(sys.argv[2]).read().splitlines())' "$TMP/got" "$witness"

# a certificate that no trusted CA signed is refused and reported
rport=$(freeport)
"$PYTHON3" "$TMP/collector.py" "$rport" "$TMP/rogue.pem" "$TMP/rogue.key" "$TMP/rogue.got" &
pids="$pids $!"
wait_until 10 test -e "$TMP/rogue.got.up"
sed -i "s|^witness = .*|witness = file, https://127.0.0.1:$rport/cp, ca:$TMP/ca.pem|" "$WS/p.ini"
keeper
wait_until 10 test -S "$LOG.sock"
fg "$WS/p.ini" "$PYTHON3" -c 'open("g.txt", "w").write("x")'
wait_until 10 sh -c "FLEETGUARD_POLICY='$WS/p.ini' '$FG_BIN/fleetguard' status 2>&1 | grep -q 'witness https .*: failing'"
status > "$TMP/status"
check "a certificate from no trusted CA: refused, and status says so" \
	grep -q "witness https https://127.0.0.1:$rport/cp: failing (certificate refused: self.signed certificate), 0 sent, [1-9]" "$TMP/status"
check "and the rogue collector got no checkpoint" [ ! -s "$TMP/rogue.got" ]
kill $keep 2>/dev/null
wait_until 10 sh -c "[ ! -e '$LOG.sock' ]"

# without ca:, the system roots alone do not vouch for the test CA
sed -i "s|^witness = .*|witness = https://127.0.0.1:$port/cp|" "$WS/p.ini"
keeper
wait_until 10 test -S "$LOG.sock"
fg "$WS/p.ini" "$PYTHON3" -c 'open("h.txt", "w").write("x")'
wait_until 10 sh -c "FLEETGUARD_POLICY='$WS/p.ini' '$FG_BIN/fleetguard' status 2>&1 | grep -q 'witness https .*: failing'"
status > "$TMP/status"
check "without ca: the test CA is not trusted (system roots only)" \
	grep -q "witness https https://127.0.0.1:$port/cp: failing (certificate refused: unable to get local issuer certificate)" "$TMP/status"
kill $keep 2>/dev/null
wait_until 10 sh -c "[ ! -e '$LOG.sock' ]"

# A collector that answers an error or a status line that is not
# "HTTP/1.x NNN": the witness is failing, the same checkpoint is posted
# again (a second POST of one seq under one answer proves the first was
# not taken as delivered: the queue did not move), and none counts as sent.
B="$TMP/bad.got"
bport=$(freeport)
printf 'HTTP/1.1 500 Internal Server Error' > "$B.answer"
"$PYTHON3" "$TMP/collector.py" "$bport" "$TMP/srv.pem" "$TMP/srv.key" "$B" &
pids="$pids $!"
wait_until 10 test -e "$B.up"
sed -i "s|^witness = .*|witness = file, https://127.0.0.1:$bport/cp, ca:$TMP/ca.pem|" "$WS/p.ini"
keeper
wait_until 10 test -S "$LOG.sock"
fg "$WS/p.ini" "$PYTHON3" -c '
for i in range(12):
    open("b%d.txt" % i, "w").write("x")'
# retried ANSWER: some checkpoint was posted twice while ANSWER was given
retried() { awk -F '\t' -v a="$1" '$1 == a && seen[$2]++ { f = 1 } END { exit !f }' "$B.tries"; }
# shows TEXT: fleetguard status shows this witness as TEXT (a grep pattern)
shows() { status > "$TMP/status"; grep -q "witness https https://127.0.0.1:$bport/cp: $1" "$TMP/status"; }
refused() { retried "$1" && shows "$2"; }
for answer in 'HTTP/1.1 500 Internal Server Error' 'HTTP/1.0 302 Found' 'HTTP/1.1 199 Early'; do
	printf '%s' "$answer" > "$B.answer"
	code=${answer#HTTP/1.? }; code=${code%% *}
	wait_until 20 retried "$answer"
	check "collector answers '$answer': failing, 0 sent, the checkpoint posted again" \
		refused "$answer" "failing (the collector answered HTTP $code), 0 sent, [1-9]"
done
for answer in 'HTTP/1.1 2000 OK' 'HTTP/2 200 OK' 'HTTP/1.1 20 OK' 'HTTP/1.1  200 OK' 'ICY 200 OK'; do
	printf '%s' "$answer" > "$B.answer"
	wait_until 20 retried "$answer"
	check "malformed status line '$answer': failing, 0 sent, the checkpoint posted again" \
		refused "$answer" "failing (no HTTP answer from the collector), 0 sent, [1-9]"
done
# the collector recovers: every checkpoint arrives once, and "sent" counts
# only the POSTs answered 2xx
printf 'HTTP/1.1 200 OK' > "$B.answer"
wait_until 20 shows 'ok, [1-9][0-9]* sent, 0 waiting'
ok2=$(grep -c '^HTTP/1.1 200 OK	' "$B.tries")
once() { [ "$(awk -F '\t' '$1 == "HTTP/1.1 200 OK" { print $2 }' "$B.tries" | sort | uniq -d)" = "" ]; }
recovered() { shows "ok, $ok2 sent, 0 waiting" && [ "$(grep -c . "$B")" -eq "$ok2" ] && once; }
check "answered 200 at last: ok, sent = the $ok2 POSTs answered 2xx, each checkpoint once" recovered
kill $keep 2>/dev/null
finish
