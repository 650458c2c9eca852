#!/bin/sh
# audit_verify_errors.sh - fleetguard-verify names each kind of damage to a log and its signed checkpoints: a record rewritten under a checkpoint, a malformed or foreign checkpoint line, an emptied log, a torn first record, and a witness or key it cannot use.
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
plan 18
export XDG_STATE_HOME="$TMP/state"
LOG="$WS/.fleetguard/audit.log"
cat > "$WS/p.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off
INI
gone() { [ ! -e "$LOG.sock" ]; }
# vst ARGS...: fleetguard-verify's exit status, its output in $TMP/v
vst() { "$V" "$@" > "$TMP/v" 2>&1; echo $?; }
# has TEXT: the last output holds TEXT (fixed), else shows it
has() { grep -qF -- "$1" "$TMP/v" || { diag "$(cat "$TMP/v")"; return 1; }; }

cd "$WS" || exit 1
# two agents, each one's exit checkpointed
fg "$WS/p.ini" sh -c 'echo a > f1; echo b > f2' 2> /dev/null
fg "$WS/p.ini" sh -c 'echo c > f3' 2> /dev/null
wait_until 10 gone
witness=$(ls "$XDG_STATE_HOME"/fleetguard/audit/*.witness)
first=$(sed -n '1s/.* seq=\([0-9]*\) .*/\1/p' "$witness")
cp "$LOG" "$TMP/orig.log"
cp "$witness" "$TMP/orig.witness"
st=$(vst "$LOG")
check "the log verifies with its checkpoints ($(wc -l < "$witness") of them, the first at seq $first)" \
	sh -c "[ $st = 0 ] && [ -n '$first' ] && grep -q 'signed checkpoints* agree' '$TMP/v'"
st=$(cd "$WS/.fleetguard" && vst audit.log)
check "a log named without a directory is found as the daemon named it" \
	sh -c "[ $st = 0 ] && grep -q 'signed checkpoints* agree' '$TMP/v'"

# 1. a record at or before the first checkpoint changed (f1 -> g1), the
# whole chain recomputed: the chain alone passes, the checkpoint's head not
"$PYTHON3" - "$TMP/orig.log" "$LOG" <<'PY'
import hashlib, sys
lines = [l for l in open(sys.argv[1], "rb").read().split(b"\n") if l]
out, prev, done = [], b"0" * 64, False
for l in lines:
    if not done and b"/f1\"" in l:
        l, done = l.replace(b"/f1\"", b"/g1\""), True
    k = l.rindex(b',"prev":"')
    l = l[:k] + b',"prev":"' + prev + b'"' + l[k + 74:]
    k = l.rindex(b',"hash":')
    prev = hashlib.sha256(l[:k]).hexdigest().encode()
    out.append(l[:k] + b',"hash":"' + prev + b'"}')
assert done
open(sys.argv[2], "wb").write(b"\n".join(out) + b"\n")
PY
mv "$LOG.head" "$TMP/orig.head"
check "the rewritten chain alone passes" sh -c "\"$V\" --witness /dev/null \"$LOG\" | grep -q intact"
st=$(vst "$LOG")
check "a record rewritten under a checkpoint: exit 1, the checkpoint's head against the record's" \
	sh -c "[ $st = 1 ] && grep -Eq 'not intact: checkpoint mismatch: checkpoint of seq $first at [0-9T:-]+Z has head [0-9a-f]{16}\.\.\., the log.s record has [0-9a-f]{16}\.\.\.: the log was rewritten' '$TMP/v'"
cp "$TMP/orig.log" "$LOG"
cp "$TMP/orig.head" "$LOG.head"

# 2. the log and its head file emptied (what a writer killed between making
# them leaves, so verify takes it as a log of 0 records): the checkpoints
# say how far it went
cp "$LOG.head" "$TMP/orig.head"
: > "$LOG"
: > "$LOG.head"
last=$(sed -n '$s/.* seq=\([0-9]*\) .*/\1/p' "$witness")
st=$(vst "$LOG")
check "an emptied log: exit 1, truncated, the last checkpoint named" \
	sh -c "[ $st = 1 ] && grep -Eq 'not intact: truncated: checkpoint of seq $last at [0-9T:-]+Z, the log has no records' '$TMP/v'" ||
	diag "$(cat "$TMP/v")"
cp "$TMP/orig.log" "$LOG"
cp "$TMP/orig.head" "$LOG.head"

# 3. a malformed checkpoint line in the witness (any log's: whose cannot be told)
printf 'fleetguard-checkpoint v1 log=%s seq=x\n' "$(basename "$witness" .witness)" >> "$witness"
n=$(wc -l < "$witness")
st=$(vst "$LOG")
check "a malformed checkpoint line: exit 1, named with its witness file and line" \
	sh -c "[ $st = 1 ] && grep -q 'bad checkpoint' '$TMP/v' && grep -qF 'the line is not a well-formed checkpoint' '$TMP/v' && grep -qF '$witness' '$TMP/v' && grep -Eq '(line |:)$n' '$TMP/v'"
cp "$TMP/orig.witness" "$witness"
# lines of other logs and other text are passed over
{ echo "Dec  6 01:02:03 host sshd[1]: unrelated"; sed 's/log=[0-9a-f]*/log=00000000000000000000000000000000/' "$TMP/orig.witness"; cat "$TMP/orig.witness"; } > "$TMP/mixed.witness"
st=$(vst --witness "$TMP/mixed.witness" "$LOG")
check "a witness shared with other logs and other text: their lines are passed over" \
	sh -c "[ $st = 0 ] && grep -q 'signed checkpoints* agree' '$TMP/v'"

# 4. witnesses and keys it cannot use
st=$(vst --witness "$TMP/none.witness" "$LOG")
check "--witness that does not exist: not judged intact, says why" \
	sh -c "[ $st -ne 0 ] && grep -qF \"cannot open witness '$TMP/none.witness': No such file or directory\" '$TMP/v'"
mkdir "$TMP/wdir"
st=$(vst --witness "$TMP/wdir" "$LOG")
check "--witness that is a directory: says it is one" \
	sh -c "[ $st -ne 0 ] && grep -qF \"cannot read witness '$TMP/wdir': Is a directory\" '$TMP/v'"
st=$(vst --pubkey "$TMP/none.pub" "$LOG")
check "--pubkey that does not exist" \
	sh -c "[ $st -ne 0 ] && grep -qF \"cannot open public key '$TMP/none.pub': No such file or directory\" '$TMP/v'"
openssl genpkey -algorithm ed25519 2> /dev/null | openssl pkey -pubout > "$TMP/other.pub" 2> /dev/null
st=$(vst --pubkey "$TMP/other.pub" "$LOG")
check "another Ed25519 key: exit 1, signed by another key" \
	sh -c "[ $st = 1 ] && grep -qF 'checkpoint signed by another key than the public key' '$TMP/v'"
cp "$WS/p.ini" "$TMP/text.pub"
st=$(vst --pubkey "$TMP/text.pub" "$LOG")
check "a public key file that is no key" \
	sh -c "[ $st -ne 0 ] && grep -qF \"'$TMP/text.pub' is not an Ed25519 public key in PEM\" '$TMP/v'"
for id in abc 0123456789ABCDEF0123456789ABCDEF 0123456789abcdef0123456789abcdef0; do
	st=$(vst --log-id "$id" --witness "$witness" "$LOG")
	has "bad --log-id '$id': expected 32 lower-case hex digits" && [ "$st" -ne 0 ] || break
done
check "--log-id not 32 lower-case hex digits (short, upper case, 33): each refused, named" \
	sh -c "[ $st -ne 0 ] && grep -qF \"bad --log-id '0123456789abcdef0123456789abcdef0'\" '$TMP/v'"
st=$(vst --log-id "$(basename "$witness" .witness)" --witness "$witness" "$TMP/orig.log")
check "--log-id of the log: its copy elsewhere verifies against the checkpoints" \
	sh -c "[ $st = 0 ] && grep -q 'signed checkpoints* agree' '$TMP/v'"
# 5. a writer killed inside the log's very first record leaves only a piece
# of it, perhaps not even all of {"seq": (audit_crash.sh met one under
# load): a torn tail like any other (SPEC 6), not "not an audit log"
T="$WS/torn/audit.log"
mkdir -p "$WS/torn"
first_rec=$(head -n 1 "$TMP/orig.log")
good=0
for k in 1 3 4 6 7 40; do
	printf '%s' "$first_rec" | head -c $k > "$T"
	st=$(vst "$T")
	[ "$st" = 1 ] && has "$T:1: torn tail: $k bytes without a newline end the log" || break
	st=$(vst --json "$T")
	[ "$st" = 1 ] && has '"status":"torn tail"' && has '"line":1,"offset":0,"seq":0' &&
		has '"records":0' || break
	good=$((good + 1))
done
check "a first record torn after 1, 3, 4 ({\"se), 6, 7 and 40 bytes: exit 1, torn tail at line 1 (stopped at $k)" \
	[ $good = 6 ]
# what merely looks like the start of a record is not one
good=0
for j in 'junk' '{"sx' 'x{"se' ' {"seq":' '{"se
'; do
	printf '%s' "$j" > "$T"
	st=$(vst "$T")
	[ "$st" = 2 ] && has "'$T' is not an audit log: no record in it" || break
	good=$((good + 1))
done
check "junk, or a record's start with a newline or a byte before it: still not an audit log" \
	[ $good = 5 ]
# the daemon's first append on such a log ends the piece with a newline and
# records a repair naming it, chained from 64 zeros; nothing is cut.  Each
# run has a log of its own (a log's witness would call a new one truncated)
runs=0
# torn_run BYTES: a log whose first record holds BYTES, the daemon's
# appends on it; T is the log
torn_run() {
	runs=$((runs + 1))
	T="$WS/torn$runs/audit.log"
	mkdir -p "$WS/torn$runs"
	printf '%s' "$1" > "$T"
	printf '[filesystem]\nsystem = yes\nwrite = ${root}\nkernel = off\n[audit]\nlog = %s\n' \
		"$T" > "$WS/torn.ini"
}
tgone() { [ ! -e "$T.sock" ]; }
good=0
for head in none empty; do
	torn_run '{"se'
	[ $head = empty ] && : > "$T.head"
	fg "$WS/torn.ini" sh -c 'echo t > t1' 2> /dev/null
	wait_until 10 tgone
	st=$(vst "$T")
	[ "$st" = 0 ] && has ': intact, ' && has ', 1 repaired crash' &&
		[ "$(head -n 1 "$T")" = '{"se' ] &&
		sed -n 2p "$T" | grep -q '^{"seq":1,.*"op":"repair","offset":0,"length":4,"sha256":"' ||
		break
	good=$((good + 1))
done
check "the daemon repairs a torn first record ({\"se), with no head file and with an empty one (stopped at $head)" \
	[ $good = 2 ]
good=0
for k in 1 4 6 7; do
	torn_run "$(printf '%s' "$first_rec" | head -c $k)"
	st=$(vst "$T")
	[ "$st" = 1 ] || break
	fg "$WS/torn.ini" sh -c 'echo t > t1' 2> /dev/null
	wait_until 10 tgone
	st=$(vst "$T")
	[ "$st" = 0 ] && has ', 1 repaired crash' || break
	good=$((good + 1))
done
check "torn tail, then repaired by the daemon, for a first record cut after 1, 4, 6 and 7 bytes (stopped at $k)" \
	[ $good = 4 ]
finish
