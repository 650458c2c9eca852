#!/bin/sh
# audit_concurrency.sh - 8 processes x 4 threads x 5,000 records into one
# log: exactly 160,000 records, seq 1..160000, the chain intact; and the same
# with batch fsync and rotation under way.
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
plan 6

# field FILE KEY: one value of the JSON verdict in FILE.
field() { "$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

L="$TMP/c/audit.log"
if "$W" -p 8 -t 4 -n 5000 -s never "$L"; then
	ok "8 processes x 4 threads appended 5,000 records each"
else
	fail "8 processes x 4 threads appended 5,000 records each"
fi
n=$(wc -l <"$L")
if [ "$n" -eq 160000 ]; then ok "160000 lines"; else fail "160000 lines (got $n)"; fi
"$V" --json "$L" >"$TMP/v.json"
rc=$?
if [ $rc -eq 0 ] && [ "$(field "$TMP/v.json" records)" = 160000 ] &&
   [ "$(field "$TMP/v.json" first_seq)" = 1 ] && [ "$(field "$TMP/v.json" last_seq)" = 160000 ]; then
	ok "seq 1..160000, chain intact"
else
	fail "seq 1..160000, chain intact"; diag "$(cat "$TMP/v.json")"
fi
# every process and thread is in the chain, each in its own order
if "$PYTHON3" - "$L" <<'PY'
import json, sys, collections
last = collections.defaultdict(lambda: -1)
for line in open(sys.argv[1], "rb"):
    d = json.loads(line)
    key = (d["pid"], d["path"].split("/")[3])
    i = d["flags"]
    assert i == last[key] + 1, (key, i, last[key])
    last[key] = i
assert len(last) == 32 and all(v == 4999 for v in last.values()), last
PY
then ok "32 writers, each thread's records in its own order"; else fail "32 writers in order"; fi

R="$TMP/r/audit.log"
if "$W" -p 4 -t 4 -n 1000 -s batch -m 262144 "$R"; then
	ok "4 processes x 4 threads with batch fsync and rotation"
else
	fail "4 processes x 4 threads with batch fsync and rotation"
fi
"$V" --json "$R" >"$TMP/r.json"
rc=$?
nseg=$(ls "$TMP/r" | grep -c 'audit\.log\.[0-9]*$')
if [ $rc -eq 0 ] && [ "$(field "$TMP/r.json" records)" = 16000 ] && [ "$nseg" -ge 10 ]; then
	ok "16000 records across $nseg segments, intact"
else
	fail "rotated log intact ($nseg segments)"; diag "$(cat "$TMP/r.json")"
fi
finish
