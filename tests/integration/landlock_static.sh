#!/bin/bash
# landlock_static.sh - a static binary reading outside the workspace with a
# raw openat: LD_PRELOAD alone cannot stop it (asserted: the documented
# gap); fleetguard run's Landlock domain does.
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
plan 7
ll_setup
echo data > "$WS/data.txt"
# The agent's own program lives in its workspace (the build tree is outside
# every allowed tree, so the kernel would not even let it be executed).
cp "$STATIC" "$WS/static_openat"
STATIC="$WS/static_openat"

file "$STATIC" 2>/dev/null | grep -q 'statically linked' || ! ldd "$STATIC" >/dev/null 2>&1
check "the test program is statically linked" [ $? -eq 0 ]

out=$(fg "$POL" "$STATIC" "$SECRET"); rc=$?
check "gap: under LD_PRELOAD alone the static binary reads outside ($out)" [ $rc -eq 0 ]

out=$(fgrun --policy "$POL" -- "$STATIC" "$SECRET" 2> "$TMP/err"); rc=$?
check "fleetguard run: raw openat outside fails with EACCES ($out)" [ $rc -eq 3 ]
check "fleetguard run: the kernel refused it, not the library" sh -c "! grep -q 'fleetguard: denied' '$TMP/err'"

out=$(fgrun --policy "$POL" -- "$STATIC" "$WS/data.txt"); rc=$?
check "fleetguard run: the static binary reads in the workspace ($out)" [ $rc -eq 0 ]

KERNEL=off
ll_policy "$WS/off.ini" off
fg "$WS/off.ini" /bin/sh -c "\"$STATIC\" \"$SECRET\"" > "$TMP/out" 2> "$TMP/err"; rc=$?
check "without Landlock the library refuses to exec a static binary (rc $rc)" \
	sh -c "[ $rc -eq 126 ] && grep -q 'fleetguard: denied exec' '$TMP/err'"

fg "$POL" /bin/sh -c "\"$STATIC\" \"$SECRET\"" > "$TMP/out" 2> "$TMP/err"; rc=$?
check "LD_PRELOAD with kernel = auto: the constructor confines, the static binary gets EACCES (rc $rc)" [ $rc -eq 3 ]
finish
