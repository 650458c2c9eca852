#!/bin/bash
# landlock_writetree.sh - a write tree that does not exist at launch is made
# then, so the kernel grants what the policy allows; where the kernel still
# refuses what the library allowed, the agent's stderr says so and the
# audit record carries the real result.
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
plan 8
ll_setup
cat > "$POL" <<INI
[filesystem]
kernel = on
write = \${root}/out/deep, /proc/fg-no-such-dir/out
[audit]
log = $LOG
INI
cd "$WS" || exit 1

fgrun --policy "$POL" -- "$PYTHON3" -c '
import os
os.makedirs("out/deep/x")
with open("out/deep/x/f", "w") as f: f.write("made")
print("ok")' > "$TMP/out" 2> "$TMP/err"
rc=$?
diag "$(cat "$TMP/out" "$TMP/err")"
check "fleetguard run makes the missing write tree: the agent writes in it (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && [ \"\$(cat '$TMP/out')\" = ok ] && [ \"\$(cat '$WS/out/deep/x/f')\" = made ]"
check "a write tree that cannot be made is named on stderr with its line" \
	grep -q "^fleetguard: write tree '/proc/fg-no-such-dir/out' (line 3) does not exist and cannot be made: " "$TMP/err"

# The kernel grants the tree, not its parent: removing the tree itself is
# allowed by the library and refused by Landlock.
fgrun --policy "$POL" -- "$PYTHON3" -c '
import os
try:
    os.rmdir("out/deep")
except PermissionError as e:
    print("denied", e.errno)' > "$TMP/out" 2> "$TMP/err"
check "rmdir of the tree itself raises PermissionError (errno 13)" [ "$(cat "$TMP/out")" = "denied 13" ]
check "the kernel's refusal gets the denial line, naming the kernel and the rule" \
	grep -qx "fleetguard: denied rmdir $WS/out/deep: refused by the kernel (landlock) (policy $POL:3)" "$TMP/err"
check "its record says what happened: allowed by the policy, EACCES from the call" \
	grep -q "\"op\":\"rmdir\",\"path\":\"$WS/out/deep\",.*\"decision\":\"allow\",\"rule\":\"$POL:3\",\"result\":\"EACCES\"" "$LOG"
check "and the tree is still there" [ -d "$WS/out/deep" ]

# Every allowed call is recorded with what it returned, Landlock or not.
FLEETGUARD_QUIET=1 fg "$POL" "$PYTHON3" -c '
import os
try:
    os.mkdir("out/deep/x")
except FileExistsError:
    print("exists")' > "$TMP/out" 2> "$TMP/err"
check "mkdir of an existing directory raises FileExistsError, as without the library" \
	[ "$(cat "$TMP/out")" = exists ]
check "its record carries EEXIST, not 0" \
	grep -q "\"op\":\"mkdir\",\"path\":\"$WS/out/deep/x\",.*\"decision\":\"allow\",.*\"result\":\"EEXIST\"" "$LOG"
finish
