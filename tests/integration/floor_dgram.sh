#!/bin/bash
# floor_dgram.sh - under fleetguard run with [network] mode = enforce, the
# destinations of datagrams (sendto, sendmsg, sendmmsg, connect; IPv4 and
# IPv4-mapped IPv6) and of UNIX sockets are judged by the supervisor outside
# the agent, whatever floor holds the paths (seccomp only, masking, the
# supervisor): a static binary and ctypes.CDLL("libc.so.6") are refused, the
# loopback listener hears nothing, dns = yes opens port 53 on the resolvers
# only, a thread flipping the address or swapping the descriptor gains
# nothing, and allowed traffic (UDP, TCP through real python3 and curl)
# arrives intact.  Every decision is recorded "via":"kernel".
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
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 1
plan 33
ll_setup
PROBE="$WS/net_probe"
cp "$FG_TOP_BUILDDIR/tests/bin/net_probe" "$PROBE"
LISTEN="$FG_TOP_SRCDIR/tests/integration/floor_listen.py"
NS=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf)
mkdir -p "$WS/secrets"
echo "workspace secret" > "$WS/secrets/a.txt"

# listen KIND [PATH]: start a listener; PORT is its port (or PATH)
listen() {
	rm -f "$TMP/port" "$TMP/count"
	"$PYTHON3" "$LISTEN" "$1" "$TMP/port" "$TMP/count" ${2:+"$2"} &
	LPID=$!
	LKIND=$1
	wait_until 10 test -s "$TMP/port" || { diag "no listener"; return 1; }
	PORT=$(cat "$TMP/port")
}

# heard: stop the listener (END from outside the sandbox), print its count
heard() {
	"$PYTHON3" -c '
import socket, sys
k, p = sys.argv[1], sys.argv[2]
if k == "udp":
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"END", ("127.0.0.1", int(p)))
elif k == "unixdg":
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"END", p)
else:
    fam = socket.AF_UNIX if k == "unix" else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.connect(p if k == "unix" else ("127.0.0.1", int(p))); c.sendall(b"END"); c.close()
' "$LKIND" "$PORT"
	# heard runs in $(...): the listener is not this subshell's child, so
	# wait would return at once; the count file (renamed into place) is
	# the listener's last act
	wait_until 60 test -e "$TMP/count" || diag "the listener wrote no count"
	cat "$TMP/count"
}

# policy FILE ALLOW [MORE]: datagrams allowed somewhere (so not refused
# outright by the socket filter), the rest per ALLOW
policy() {
	ll_policy "$1" auto "deny = \${root}/secrets
[network]
dns = yes
allow = 127.0.0.1:9${2:+, $2}
$3"
}
policy "$POL" ""
cd "$WS" || exit 1

CTYPES='
import ctypes, os, struct, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
port = int(sys.argv[1])
fd = libc.socket(2, 2, 0)
sin = struct.pack("=H", 2) + struct.pack("!H4s8x", port, bytes([127, 0, 0, 1]))
n = libc.sendto(fd, b"leak", 4, 0, sin, len(sin))
if n < 0:
    e = ctypes.get_errno(); print("send:", os.strerror(e)); sys.exit(3 if e == 13 else 4)
print("sent"); sys.exit(0)
'

# --- the gap, then every way a datagram names its destination ----------
listen udp
out=$(fg "$POL" "$PROBE" sendto "$PORT" 2>&1); rc=$?
n=$(heard)
check "gap: under the library alone a static program's datagram arrives (rc $rc, heard $n)" \
	[ "$rc" -eq 0 -a "$n" = 1 ]

listen udp
for mode in sendto sendto6 sendmsg sendmmsg connect; do
	out=$(fgrun --policy "$POL" -- "$PROBE" $mode "$PORT" 2> "$TMP/err"); rc=$?
	check "static $mode to an unlisted port: EACCES from the supervisor (rc $rc, $out)" \
		[ "$rc" -eq 3 ]
