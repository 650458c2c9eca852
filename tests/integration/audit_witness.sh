#!/bin/sh
# audit_witness.sh - checkpoints reach every witness in [audit] witness (a
# second file, the journal's native protocol), records reach a collector
# over syslog+tcp, an unreachable witness holds nothing up and shows in
# fleetguard status, and verify judges by each.
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
make_ws
plan 10
export XDG_STATE_HOME="$TMP/state"
LOG="$WS/.fleetguard/audit.log"
gone() { [ ! -e "$LOG.sock" ]; }

# A journal socket (datagrams, one per line of journal.txt) and a syslog
# collector (RFC 6587 octet counting: the MSG of each frame, one a line).
"$PYTHON3" - "$TMP" <<'PY' &
import os, select, socket, sys
tmp = sys.argv[1]
j = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
j.bind(tmp + "/journal.sock")
t = socket.socket()
t.bind(("127.0.0.1", 0))
t.listen(4)
open(tmp + "/port.tmp", "w").write(str(t.getsockname()[1]))
os.rename(tmp + "/port.tmp", tmp + "/port")
jout = open(tmp + "/journal.txt", "ab", buffering=0)
jraw = open(tmp + "/journal.raw", "ab", buffering=0)
cout = open(tmp + "/collector.log", "ab", buffering=0)
conns, bufs = [], {}
while True:
    r, _, _ = select.select([j, t] + conns, [], [], 60)
    if not r:
        break
    for s in r:
        if s is j:
            d = j.recv(65536)
            jraw.write(d.replace(b"\n", b" ") + b"\n")
            # what journalctl -o cat prints: the MESSAGE field
            for f in d.split(b"\n"):
                if f.startswith(b"MESSAGE="):
                    jout.write(f[8:] + b"\n")
        elif s is t:
            c, _ = t.accept()
            conns.append(c)
            bufs[c] = b""
        else:
            d = s.recv(65536)
            if not d:
                conns.remove(s)
                continue
            bufs[s] += d
            while b" " in bufs[s]:
                n, rest = bufs[s].split(b" ", 1)
                if len(rest) < int(n):
                    break
                frame, bufs[s] = rest[:int(n)], rest[int(n):]
                # <85>1 (authpriv.notice) TS HOST APP PROCID MSGID SD MSG
                parts = frame.split(b" ", 7)
                assert parts[0] == b"<85>1" and parts[3] == b"fg-auditd" and parts[5] == b"audit"
                cout.write(parts[7] + b"\n")
PY
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$TMP"' EXIT
wait_until 20 test -f "$TMP/port"
port=$(cat "$TMP/port")

cat > "$WS/p.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off

[audit]
witness = file, file:$TMP/second.witness, journald:$TMP/journal.sock
forward = syslog+tcp://127.0.0.1:$port
checkpoint_every = 5
INI
cd "$WS" || exit 1
fg "$WS/p.ini" "$PYTHON3" -c '
for i in range(20):
    open("f%d.txt" % i, "w").write("x")'
wait_until 10 gone
witness=$(ls "$XDG_STATE_HOME"/fleetguard/audit/*.witness)
id=$(basename "$witness" .witness)
records=$(grep -c . "$LOG")
check "checkpoints every 5 records: several in the default witness" \
	[ "$(grep -c 'fleetguard-checkpoint v1' "$witness")" -ge 4 ]
check "the second witness file holds the same checkpoints" cmp -s "$witness" "$TMP/second.witness"
wait_until 10 sh -c "[ \$(grep -c 'MESSAGE=fleetguard-checkpoint v1' '$TMP/journal.raw') -eq \$(grep -c . '$witness') ]"
check "the journal got each one (native protocol)" \
	grep -q "MESSAGE=fleetguard-checkpoint v1 log=$id .*SYSLOG_IDENTIFIER=fg-auditd" "$TMP/journal.raw"
check "verify --witness takes the journal's export (journalctl -o cat)" \
	sh -c "\"$V\" --witness '$TMP/journal.txt' '$LOG' | grep -q 'signed checkpoints agree'"
wait_until 10 sh -c "[ \$(grep -c . '$TMP/collector.log') -ge $records ]"
check "the collector got every record ($records), RFC 5424 over octet-counted TCP" \
	cmp -s "$LOG" "$TMP/collector.log"
check "the chain rebuilt from the collector's file verifies against the checkpoints" \
	sh -c "\"$V\" --log-id $id '$TMP/collector.log' | grep -q 'signed checkpoints agree'"
head -n $((records - 2)) "$TMP/collector.log" > "$TMP/short.log"
check "a collector's file that misses the last records is not intact" \
	sh -c "\"$V\" --log-id $id '$TMP/short.log' | grep -q 'not intact: truncated'"

# an unreachable witness: the agent is not held up, status says so
sed -i "s|^witness = .*|witness = file, journald:$TMP/nowhere.sock|" "$WS/p.ini"
sed -i "/^forward/d" "$WS/p.ini"
fg "$WS/p.ini" sleep 20 &
keep=$!
wait_until 10 test -S "$LOG.sock"
fg "$WS/p.ini" "$PYTHON3" -c 'open("g.txt", "w").write("x")'
check "an agent runs with a witness unreachable" grep -q '"path":"[^"]*/g.txt"' "$LOG"
wait_until 10 sh -c "FLEETGUARD_POLICY='$WS/p.ini' '$FG_BIN/fleetguard' status 2>&1 | grep -q 'witness journald $TMP/nowhere.sock: failing'"
FLEETGUARD_POLICY="$WS/p.ini" "$FG_BIN/fleetguard" status > "$TMP/status" 2>&1
check "fleetguard status shows it failing and waiting" \
	grep -q "witness journald $TMP/nowhere.sock: failing (No such file or directory), 0 sent, [1-9][0-9]* waiting" "$TMP/status"
check "and the file witness fine" grep -q "witness file $witness: ok" "$TMP/status"
kill $keep 2>/dev/null
finish
