#!/bin/bash
# floor_socket.sh - fleetguard run's seccomp filter refuses the socket kinds
# the policy never allows (datagrams with no IP destination allowed, raw,
# AF_PACKET, AF_VSOCK, MPTCP), to a static binary and to ctypes alike;
# judged from outside: the loopback listener receives nothing.
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
plan 21
ll_setup
PROBE="$WS/sock_probe"
cp "$FG_TOP_BUILDDIR/tests/bin/sock_probe" "$PROBE"
ll_policy "$POL" on "[network]
dns = no"
ll_policy "$WS/off.ini" off "[network]
mode = off"
LISTEN="$FG_TOP_SRCDIR/tests/integration/floor_listen.py"

# listen udp|tcp: start a listener, PORT its port
listen() {
	rm -f "$TMP/port" "$TMP/count"
	"$PYTHON3" "$LISTEN" "$1" "$TMP/port" "$TMP/count" &
	LPID=$!
	LKIND=$1
	wait_until 10 test -s "$TMP/port" || { diag "no listener"; return 1; }
	PORT=$(cat "$TMP/port")
}

# heard: stop the listener (END from outside the sandbox), print its count
heard() {
	"$PYTHON3" -c '
import socket, sys
k, p = sys.argv[1], int(sys.argv[2])
if k == "udp":
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"END", ("127.0.0.1", p))
else:
    c = socket.create_connection(("127.0.0.1", p)); c.sendall(b"END"); c.close()
' "$LKIND" "$PORT"
	# heard runs in $(...): the listener is not this subshell's child, so
	# wait would return at once; the count file (renamed into place) is
	# the listener's last act
	wait_until 60 test -e "$TMP/count" || diag "the listener wrote no count"
	cat "$TMP/count"
}

CTYPES='
import ctypes, os, struct, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
kind, port = sys.argv[1], int(sys.argv[2])
fam, typ, proto = {"udp": (2, 2, 0), "raw": (2, 3, 17), "packet": (17, 3, 768),
                   "vsock": (40, 1, 0), "mptcp": (2, 1, 262)}[kind]
fd = libc.socket(fam, typ, proto)
if fd < 0:
    e = ctypes.get_errno(); print("socket:", os.strerror(e)); sys.exit(3 if e in (1, 13, 93) else 4)
sin = struct.pack("!HH4s8x", 2, port, bytes([127, 0, 0, 1]))
sin = struct.pack("=H", 2) + sin[2:]
if kind == "udp":
    n = libc.sendto(fd, b"leak", 4, 0, sin, len(sin))
elif kind == "raw":
    pkt = struct.pack("!HHHH", 12345, port, 12, 0) + b"leak"
    n = libc.sendto(fd, pkt, len(pkt), 0, sin, len(sin))
elif kind == "mptcp":
    n = libc.connect(fd, sin, len(sin))
    if n == 0: n = libc.send(fd, b"hi", 2, 0)
else:
    n = 0
if n < 0:
    e = ctypes.get_errno(); print("send:", os.strerror(e)); sys.exit(3 if e in (1, 13, 93) else 4)
print("sent"); sys.exit(0)
'

# the gap the filter closes: the library does not see a static program
listen udp
out=$(fg "$WS/off.ini" "$PROBE" udp "$PORT" 2>&1); rc=$?
n=$(heard)
check "gap: without the floor a static program's datagram arrives (rc $rc, $out, heard $n)" \
	[ "$rc" -eq 0 -a "$n" = 1 ]

for kind in udp udpmm raw mptcp; do
	lk=udp; [ $kind = mptcp ] && lk=tcp
	listen $lk
	out=$(fgrun --policy "$POL" -- "$PROBE" $kind "$PORT" 2> "$TMP/err"); rc=$?
	n=$(heard)
	check "static $kind: refused by the kernel (rc $rc, $out)" [ "$rc" -eq 3 ]
	check "static $kind: the listener heard nothing ($n)" [ "$n" = 0 ]
done
FLEETGUARD_DEBUG=1 fgrun --policy "$POL" -- true 2>&1 | grep -q "floor: seccomp filter, datagrams refused"
check "run says which floor it set up, in one line" [ $? -eq 0 ]

for kind in udp raw mptcp; do
	lk=udp; [ $kind = mptcp ] && lk=tcp
	listen $lk
	out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$CTYPES" $kind "$PORT" 2>&1); rc=$?
	n=$(heard)
	check "ctypes $kind: refused (rc $rc, $out) and the listener heard nothing ($n)" \
		[ "$rc" -eq 3 -a "$n" = 0 ]
done

for kind in packet vsock; do
	out=$(fgrun --policy "$POL" -- "$PROBE" $kind 0 2>&1); rc=$?
	check "static $kind: socket refused with EACCES ($out)" \
		sh -c "[ $rc -eq 3 ] && echo '$out' | grep -q 'Permission denied'"
	out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$CTYPES" $kind 0 2>&1); rc=$?
	check "ctypes $kind: socket refused with EACCES ($out)" \
		sh -c "[ $rc -eq 3 ] && echo '$out' | grep -q 'Permission denied'"
done
if [ "$(id -u)" = 0 ]; then
	out=$(fg "$WS/off.ini" "$PROBE" packet 0 2>&1); rc=$?
	check "gap: without the floor root makes an AF_PACKET socket ($out)" [ $rc -eq 0 ]
else
	skip_check "gap: AF_PACKET without the floor" "needs root"
fi

# an allowed IP destination: datagram sockets are made, their destinations
# judged by the supervisor (floor_dgram.sh)
ll_policy "$WS/udp.ini" on "[network]
dns = no
allow = 127.0.0.1:9"
out=$(FLEETGUARD_DEBUG=1 fgrun --policy "$WS/udp.ini" -- "$PROBE" udp 9 2> "$TMP/err"); rc=$?
check "with an IP destination allowed, datagram sockets are made ($out)" [ $rc -eq 0 ]
check "and the one line says the supervisor judges datagram destinations" \
	grep -q "datagram and UNIX socket destinations judged by the supervisor" "$TMP/err"
grep '"op":"landlock"' "$LOG" | tail -1 | grep -q '"floor":"seccomp"'
check "the landlock record names the floor" [ $? -eq 0 ]
finish
