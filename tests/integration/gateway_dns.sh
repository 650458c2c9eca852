#!/bin/sh
# gateway_dns.sh - a slow or dead name server never stalls the gateway's other requests.
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

# Inside a private network and mount namespace, a fake name server on
# 127.0.0.1:53 (named by a resolv.conf bound over /etc/resolv.conf) answers
# fast.test at once, slow.test after 3 s, dead.test with NXDOMAIN, and
# counts the A queries per name.  The gateway serves three endpoints by
# those names; clients use its ports as base URLs.

. "$FG_TOP_SRCDIR/tests/lib.sh"
. "$FG_TOP_SRCDIR/tests/integration/breaker_lib.sh"
. "$FG_TOP_SRCDIR/tests/integration/gateway_lib.sh"
unshare -mn true 2> /dev/null || skip_all "no network namespaces"
command -v ip > /dev/null || skip_all "ip (iproute2) not installed"
plan 8
make_ws
trap 'rm -rf "$TMP"' EXIT

cat > "$TMP/dns.py" <<'PY'
import os, socket, struct, sys, threading, time
out = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
counts, lock = {}, threading.Lock()
print("ready", flush=True)

def name_of(q):
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += 1 + q[i]
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    return ".".join(labels).lower(), qtype, i + 5

def answer(q, peer):
    name, qtype, end = name_of(q)
    if qtype == 1:
        with lock:
            counts[name] = counts.get(name, 0) + 1
            with open(out + ".tmp", "w") as f:
                f.write("".join("%s %d\n" % kv for kv in sorted(counts.items())))
            os.replace(out + ".tmp", out)
    if name == "slow.test":
        time.sleep(3)
    rcode = 3 if name == "dead.test" else 0
    ans = b""
    if qtype == 1 and rcode == 0:
        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
    head = q[:2] + struct.pack(">HHHHH", 0x8180 | rcode, 1, 1 if ans else 0, 0, 0)
    s.sendto(head + q[12:end] + ans, peer)

while True:
    q, peer = s.recvfrom(512)
    threading.Thread(target=answer, args=(q, peer), daemon=True).start()
PY

cat > "$TMP/drive.py" <<'PY'
import http.client, json, sys, threading, time
slow, fast, dead = (int(p) for p in sys.argv[1:4])
t0 = time.monotonic()
res = {"slow": [], "fast": []}

def call(port, key):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/v1/chat", body=b"{}")
    r = c.getresponse()
    body = r.read()
    res.setdefault(key, []).append((r.status, round(time.monotonic() - t0, 3),
                                    b"upstream_failed" in body))

# three clients wait for slow.test at once: one lookup for all three
th = [threading.Thread(target=call, args=(slow, "slow")) for _ in range(3)]
for t in th:
    t.start()
time.sleep(0.3)
# meanwhile five fresh connections to fast.test, one after the other
for _ in range(5):
    call(fast, "fast")
call(dead, "dead")
for t in th:
    t.join()
print(json.dumps(res))
PY

printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:1\n' > "$TMP/resolv.conf"
mkdir -p "$TMP/state"
cat > "$TMP/inns.sh" <<SH
ip link set lo up
mount --bind "$TMP/resolv.conf" /etc/resolv.conf
"$PYTHON3" "$TMP/dns.py" "$TMP/queries" < /dev/null > "$TMP/dns.out" 2>&1 &
DNS=\$!
for i in \$(seq 1200); do grep -q ready "$TMP/dns.out" 2>/dev/null && break; sleep 0.05; done
"$PYTHON3" "$FG_TOP_SRCDIR/tests/integration/llm_server.py" "$TMP/srv" > /dev/null 2>&1 &
SRV=\$!
for i in \$(seq 1200); do [ -s "$TMP/srv/port" ] && break; sleep 0.05; done
P=\$(cat "$TMP/srv/port")
cat > "$TMP/policy.ini" <<EOF
[filesystem]
mode = off
[network]
allow = 127.0.0.1:*
[breaker]
threshold = 5
state_dir = $TMP/state
[endpoint slow]
address = slow.test:\$P
protocol = http
[endpoint fast]
address = fast.test:\$P
protocol = http
[endpoint dead]
address = dead.test:\$P
protocol = http
[audit]
log = $TMP/audit.log
EOF
"$GW_BIN" --policy "$TMP/policy.ini" --dir "$TMP/state" --linger 2 2> "$TMP/gw.log" &
GW=\$!
for i in \$(seq 1200); do ls "$TMP"/state/fleetguard-gw-*.ports > /dev/null 2>&1 && break; sleep 0.05; done
ports=\$(ls "$TMP"/state/fleetguard-gw-*.ports)
port() { awk -v i=\$1 'NR > 1 && \$1 == i {print \$2}' "\$ports"; }
"$PYTHON3" "$TMP/drive.py" \$(port 0) \$(port 1) \$(port 2) > "$TMP/result" 2> "$TMP/drive.err"
kill \$GW \$SRV \$DNS
wait \$GW
SH
mkdir -p "$TMP/srv"
unshare -mn sh "$TMP/inns.sh" 2> "$TMP/inns.err"

# r EXPR: a Python expression over the driver's result (res) is true.
r() { "$PYTHON3" -c "import json, sys; res = json.load(open(sys.argv[1])); sys.exit(not ($1))" "$TMP/result"; }
diag "result: $(cat "$TMP/result" 2> /dev/null)" "queries: $(cat "$TMP/queries" 2> /dev/null | tr '\n' ' ')" \
	"$(cat "$TMP/drive.err" 2> /dev/null)"
check "a name that takes 3 s to resolve: its three requests wait for it, then 200" \
	r 'len(res["slow"]) == 3 and all(s == 200 and t >= 2.5 for s, t, _ in res["slow"])'
check "meanwhile five requests to another name are answered, each on a new connection" \
	r 'len(res["fast"]) == 5 and all(s == 200 for s, t, _ in res["fast"])'
check "all five before the slow name resolved (the epoll thread never waited for it)" \
	r 'max(t for _, t, _ in res["fast"]) < min(t for _, t, _ in res["slow"])'
check "a name that does not resolve: 502 upstream_failed, before the slow one" \
	r 'res["dead"][0][0] == 502 and res["dead"][0][2] and res["dead"][0][1] < min(t for _, t, _ in res["slow"])'
check "the fast name was looked up once for five requests (the 30 s cache)" grep -qx 'fast.test 1' "$TMP/queries"
check "three waiters for the slow name shared one lookup" grep -qx 'slow.test 1' "$TMP/queries"
check "the gateway says which name failed" grep -q "cannot resolve dead.test: " "$TMP/gw.log"
check "the failed lookup counted for the breaker, recorded in the chain" \
	sh -c "grep -q '\"op\":\"llm\",\"endpoint\":\"dead\".*\"status\":502' '$TMP/audit.log' &&
	       '$FG_TOP_BUILDDIR/fleetguard-verify' '$TMP/audit.log' > /dev/null"
finish