done
out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$CTYPES" "$PORT" 2>/dev/null); rc=$?
check "ctypes sendto to an unlisted port: EACCES (rc $rc, $out)" [ "$rc" -eq 3 ]
n=$(heard)
check "and from outside: the listener heard nothing ($n)" [ "$n" = 0 ]
grep '"op":"sendto"' "$LOG" | grep '"via":"kernel"' | grep '"decision":"deny"' |
	grep -q "\"addr\":\"127.0.0.1:$PORT\""
check "the supervisor's denial is in the log: op, addr, via kernel" [ $? -eq 0 ]
grep '"via":"kernel"' "$LOG" | grep "\"addr\":\"127.0.0.1:$PORT\"" | grep -q '"rule":"'
check "and names the policy line that decided" [ $? -eq 0 ]

# --- allowed datagrams arrive whole ---------------------------------------
listen udp
policy "$WS/ok.ini" "127.0.0.1:$PORT"
for mode in sendto sendmmsg connect; do
	out=$(fgrun --policy "$WS/ok.ini" -- "$PROBE" $mode "$PORT" 2>&1); rc=$?
	check "static $mode to an allowed port: sent by the supervisor (rc $rc, $out)" [ "$rc" -eq 0 ]
done
out=$(fgrun --policy "$WS/ok.ini" -- "$PYTHON3" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print(s.sendto(b"leak", ("127.0.0.1", int(sys.argv[1]))))' "$PORT" 2>/dev/null)
check "python3 sendto an allowed port returns the byte count ($out)" [ "$out" = 4 ]
n=$(heard)
check "and from outside: the listener heard all four ($n)" [ "$n" = 4 ]

# --- dns = yes: port 53 on the resolvers only ----------------------------
out=$(fgrun --policy "$POL" -- "$PROBE" sendto 127.0.0.2:53 2>/dev/null); rc=$?
check "dns = yes: a datagram to port 53 of another address is refused (rc $rc)" [ "$rc" -eq 3 ]
if [ -n "$NS" ] && [ "${NS#*:}" = "$NS" ]; then
	out=$(fgrun --policy "$POL" -- "$PROBE" sendto "$NS:53" 2>/dev/null); rc=$?
	check "dns = yes: the resolver of resolv.conf ($NS) is reached (rc $rc)" [ "$rc" -eq 0 ]
else
	skip_check "dns = yes: the resolver is reached" "no IPv4 nameserver in resolv.conf"
fi

# --- races: copy, then act on the copy -----------------------------------
listen udp
out=$(fgrun --policy "$POL" -- "$PROBE" race 9 "$PORT" 2>/dev/null); rc=$?
n=$(heard)
check "a thread flipping the port while sendto runs 4000 times: the unlisted port heard nothing ($out, heard $n)" \
	[ "$rc" -eq 0 -a "$n" = 0 ]
policy "$WS/tcp.ini" "localhost:$PORT"
listen udp
out=$(fgrun --policy "$WS/tcp.ini" -- "$PROBE" swap "$PORT" 2>/dev/null); rc=$?
n=$(heard)
check "a thread swapping a UDP socket in under a TCP connect: nothing connected it ($out, heard $n)" \
	[ "$rc" -eq 0 -a "$n" = 0 ]

# --- UNIX sockets --------------------------------------------------------
mkdir -p "$TMP/outside" "$TMP/ok"
listen unix "$TMP/outside/s.sock"
out=$(fgrun --policy "$POL" -- "$PROBE" unix "$TMP/outside/s.sock" 2>/dev/null); rc=$?
ln -s "$TMP/outside/s.sock" "$WS/link.sock"
policy "$WS/unix.ini" "unix:$WS/link.sock, unix:$TMP/ok/s.sock"
out2=$(fgrun --policy "$WS/unix.ini" -- "$PROBE" unix "$WS/link.sock" 2>/dev/null); rc2=$?
n=$(heard)
check "static connect to a UNIX socket outside the policy: EACCES (rc $rc, $out)" [ "$rc" -eq 3 ]
check "through an allowed name that is a link to it: EACCES (rc $rc2, $out2)" [ "$rc2" -eq 3 ]
check "and from outside: the server saw no connection ($n)" [ "$n" = 0 ]
listen unixdg "$TMP/outside/d.sock"
out=$(fgrun --policy "$POL" -- "$PROBE" unixdg "$TMP/outside/d.sock" 2>/dev/null); rc=$?
n=$(heard)
check "static datagram to a UNIX socket outside the policy: EACCES, nothing heard (rc $rc, $n)" \
	[ "$rc" -eq 3 -a "$n" = 0 ]
listen unix "$TMP/ok/s.sock"
cd "$TMP/ok" || exit 1
out=$(fgrun --policy "$WS/unix.ini" -- "$PROBE" unix s.sock 2>/dev/null); rc=$?
cd "$WS" || exit 1
n=$(heard)
check "an allowed UNIX socket by a name relative to the caller's cwd is reached (rc $rc, $n)" \
	[ "$rc" -eq 0 -a "$n" = 1 ]

# --- every floor: masking and the supervisor hosts judge datagrams too ---
listen udp
for floor in masking supervisor; do
	out=$(fgrun --floor=$floor --policy "$POL" -- "$PROBE" sendmsg "$PORT" 2> "$TMP/err"); rc=$?
	if [ $floor = masking ] && grep -q "cannot enter a mount namespace" "$TMP/err"; then
		skip_check "masking: datagrams judged" "no user namespaces here"
		continue
	fi
	check "--floor=$floor: static sendmsg to an unlisted port refused (rc $rc)" [ "$rc" -eq 3 ]
done
ll_policy "$WS/nodeny.ini" auto "[network]
dns = yes
allow = 127.0.0.1:9"
out=$(FLEETGUARD_DEBUG=1 fgrun --policy "$WS/nodeny.ini" -- "$PROBE" sendmsg "$PORT" 2> "$TMP/err0"); rc=$?
check "no deny path (the seccomp filter alone): static sendmsg refused too (rc $rc)" \
	sh -c "[ $rc -eq 3 ] && grep -q 'floor: seccomp filter, datagram' '$TMP/err0'"
n=$(heard)
check "and from outside: nothing heard ($n)" [ "$n" = 0 ]
grep -q "datagram and UNIX socket destinations judged by the supervisor" "$TMP/err"
check "run says in its one line that the supervisor judges destinations" [ $? -eq 0 ]

# --- TCP keeps working through the supervisor ----------------------------
"$PYTHON3" -m http.server 0 --bind 127.0.0.1 > "$TMP/http.out" 2>&1 &
HPID=$!
wait_until 10 grep -q "port" "$TMP/http.out"
HPORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TMP/http.out" | head -1)
policy "$WS/web.ini" "127.0.0.1:$HPORT"
out=$(fgrun --policy "$WS/web.ini" -- "$PYTHON3" -c '
import sys, urllib.request
print(len(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1]).read()) > 0)' "$HPORT" 2>/dev/null)
check "python3 urllib to an allowed local server works under the supervisor ($out)" [ "$out" = True ]
if command -v curl > /dev/null && ! asan_breaks curl; then
	out=$(fgrun --policy "$WS/web.ini" -- curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HPORT/" 2>/dev/null)
	check "curl too ($out)" [ "$out" = 200 ]
else
	skip_check "curl under the supervisor" "curl absent or hangs under a preloaded ASan runtime, without fleetguard too"
fi
kill "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null

# the supervisor makes every process's connection to the audit daemon: the
# daemon must tell them apart by who says hello, not by who connected
out=$(fgrun --policy "$POL" -- sh -c 'for i in $(seq 1 40); do (sleep 2; echo x > "many.$i") & done; wait' 2>&1)
check "40 processes started at once all reach the audit daemon and write ($(ls "$WS" | grep -c '^many\.') of 40)" \
	[ "$(ls "$WS" | grep -c '^many\.')" = 40 ]
"$VERIFY" "$LOG" > /dev/null 2>&1
check "the audit log with the supervisor's records verifies" [ $? -eq 0 ]
finish
