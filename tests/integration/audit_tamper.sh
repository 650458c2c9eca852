#!/bin/sh
# audit_tamper.sh - every way of tampering with a real log is caught, and the
# verdict names the reason, file, line and seq; a crash is told apart.
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

W="$FG_TOP_BUILDDIR/tests/audit_writer"
V="$FG_TOP_BUILDDIR/fleetguard-verify"
make_ws
plan 30

# edit FILE ACTION ARGS...: change a log the way an attacker would.
edit() {
	"$PYTHON3" - "$@" <<'PY'
import hashlib, sys
path, action, args = sys.argv[1], sys.argv[2], sys.argv[3:]
lines = open(path, "rb").read().split(b"\n")
assert lines[-1] == b""
lines = lines[:-1]
def rehash(i):
    l = lines[i]
    k = l.rindex(b',"hash":')
    lines[i] = l[:k] + b',"hash":"' + hashlib.sha256(l[:k]).hexdigest().encode() + b'"}'
def rechain(start):
    # renumber and relink from start on, as a forger without a key would
    for i in range(start, len(lines)):
        l = lines[i]
        seq = int(l[7:l.index(b",")])
        prev = b"0" * 64 if i == 0 else lines[i - 1][-66:-2]
        newseq = 1 if i == 0 else int(lines[i - 1][7:lines[i - 1].index(b",")]) + 1
        l = b'{"seq":%d' % newseq + l[l.index(b","):]
        k = l.rindex(b',"prev":"')
        lines[i] = l[:k] + b',"prev":"' + prev + b'"' + l[k + 74:]
        rehash(i)
n = int(args[0]) - 1 if args else 0
if action == "byte":
    lines[n] = lines[n].replace(b'"/w/', b'"/x/', 1)
elif action == "hash":
    l = lines[n]
    lines[n] = l[:-66] + (b"1" if l[-66:-65] != b"1" else b"2") + l[-65:]
elif action == "delete":
    del lines[n]
elif action == "swap":
    lines[n], lines[n + 1] = lines[n + 1], lines[n]
elif action == "forge":
    forged = lines[n].replace(b'"decision":"deny"', b'"decision":"allow"').replace(b'"/w/', b'"/forged/', 1)
    lines.insert(n + 1, forged)
    rechain(n + 1)
elif action == "garbage":
    lines.insert(n, b"this is not a record")
open(path, "wb").write(b"".join(l + b"\n" for l in lines))
PY
}

# verdict RC STATUS LINE SEQ NAME -- VERIFY-ARGS...: the JSON verdict says
# STATUS at LINE and SEQ ("-" for any) and the exit status is RC.
verdict() {
	want_rc=$1 want_st=$2 want_line=$3 want_seq=$4 name=$5
	shift 6
	out=$("$V" --json "$@" 2>"$TMP/err")
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && printf '%s\n' "$out" | "$PYTHON3" -c '
import json, sys
d = json.loads(sys.stdin.read())
st, line, seq = sys.argv[1:4]
good = d["status"] == st and (line == "-" or d.get("line") == int(line)) \
    and (seq == "-" or d.get("seq") == int(seq))
sys.exit(0 if good else 1)' "$want_st" "$want_line" "$want_seq"; then
		ok "$name"
	else
		fail "$name"
		diag "exit $rc, expected $want_rc $want_st line $want_line seq $want_seq" "$out" "$(cat "$TMP/err")"
	fi
}

# A real log: two forked processes with two threads each, 10 records a thread.
L="$TMP/a/audit.log"
"$W" -p 2 -t 2 -n 10 "$L" || { fail "build the log"; finish; }
cp "$L" "$TMP/orig"
cp "$L.head" "$TMP/orig.head"
HEAD=$(tail -n 1 "$L" | sed 's/.*"hash":"\([0-9a-f]*\)"}$/\1/')
fresh() { cp "$TMP/orig" "$L"; cp "$TMP/orig.head" "$L.head"; }

verdict 0 intact - - "an untouched log is intact" -- "$L"

fresh; edit "$L" byte 17
verdict 1 "hash mismatch" 17 17 "one changed byte of a field" -- "$L"

fresh; edit "$L" hash 23
verdict 1 "hash mismatch" 23 23 "a changed hash, nothing recomputed" -- "$L"

fresh; edit "$L" delete 12
verdict 1 "seq gap" 12 13 "a deleted middle record" -- "$L"

fresh; edit "$L" swap 30
verdict 1 "seq gap" 30 31 "two swapped records" -- "$L"

fresh; edit "$L" garbage 5
verdict 1 "malformed line" 5 - "an inserted line that is not a record" -- "$L"

