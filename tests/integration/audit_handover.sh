#!/bin/bash
# audit_handover.sh - an exec hands its audit connection to the new image, which checks it first.
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
plan 14
audit_ws
fg_prove_run

# What the new image holds: the hint, and the descriptor it names.
cat > "$WS/work/peek.py" <<'PY'
import os, socket, struct, sys
hint = os.environ.get("FLEETGUARD_AUDIT_FD", "")
fd = int(hint.split(":")[0]) if hint else -1
def peer_of(n):
    s = socket.socket(fileno=os.dup(n))
    try:
        cred = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        return s.getpeername(), struct.unpack("3i", cred)[0]
    finally:
        s.close()
ok = False
if fd >= 0:
    peer, pid = peer_of(fd)
    # connected to the log's socket, or a spare from the tree's pool: a
    # socket pair the daemon made (no path; the daemon at its other end)
    pool, dpid = peer_of(1020)
    ok = peer == sys.argv[1] + ".sock" or (
        (peer == "" or peer[:1] == b"\0") and pool == sys.argv[1] + ".sock" and pid == dpid)
print(fd >= 512, ok, fd >= 0 and not os.get_inheritable(fd))
PY

# 1. a shell's children (vfork + exec) and an exec without fork
out=$(fgrun --policy "$WS/fleetguard.ini" -- /bin/sh -c \
	"$PYTHON3 $WS/work/peek.py $LOG; exec $PYTHON3 $WS/work/peek.py $LOG" 2> "$TMP/err")
check "a vfork child's image gets its connection, high and close-on-exec again ($out)" \
	[ "$(printf '%s\n' "$out" | head -1)" = "True True True" ]
check "an exec without fork hands over the shell's own connection ($out)" \
	[ "$(printf '%s\n' "$out" | tail -1)" = "True True True" ]
check "the log is intact" "$VERIFY" "$LOG"
# every exec record comes before the start record of the image it started
check "each start record follows its exec record" "$PYTHON3" - "$LOG" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
for i, r in enumerate(recs):
    if r["op"] == "start" and "python" in r["exe"]:
        execs = [j for j, q in enumerate(recs[:i]) if q["op"] == "exec" and q["pid"] == r["pid"]]
        if not execs:
            sys.exit("start of pid %d without an exec before it" % r["pid"])
PY
n_start=$(grep -c '"op":"start"' "$LOG")
n_exit=$(grep -c '"op":"exit"' "$LOG")
check "every image wrote its start and exit ($n_start starts, $n_exit exits)" \
	[ "$n_start" -ge 3 ] && [ "$n_exit" -ge 2 ]

# 2. a hint that names something else is not trusted: a socketpair the
# agent made (it would read the records), a file, a number not open
cat > "$WS/work/forge.py" <<'PY'
import os, socket, subprocess, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
f = os.open("/dev/null", os.O_RDONLY)
res = []
for hint, keep in ((b.fileno(), b.fileno()), (f, f), (987, None)):
    env = dict(os.environ, FLEETGUARD_AUDIT_FD="%d:0" % hint)
    r = subprocess.run([sys.argv[1], "run", "--policy", sys.argv[2], "--",
                        sys.executable, "-c", "open('/etc/hostname').read() if 0 else None"],
                       env=env, pass_fds=(keep,) if keep else ())
    res.append(r.returncode)
a.setblocking(False)
try:
    got = a.recv(4096)
except BlockingIOError:
    got = b""
print(res, len(got))
PY
out=$("$PYTHON3" "$WS/work/forge.py" "$FG_TOOL" "$WS/fleetguard.ini" 2> "$TMP/err")
check "forged hints: every run goes on, the agent's socket hears nothing ($out)" \
	[ "$out" = "[0, 0, 0] 0" ]
check "... and the log is intact" "$VERIFY" "$LOG"
check "... with their start records" [ "$(grep -c '"op":"start"' "$LOG")" -ge $((n_start + 3)) ]

# 3. an exec that fails takes the connection back: records go on, and the
# descriptor is close-on-exec again
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import os, stat
try:
    os.execv('$WS/work/missing', ['missing'])
except OSError as e:
    print('failed', e.errno)
open('$WS/work/after', 'w').write('x')
socks = [fd for fd in range(512, 1024)
         if os.path.exists('/proc/self/fd/%d' % fd)
         and stat.S_ISSOCK(os.fstat(fd).st_mode)]
print(len(socks), all(not os.get_inheritable(fd) for fd in socks))" 2> "$TMP/err")
check "a failed exec: the error is the kernel's ($out)" \
	[ "$(printf '%s\n' "$out" | head -1)" = "failed 2" ]
check "... the connection is back, close-on-exec, and not doubled ($out)" \
	[ "$(printf '%s\n' "$out" | tail -1)" = "1 True" ]
check "... and the write after it is recorded" grep -q "\"op\":\"open\",\"path\":\"$WS/work/after\"" "$LOG"

# 4. the agent puts a socket of its own at the number its image adopted
# (docs/SECURITY.md, the adopted connection): before each record sent
# down it the library finds the number no longer names its connection
# (fstat), connects anew, and the agent's socket hears nothing
cat > "$WS/work/swap.py" <<'PY'
import os, socket, sys
fd = int(os.environ["FLEETGUARD_AUDIT_FD"].split(":")[0])
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
os.dup2(b.fileno(), fd)
open(sys.argv[1], "w").write("x")
a.setblocking(False)
try:
    got = a.recv(65536)
except BlockingIOError:
    got = b""
print(len(got))
PY
out=$(fg "$WS/fleetguard.ini" /bin/sh -c "$PYTHON3 $WS/work/swap.py $WS/work/swapped; :" 2> "$TMP/err")
check "an agent's socket put at the adopted descriptor hears nothing ($out)" [ "$out" = "0" ]
check "... the write is in the log" grep -q "\"op\":\"open\",\"path\":\"$WS/work/swapped\"" "$LOG"
check "... and so is the exit of the image that swapped it" \
	[ "$(grep '"exe":"[^"]*python' "$LOG" | tail -1 | grep -c '"op":"exit"')" = 1 ]
finish
