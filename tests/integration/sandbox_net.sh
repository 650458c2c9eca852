#!/bin/bash
# sandbox_net.sh - connect to loopback servers (one allowed port, one not)
# from CPython and curl; host names outside [network] allow are refused
# before any DNS query leaves (counted by a fake resolver in a private
# network namespace).
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
plan 15
make_ws

# Two listeners on free ports; prints "PORT_A PORT_B", serves until killed.
cat > "$TMP/servers.py" <<'PY'
import socket, sys, threading
socks = []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16); socks.append(s)
print(*(s.getsockname()[1] for s in socks), flush=True)
def serve(s):
    while True:
        c, _ = s.accept()
        c.recv(1024)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"); c.close()
for s in socks: threading.Thread(target=serve, args=(s,), daemon=True).start()
sys.stdin.read()
PY
coproc SRV { "$PYTHON3" "$TMP/servers.py"; }
read -r PA PB <&"${SRV[0]}"
trap 'kill $SRV_PID 2>/dev/null; rm -rf "$TMP"' EXIT
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}

[network]
allow = 127.0.0.1:$PA, api.allowed.test:443
INI

out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import socket
socket.create_connection(('127.0.0.1', $PA)).close(); print('ok')" 2>/dev/null)
check "python connects to the allowed port" [ "$out" = ok ]
# its record reached the log (through the audit daemon under Landlock)
check "the allowed connect is recorded" \
	grep -q "\"op\":\"connect\",\"addr\":\"127.0.0.1:$PA\".*\"decision\":\"allow\"" "$WS/.fleetguard/audit.log"
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import socket
try:
    socket.create_connection(('127.0.0.1', $PB))
except PermissionError as e:
    print('denied', e.errno)" 2>"$TMP/err")
check "python to another port raises PermissionError" [ "$out" = "denied 13" ]
check "the refusal names the address and the policy" \
	grep -q "^fleetguard: denied connect 127.0.0.1:$PB: .*(policy $WS/fleetguard.ini" "$TMP/err"
# inet_aton's numeric forms are addresses to getaddrinfo, not names: no
# query leaves, and connect judges the address they stand for.
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import socket
r = []
for h in ('127.1', '0x7f.0.0.1', '2130706433', '0177.0.0.1'):
    r.append(socket.getaddrinfo(h, $PA, socket.AF_INET, socket.SOCK_STREAM)[0][4][0])
    socket.create_connection((h, $PA)).close()
try:
    socket.create_connection(('127.1', $PB))
except PermissionError as e:
    r.append('denied')
print(*r)" 2>"$TMP/err")
diag "$out" "$(cat "$TMP/err")"
check "getaddrinfo takes 127.1, 0x7f.0.0.1, 2130706433 and 0177.0.0.1 as 127.0.0.1" \
	[ "$out" = "127.0.0.1 127.0.0.1 127.0.0.1 127.0.0.1 denied" ]
check "and only connect to a port not allowed is refused, as 127.0.0.1:$PB" \
	sh -c "[ \$(grep -c '^fleetguard: denied' '$TMP/err') -eq 1 ] && grep -q '^fleetguard: denied connect 127.0.0.1:$PB' '$TMP/err'"
if asan_breaks curl; then
	for c in "curl fetches from the allowed port" "curl to another port" "curl to an outside name"; do
		skip_check "$c" "curl hangs under a preloaded ASan runtime, without fleetguard too"
	done
else
	out=$(fg "$WS/fleetguard.ini" curl -s "http://127.0.0.1:$PA/" 2>/dev/null)
	check "curl fetches from the allowed port" [ "$out" = ok ]
	fg "$WS/fleetguard.ini" curl -s "http://127.0.0.1:$PB/" > /dev/null 2>&1
	check "curl to another port fails to connect (exit 7)" [ $? -eq 7 ]
	fg "$WS/fleetguard.ini" curl -s "http://evil.example/" > /dev/null 2>"$TMP/err"
	check "curl to a host name outside the allow list cannot resolve it (exit 6)" [ $? -eq 6 ]
fi

# a refused name says what it is
fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import socket
try:
    socket.getaddrinfo('evil.example', 443)
