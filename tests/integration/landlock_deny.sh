#!/bin/bash
# landlock_deny.sh - deny under the kernel: carved out of a read-only tree
# (raw reads refused, the rest of the tree readable), and inside a write
# tree hidden by fleetguard run's mount masking (said in one line instead of
# the old shim-only note; the raw read is refused), the audit log's
# directory inside a write tree likewise.  floor_mask.sh has the rest.
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
plan 10
ll_setup
RO="$TMP/ro"
mkdir -p "$RO/hidden/deep" "$RO/sub" "$WS/secrets"
echo ro-top > "$RO/top.txt"; echo ro-sub > "$RO/sub/y.txt"
echo hidden > "$RO/hidden/deep/x.txt"; echo ws-secret > "$WS/secrets/key.txt"
ll_policy "$WS/deny.ini" auto "read = $RO
deny = $RO/hidden/deep, \${root}/secrets"
cd "$WS" || exit 1

raw() { fgrun --policy "$WS/deny.ini" -- "$PYTHON3" -c "$RAW_OPEN" "$1" 2>/dev/null; }
out=$(raw "$RO/hidden/deep/x.txt"); rc=$?
check "read-only tree: a raw read of the denied path is refused by the kernel ($out)" \
	sh -c "[ $rc -eq 3 -o $rc -eq 4 ] && ! echo '$out' | grep -q opened"
out=$(raw "$RO/top.txt"); rc=$?
check "read-only tree: a file beside the way down stays readable ($out)" [ $rc -eq 0 ]
out=$(raw "$RO/sub/y.txt"); rc=$?
check "read-only tree: a sibling directory stays readable ($out)" [ $rc -eq 0 ]
out=$(fgrun --policy "$WS/deny.ini" -- /bin/ls "$RO" "$RO/hidden" 2>&1 | tr '\n' ' ')
check "read-only tree: the directories on the way down can be listed ($out)" \
	sh -c "echo '$out' | grep -q top.txt && echo '$out' | grep -q deep"
out=$(fgrun --policy "$WS/deny.ini" -- sh -c "LD_PRELOAD= /bin/ls -A '$RO/hidden/deep'" 2>&1)
check "read-only tree: the names inside the denied directory are hidden by the mask ($out)" \
	sh -c "! echo '$out' | grep -q x.txt"

fgrun --policy "$WS/deny.ini" -- /bin/true 2> "$TMP/err"
check "write tree: the run says the deny is masked, not shim-only" \
	sh -c "grep -q 'floor: masking in a mount namespace (2 paths' '$TMP/err' && ! grep -q 'lies in write tree' '$TMP/err'"
out=$(raw "$WS/secrets/key.txt"); rc=$?
check "write tree: a raw read of the denied path is refused under the mask ($out)" \
	sh -c "[ $rc -ne 0 ] && ! echo '$out' | grep -q opened"
out=$(fgrun --policy "$WS/deny.ini" -- "$PYTHON3" -c "open('$WS/secrets/key.txt').read()" 2>&1); rc=$?
check "write tree: the library still refuses it" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'fleetguard: denied open'"

printf '[filesystem]\nwrite = ${root}\n' > "$WS/default.ini"
fgrun --policy "$WS/default.ini" -- /bin/true 2> "$TMP/err"
check "an audit log inside a write tree: masked, in one line" \
	grep -q "floor: masking in a mount namespace (1 path hidden" "$TMP/err"
out=$(fgrun --policy "$WS/default.ini" -- "$PYTHON3" -c "$RAW_OPEN" "$WS/.fleetguard/audit.log" 2>/dev/null); rc=$?
check "an audit log inside a write tree: a raw read is refused ($out)" \
	sh -c "[ $rc -ne 0 ] && ! echo '$out' | grep -q opened"
finish
