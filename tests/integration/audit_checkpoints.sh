#!/bin/sh
# audit_checkpoints.sh - the attacks of issue 13 on a library-only log, each
# judged by fleetguard-verify from outside: truncation, a recomputed chain,
# a forged checkpoint, a log descriptor to truncate, a fake daemon socket.
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
plan 20
export XDG_STATE_HOME="$TMP/state"
LOG="$WS/.fleetguard/audit.log"
cat > "$WS/p.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off
INI

# vst ARGS...: fleetguard-verify's exit status, its output in $TMP/v
vst() { "$V" "$@" > "$TMP/v" 2>&1; echo $?; }

# gone: the log's daemon has left (its last checkpoint is out)
gone() { [ ! -e "$LOG.sock" ]; }

# the agent: writes files, is denied one, and looks for a log descriptor
AGENT='
import os, sys
for i in range(5):
    open("f%d.txt" % i, "w").write("x")
try:
    open("/etc/shadow")
except OSError:
    pass
log = os.path.realpath(sys.argv[1])
held = []
for fd in os.listdir("/proc/self/fd"):
    try:
        t = os.readlink("/proc/self/fd/" + fd)
    except OSError:
        continue
    if t.startswith(log):
        held.append(fd)
        try:
            os.ftruncate(int(fd), 0)
        except OSError:
            pass
print("held" if held else "none")
'
cd "$WS" || exit 1
# two processes: each one's exit is checkpointed
fg "$WS/p.ini" "$PYTHON3" -c "$AGENT" "$LOG" >/dev/null 2>&1
out=$(fg "$WS/p.ini" "$PYTHON3" -c "$AGENT" "$LOG" 2>/dev/null)
check "library only: the agent holds no descriptor of the log (nothing to ftruncate)" \
	[ "$out" = none ]
wait_until 10 gone
"$V" "$LOG" > "$TMP/v" 2>&1
check "the untouched log verifies, with its signed checkpoints" \
	grep -q 'signed checkpoints* agree' "$TMP/v"
