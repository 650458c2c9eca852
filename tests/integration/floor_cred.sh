#!/bin/bash
# floor_cred.sh - under the supervisor a UNIX message carries the agent's
# own credentials (SCM_CREDENTIALS), not the supervisor's, and credentials
# the agent claims are judged as the kernel would judge them for the agent:
# one that dropped to nobody cannot claim pid 1 / uid 0 through a root
# supervisor.  Judged from outside, by a receiver with SO_PASSCRED.
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
[ "$(id -u)" = 0 ] ||
	skip_all "the supervisor names the agent in SCM_CREDENTIALS only with CAP_SYS_ADMIN (root)"
plan 11
ll_setup
chmod 755 "$TMP"        # the agent drops to nobody and still reaches the sockets
CRED="$WS/floor_cred.py"
cp "$FG_TOP_SRCDIR/tests/integration/floor_cred.py" "$CRED"
ll_policy "$POL" on "deny = \${root}/secrets
[network]
allow = 127.0.0.1:9, unix:$TMP/d.sock, unix:$TMP/s.sock"
mkdir -p "$WS/secrets"
cd "$WS" || exit 1

# start KIND: a receiver at $TMP/<d|s>.sock writing $TMP/KIND.out at END
start() {
	"$PYTHON3" "$CRED" recv "$1" "$TMP/${1:0:1}.sock" "$TMP/$1.out" &
	wait_until 20 test -e "$TMP/$1.out.ready" || diag "no $1 receiver"
}
# stop KIND: END from outside, then its lines
stop() {
	"$PYTHON3" -c '
import socket, sys
k, p = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM if k == "stream" else socket.SOCK_DGRAM)
if k == "stream":
    s.connect(p); s.sendall(b"END")
else:
    s.sendto(b"END", p)' "$1" "$TMP/${1:0:1}.sock"
	wait_until 60 test -e "$TMP/$1.out" || diag "the $1 receiver wrote nothing"
}
# heard KIND TAG: the credentials the receiver saw with message TAG
heard() { awk -v t="$2" '$1 == t { print $3 }' "$TMP/$1.out"; }
# send KIND HOW TAG under the supervisor; OUT: "pid:uid:gid result", RC
send() {
	OUT=$(fgrun --floor=supervisor --policy "$POL" -- "$PYTHON3" "$CRED" send "$1" \
		"$TMP/${1:0:1}.sock" "$2" "$3" 2> "$TMP/err.$3"); RC=$?
	SENT=${OUT%% *}
}

start dgram
start stream
# the kernel's own rule on this host, without fleetguard
nat=$("$PYTHON3" "$CRED" send dgram "$TMP/d.sock" drop-claim-root native 2>&1); nrc=$?
check "natively, a process that dropped to nobody cannot claim pid 1 / uid 0 ($nat)" \
	[ "$nrc" -eq 3 ]
send dgram plain plain; s1=$SENT rc1=$RC
send dgram sendto sendto; s2=$SENT rc2=$RC
send dgram drop-plain dropped; s3=$SENT rc3=$RC
send dgram drop-claim-root claimroot; o4=$OUT rc4=$RC
send dgram drop-claim-self claimself; s5=$SENT rc5=$RC
send dgram claim-root rootclaim; rc6=$RC
send stream plain stream; s7=$SENT rc7=$RC
stop dgram
stop stream
diag "dgram receiver:" "$(cat "$TMP/dgram.out")" "stream receiver:" "$(cat "$TMP/stream.out")"

grep -q "judged by the supervisor" "$TMP/err.plain"
check "the supervisor performs these sends (run says so)" [ $? -eq 0 ]
h=$(heard dgram plain)
check "sendmsg: the receiver sees the agent's own pid, uid and gid ($s1, heard $h)" \
	[ "$rc1" -eq 0 -a -n "$h" -a "$h" = "$s1" ]
h=$(heard dgram sendto)
check "sendto: the same ($s2, heard $h)" [ "$rc2" -eq 0 -a -n "$h" -a "$h" = "$s2" ]
h=$(heard dgram dropped)
check "an agent that dropped to nobody is heard as nobody, not as the root supervisor ($s3, heard $h)" \
	[ "$rc3" -eq 0 -a -n "$h" -a "$h" = "$s3" -a "${h#*:}" = 65534:65534 ]
check "as nobody, claiming pid 1 / uid 0: EPERM, as natively ($o4)" [ "$rc4" -eq 3 ]
check "and from outside: the receiver never heard that claim" \
	[ -s "$TMP/dgram.out" -a -z "$(heard dgram claimroot)" ]
h=$(heard dgram claimself)
check "as nobody, claiming its own pid, uid and gid: sent as claimed ($s5, heard $h)" \
	[ "$rc5" -eq 0 -a -n "$h" -a "$h" = "$s5" ]
h=$(heard dgram rootclaim)
check "root (CAP_SYS_ADMIN) claiming pid 1 / uid 0: sent, as natively (heard $h)" \
	[ "$rc6" -eq 0 -a "$h" = 1:0:0 ]
h=$(heard stream stream)
check "a UNIX stream's sendmsg: the receiver sees the agent's own credentials ($s7, heard $h)" \
	[ "$rc7" -eq 0 -a -n "$h" -a "$h" = "$s7" ]
# what stays the supervisor's: the connecting peer (SO_PEERCRED is taken
# from the process that calls connect, and the supervisor calls it)
peer=$(awk '$1 == "stream" { print $4 }' "$TMP/stream.out")
check "what stays the supervisor's: the stream's SO_PEERCRED (docs/SECURITY.md) (agent $s7, $peer)" \
	[ -n "$peer" -a "${peer#peer=}" != "$s7" ]
finish
