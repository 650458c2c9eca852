#!/bin/bash
# audit_pool_run.sh - under fleetguard run, processes take spare audit connections from the tree's pool instead of connecting.
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
plan 7
audit_ws
fg_prove_run

# What an image holds: is its audit connection a spare (a socket pair the
# daemon made: no path, the daemon at the other end, the pool at 1020
# connected to the log's socket)?  Printed as "spare" or "own".
cat > "$WS/work/conn.py" <<'PY'
import os, socket, struct, sys
def peer_of(n):
    s = socket.socket(fileno=os.dup(n))
    try:
        cred = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        return s.getpeername(), struct.unpack("3i", cred)[0]
    finally:
        s.close()
sock = sys.argv[1] + ".sock"
try:
    pool, dpid = peer_of(1020)
except OSError:         # closed in a child: it was not a pool
    pool, dpid = None, -1
kinds = []
for fd in range(512, 1020):
    try:
        peer, pid = peer_of(fd)
    except OSError:
        continue
    if peer == sock:
        kinds.append("own")
    elif (peer == "" or peer[:1] == b"\0") and pool == sock and pid == dpid:
        kinds.append("spare")
print(" ".join(kinds) or "none")
PY

# 1. a shell's vfork children and CPython's subprocess children (which
# close every descriptor first: the pool is kept) take spares
cat > "$WS/work/agent.py" <<'PY'
import subprocess, sys
conn, log = sys.argv[1], sys.argv[2]
for _ in range(3):
    print(subprocess.run([sys.executable, conn, log], capture_output=True,
                         text=True, check=True).stdout.strip())
print(subprocess.run(["/bin/sh", "-c", 'for i in 1 2; do "$0" "$1" "$2"; done',
                      sys.executable, conn, log], capture_output=True, text=True,
                     check=True).stdout.strip().replace("\n", " "))
PY
out=$(fgrun --policy "$WS/fleetguard.ini" -- "$PYTHON3" "$WS/work/agent.py" \
	"$WS/work/conn.py" "$LOG" 2> "$TMP/err" | tr '\n' ' ')
check "subprocess and sh children hold a spare each ($out)" \
	[ "$out" = "spare spare spare spare spare " ]
check "the log is intact" "$VERIFY" "$LOG"
n=$(grep '"op":"start"' "$LOG" | grep -c '"exe":"[^"]*python')
check "every python image wrote its start record ($n)" [ "$n" -eq 6 ]
n=$(grep -c '"op":"exit"' "$LOG")
check "... and its exit ($n)" [ "$n" -ge 6 ]

# 2. where strace is, the count of connects: the launcher's only
if command -v strace > /dev/null; then
	strace -f -qq -e trace=connect -o "$TMP/st" "$FG_TOOL" run --policy "$WS/fleetguard.ini" -- \
		/bin/sh -c 'for i in 1 2 3 4 5 6 7 8; do /bin/true; done' 2> "$TMP/err"
	launcher=$(head -1 "$TMP/st" | cut -d' ' -f1)
	others=$(grep "audit.log.sock" "$TMP/st" | grep -vc "^$launcher ")
	check "eight /bin/true: no process but the launcher connects to the daemon ($others)" \
		[ "$others" -eq 0 ]
else
	skip_check "eight /bin/true: no process but the launcher connects" "strace not installed"
fi

# 3. the agent puts a socket pair of its own at the pool's number, with a
# message in it: children connect themselves, are recorded, and the
# agent's message is never read
cat > "$WS/work/forge.py" <<'PY'
import os, socket, subprocess, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
b.send(b"C")
os.dup2(a.fileno(), 1020, inheritable=True)
print(subprocess.run([sys.executable, sys.argv[1], sys.argv[2]], capture_output=True,
                     text=True, check=True).stdout.strip())
r = socket.socket(fileno=os.dup(1020))
r.setblocking(False)
print(len(r.recv(16)))
PY
before=$(grep -c '"op":"start"' "$LOG")
out=$(fgrun --policy "$WS/fleetguard.ini" -- "$PYTHON3" "$WS/work/forge.py" \
	"$WS/work/conn.py" "$LOG" 2> "$TMP/err" | tr '\n' ' ')
check "a forged pool: the child holds its own connection, the message stays ($out)" \
	[ "$out" = "own 1 " ]
after=$(grep -c '"op":"start"' "$LOG")
check "... and both images are recorded, the log intact" \
	eval '[ $((after - before)) -eq 2 ] && "$VERIFY" "$LOG" > /dev/null'