witness=$(ls "$XDG_STATE_HOME"/fleetguard/audit/*.witness)
check "the default witness and key live under the state directory, the key 0600" \
	[ -f "$witness" -a "$(stat -c %a "$XDG_STATE_HOME/fleetguard/audit/signing.key")" = 600 ]
last=$(tail -n 1 "$LOG" | sed 's/^{"seq":\([0-9]*\),.*/\1/')

# 1. cut the last records and delete the head file
cp "$LOG" "$TMP/orig.log"
head -n $((last - 3)) "$TMP/orig.log" > "$LOG"
rm -f "$LOG.head"
st=$(vst "$LOG")
check "cut records and no head: not intact, exit 1" [ "$st" = 1 ]
check "the reason names the checkpoint and where the log ends" \
	grep -q "not intact: truncated: checkpoint of seq $last at [0-9T:-]*Z, log ends at seq $((last - 3))" "$TMP/v"
"$V" --json "$LOG" > "$TMP/j" 2>&1
check "--json carries the same" \
	grep -q "\"intact\":false,\"status\":\"truncated\".*log ends at seq $((last - 3))" "$TMP/j"

# 2. drop the deny record and recompute the whole chain (the library-only
# agent can: without key_file it needs no secret, with one it holds it)
"$PYTHON3" - "$TMP/orig.log" "$LOG" <<'PY'
import hashlib, sys
lines = [l for l in open(sys.argv[1], "rb").read().split(b"\n") if l and b'"decision":"deny"' not in l]
out, prev = [], b"0" * 64
for i, l in enumerate(lines):
    l = b'{"seq":%d' % (i + 1) + l[l.index(b","):]
    k = l.rindex(b',"prev":"')
    l = l[:k] + b',"prev":"' + prev + b'"' + l[k + 74:]
    k = l.rindex(b',"hash":')
    prev = hashlib.sha256(l[:k]).hexdigest().encode()
    out.append(l[:k] + b',"hash":"' + prev + b'"}')
open(sys.argv[2], "wb").write(b"\n".join(out) + b"\n")
PY
st=$(vst "$LOG")
check "deny record dropped, chain recomputed: the chain alone passes" \
	sh -c "\"$V\" --witness /dev/null \"$LOG\" | grep -q intact"
check "but the checkpoints catch it (exit $st)" [ "$st" = 1 ]
check "as a checkpoint mismatch or truncation" \
	grep -Eq 'not intact: (checkpoint mismatch|truncated)' "$TMP/v"
cp "$TMP/orig.log" "$LOG"

# 3. forge a checkpoint in the witness (a new head for a rewritten log)
cp "$witness" "$TMP/w.orig"
sed -i '$ s/head=\(.\)/head=0\1/; $ s/head=\(.\{64\}\)./head=\1/' "$witness"
st=$(vst "$LOG")
check "a changed checkpoint fails its signature" \
	sh -c "[ $st = 1 ] && grep -q 'bad checkpoint: checkpoint signature does not verify' '$TMP/v'"
cp "$TMP/w.orig" "$witness"
sed -i '1d' "$witness"
st=$(vst "$LOG")
check "a removed checkpoint breaks the checkpoint chain" \
	sh -c "[ $st = 1 ] && grep -q 'does not follow the one before it' '$TMP/v'"
cp "$TMP/w.orig" "$witness"

# 4. checkpoints exported from syslog or the journal, with their prefixes
sed 's/^/Dec  4 14:20:11 host fg-auditd[42]: /' "$witness" > "$TMP/syslog.txt"
check "--witness takes a syslog export" sh -c "\"$V\" --witness '$TMP/syslog.txt' '$LOG' | grep -q 'signed checkpoints* agree'"
head -n $((last - 1)) "$TMP/orig.log" > "$LOG"
st=$(vst --witness "$TMP/syslog.txt" "$LOG")
check "and judges a truncated log by it" [ "$st" = 1 ]
cp "$TMP/orig.log" "$LOG"
rm -f "$LOG.head"

# 5. a fake socket put over the daemon connection with dup2: the library
# sees its connection is gone and makes a new one; no record is lost
DUP='
import os, socket, sys
sock = []
for fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink("/proc/self/fd/" + fd).startswith("socket:") and int(fd) >= 3:
            sock.append(int(fd))
    except OSError:
        pass
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
for fd in sock:
    os.dup2(a.fileno(), fd)
for i in range(3):
    open("after-dup2-%d.txt" % i, "w").write("x")
print(len(sock))
'
n=$(fg "$WS/p.ini" "$PYTHON3" -c "$DUP" 2>/dev/null)
wait_until 10 gone
check "dup2 of a fake socket over the connection ($n replaced): records still arrive" \
	sh -c "[ \"$n\" -ge 1 ] && [ \$(grep -c 'after-dup2-' '$LOG') -ge 3 ]"
check "and the log still verifies against its checkpoints" sh -c "\"$V\" '$LOG' >/dev/null"

# 6. one process takes as many daemon connections as it can: a second
# agent on the same log still starts and records
HOG='
import socket, struct, sys, time
def cstr(s):
    return struct.pack("=I", len(s) + 1) + s + b"\0"
hello = b"H\0" + cstr(b"hog") + cstr(b"/hog")
s = []
for i in range(4096):
    try:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(sys.argv[1])
        c.send(hello)
        if len(c.recv(8)) == 8:
            s.append(c)
    except OSError:
        pass
print(len(s), flush=True)
time.sleep(30)
'
fg "$WS/p.ini" sleep 30 &
keep=$!
wait_until 10 test -S "$LOG.sock"
"$PYTHON3" -c "$HOG" "$LOG.sock" > "$TMP/hog" 2>&1 &
hog=$!
wait_until 20 test -s "$TMP/hog"
out=$(fg "$WS/p.ini" "$PYTHON3" -c 'open("second-agent.txt", "w").write("x"); print("started")' 2> "$TMP/second.err")
kill "$hog" "$keep" 2>/dev/null
held=$(cat "$TMP/hog")
check "one process holds only a few daemon connections ($held of 4096 asked)" \
	[ "$held" -ge 1 -a "$held" -lt 64 ]
check "a second agent starts beside it and records ($out$(head -c 200 "$TMP/second.err"))" \
	sh -c "[ '$out' = started ] && grep -q second-agent '$LOG'"

# 7. an HMAC log checked with the public key alone: the checkpoints'
# digests vouch for the records' contents
rm -f "$LOG"* "$XDG_STATE_HOME"/fleetguard/audit/*.witness
head -c 32 /dev/urandom > "$TMP/hmac.key"
chmod 600 "$TMP/hmac.key"
printf '\n[audit]\nkey_file = %s\n' "$TMP/hmac.key" >> "$WS/p.ini"
fg "$WS/p.ini" "$PYTHON3" -c 'open("hmac-1.txt", "w").write("x")' 2>/dev/null
wait_until 10 gone
check "HMAC log: verify without the key passes on the untouched log" \
	sh -c "\"$V\" '$LOG' | grep -q 'contents checked against the checkpoints. digests'"
sed -i 's|hmac-1.txt|hmac-2.txt|' "$LOG"
st=$(vst "$LOG")
check "a record changed in place (hash kept): caught without the key ($st)" \
	sh -c "[ $st = 1 ] && grep -q 'not intact: checkpoint mismatch: .*not the ones signed' '$TMP/v'"
st=$(vst --key "$TMP/hmac.key" "$LOG")
check "and with the key, as a hash mismatch" \
	sh -c "[ $st = 1 ] && grep -q 'hash mismatch' '$TMP/v'"
finish
