#!/bin/bash
# landlock_deny.sh - deny under the kernel: carved out of a read-only tree
# (raw reads refused, the rest of the tree readable), shim-only inside a
# write tree (said in one line, and the raw read gets through: asserted as
# the documented gap), and the note for an audit log inside a write tree.
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
plan 9
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
check "read-only tree: a raw read of the denied path is refused by the kernel ($out)" [ $rc -eq 3 ]
out=$(raw "$RO/top.txt"); rc=$?
check "read-only tree: a file beside the way down stays readable ($out)" [ $rc -eq 0 ]
out=$(raw "$RO/sub/y.txt"); rc=$?
check "read-only tree: a sibling directory stays readable ($out)" [ $rc -eq 0 ]
out=$(fgrun --policy "$WS/deny.ini" -- /bin/ls "$RO" "$RO/hidden" 2>&1 | tr '\n' ' ')
check "read-only tree: the directories on the way down can be listed ($out)" \
	sh -c "echo '$out' | grep -q top.txt && echo '$out' | grep -q deep"
out=$(raw "$RO/hidden/deep"); rc=$?
check "gap: read-only tree: the names inside the denied directory can be listed ($out)" [ $rc -eq 0 ]

fgrun --policy "$WS/deny.ini" -- /bin/true 2> "$TMP/err"
check "write tree: the run says the deny is shim-only" \
	grep -q "deny '$WS/secrets' (line 5) lies in write tree '$WS'" "$TMP/err"
out=$(raw "$WS/secrets/key.txt"); rc=$?
check "gap: write tree: a raw read of the denied path gets through ($out)" [ $rc -eq 0 ]
out=$(fgrun --policy "$WS/deny.ini" -- "$PYTHON3" -c "open('$WS/secrets/key.txt').read()" 2>&1); rc=$?
check "write tree: the library still refuses it" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'fleetguard: denied open'"

printf '[filesystem]\nwrite = ${root}\n' > "$WS/default.ini"
fgrun --policy "$WS/default.ini" -- /bin/true 2> "$TMP/err"
check "an audit log inside a write tree: one line says the kernel cannot protect it" \
	grep -q "the audit log's directory '$WS/.fleetguard' lies in write tree" "$TMP/err"
finish