except socket.gaierror:
    pass" 2>"$TMP/err"
check "a refused name says it is not in [network] allow" \
	grep -q "^fleetguard: denied resolve evil.example: host name not in \[network\] allow (policy $WS/fleetguard.ini:[0-9]*)$" "$TMP/err"

# An IPv4-mapped IPv6 address is its IPv4 address everywhere: for the
# names learned from lookups (a rule naming a host), and in the refusal
cat > "$WS/byname.ini" <<INI
[filesystem]
system = yes
write = \${root}

[network]
allow = localhost:$PB
INI
out=$(fg "$WS/byname.ini" "$PYTHON3" -c "
import socket
socket.getaddrinfo('localhost', $PB, socket.AF_INET)
s = socket.socket(socket.AF_INET6)
s.connect(('::ffff:127.0.0.1', $PB)); s.close(); print('ok')" 2>"$TMP/err")
check "a rule naming a host covers its IPv4 address reached as ::ffff:a.b.c.d" \
	sh -c "[ '$out' = ok ] && ! grep -q denied '$TMP/err'"
fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import socket
s = socket.socket(socket.AF_INET6)
try:
    s.connect(('::ffff:127.0.0.1', $PB))
except PermissionError:
    pass" 2>"$TMP/err"
check "a refused mapped address is shown as its IPv4 address" \
	grep -q "^fleetguard: denied connect 127.0.0.1:$PB: no allow rule for address" "$TMP/err"

# DNS: a fake resolver on 127.0.0.1:53 inside a private network and mount
# namespace, named by a test resolv.conf bound over /etc/resolv.conf.
if ! unshare -mn true 2>/dev/null; then
	ok "# SKIP no namespaces"; ok "# SKIP no namespaces"; ok "# SKIP no namespaces"
	finish
fi
cat > "$TMP/dns.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 53))
print("ready", flush=True)
n = 0
s.settimeout(0.5)
while True:
    try:
        data, _ = s.recvfrom(512)
    except socket.timeout:
        if sys.stdin.closed: break
        continue
    n += 1
    # whole or not at all: the test may read it (or kill us) at any time
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(n))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
PY
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$TMP/resolv.conf"
echo 0 > "$TMP/queries"
cat > "$TMP/inns.sh" <<SH
ip link set lo up
mount --bind "$TMP/resolv.conf" /etc/resolv.conf
"$PYTHON3" "$TMP/dns.py" "$TMP/queries" < /dev/null > "$TMP/dns.out" 2>&1 &
# the resolver must be listening before the first lookup (60 s: python
# may start slowly on a loaded machine; it is ready in well under 1 s)
for i in \$(seq 1200); do grep -q ready "$TMP/dns.out" 2>/dev/null && break; sleep 0.05; done
LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/fleetguard.ini" "$PYTHON3" -c "
import socket
try:
    socket.getaddrinfo('exfil-data.evil.example', 443)
except socket.gaierror as e:
    print('gaierror')
" > "$TMP/denied.out" 2>"$TMP/denied.err"
cp "$TMP/queries" "$TMP/queries.after-denied"
LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/fleetguard.ini" "$PYTHON3" -c "
import socket
try:
    socket.getaddrinfo('api.allowed.test', 443)
except socket.gaierror:
    pass
" 2>/dev/null
# the resolver counts the query it got before the client timed out; wait
# until it has written that down (or 30 s), rather than a fixed time
for i in \$(seq 600); do [ "\$(cat "$TMP/queries")" -ge 1 ] && break; sleep 0.05; done
kill %1
SH
unshare -mn bash "$TMP/inns.sh"
check "resolving a name outside the allow list raises socket.gaierror" \
	sh -c "grep -qx gaierror '$TMP/denied.out' && grep -q '^fleetguard: denied resolve exfil-data.evil.example' '$TMP/denied.err'"
check "no DNS query left for it" [ "$(cat "$TMP/queries.after-denied")" = 0 ]
check "an allowed name does reach the resolver (the counter works)" [ "$(cat "$TMP/queries")" -ge 1 ]
finish