fresh; sed -i '$d' "$L"
verdict 0 intact - - "a deleted last record is invisible without a head" -- "$L"
verdict 1 "head mismatch" 39 39 "a deleted last record fails --expect-head" -- --expect-head "$HEAD" "$L"
fresh
verdict 0 intact - - "the head is found when nothing was deleted" -- --expect-head "$HEAD" "$L"
"$W" -n 3 "$L"
verdict 0 intact - - "the old head is still found after more appends" -- --expect-head "$HEAD" "$L"
cp "$TMP/orig" "$L"
"$W" -n 1 "$L"
verdict 1 "seq gap" 41 44 "records cut off behind the writer's back show at its next append" -- "$L"

fresh; edit "$L" forge 20
verdict 0 intact - - "a forged record with recomputed SHA-256 passes without a key (known limit)" -- "$L"
if grep -q '"/forged/' "$L"; then ok "the forgery is in the log"; else fail "the forgery is in the log"; fi

# --- HMAC ---------------------------------------------------------------
K="$TMP/audit.key"
head -c 32 /dev/urandom >"$K"
chmod 600 "$K"
H="$TMP/h/audit.log"
"$W" -t 2 -n 10 -k "$K" "$H" || fail "build the HMAC log"
verdict 0 intact - - "an HMAC log verifies with its key" -- --key "$K" "$H"
verdict 1 "hash mismatch" 1 1 "an HMAC log fails without its key" -- "$H"
edit "$H" forge 8
verdict 1 "hash mismatch" 9 9 "a forged record is caught in HMAC mode" -- --key "$K" "$H"
chmod 644 "$K"
"$V" --key "$K" "$H" >/dev/null 2>"$TMP/err"
if [ $? -eq 2 ] && grep -q "accessible by group or others" "$TMP/err"; then
	ok "a world-readable key is refused"
else
	fail "a world-readable key is refused"; diag "$(cat "$TMP/err")"
fi

# --- segments -----------------------------------------------------------
S="$TMP/s/audit.log"
"$W" -n 60 -m 4000 "$S" || fail "build a rotated log"
nseg=$(ls "$TMP/s" | grep -c 'audit\.log\.[0-9]*$')
if [ "$nseg" -ge 4 ]; then ok "the log rotated into $nseg segments"; else fail "the log rotated ($nseg segments)"; fi
verdict 0 intact - - "segments chain across" -- "$S"
cp -r "$TMP/s" "$TMP/s.orig"
mv "$TMP/s/audit.log.2" "$TMP/s2"
verdict 1 "missing segment" 0 - "a removed segment is missing" -- "$S"
mv "$TMP/s2" "$TMP/s/audit.log.2"
mv "$TMP/s/audit.log.$nseg" "$TMP/slast"
verdict 1 "missing segment" 1 - "a removed newest segment is missing" -- "$S"
mv "$TMP/slast" "$TMP/s/audit.log.$nseg"
mv "$TMP/s/audit.log.2" "$TMP/s2" && mv "$TMP/s/audit.log.3" "$TMP/s/audit.log.2" &&
	mv "$TMP/s2" "$TMP/s/audit.log.3"
verdict 1 "reordered segment" 1 - "two segments swapped are reordered" -- "$S"
rm -rf "$TMP/s"; mv "$TMP/s.orig" "$TMP/s"
verdict 0 intact - - "put back, the segments verify again" -- "$S"

# --- a crash is not tampering ---------------------------------------------
fresh
"$W" -T 70 "$L"
verdict 1 "torn tail" 41 - "a torn last line is a torn tail" -- "$L"
"$W" -n 1 "$L"
verdict 0 intact - - "the next append repairs the torn line" -- "$L"
if "$V" "$L" | grep -q "1 repaired crash"; then ok "the repair is reported"; else fail "the repair is reported"; fi

# --- printing -----------------------------------------------------------
fresh
n=$("$V" --print --decision deny --op open "$L" 2>/dev/null | wc -l)
if [ "$n" -eq 16 ]; then ok "--print --decision deny shows the 16 denials"; else fail "--print filters ($n lines)"; fi
# paths that are not UTF-8 come back byte for byte
if "$V" --print "$L" 2>/dev/null | head -n 1 | od -An -c | grep -q '377'; then
	ok "--print restores the original bytes of a path"
else
	fail "--print restores the original bytes of a path"
fi
n=$("$V" --print --json --until 2000-01-01 "$L" | wc -l)
if [ "$n" -eq 1 ]; then ok "--until before the first record prints only the verdict"; else fail "--until ($n lines)"; fi

# --- usage --------------------------------------------------------------
"$V" >/dev/null 2>&1; rc1=$?
"$V" --from x "$L" >/dev/null 2>&1; rc2=$?
"$V" "$TMP/nothing/here.log" >/dev/null 2>&1; rc3=$?
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ]; then ok "usage and I/O errors exit 2"
else fail "usage and I/O errors exit 2 ($rc1 $rc2 $rc3)"; fi

finish
