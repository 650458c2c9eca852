#!/bin/bash
# sandbox_tmp.sh - mkstemp, mkostemps, mkdtemp, freopen and tmpfile are
# judged like creates: they work in the workspace and fail outside it.
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
plan 4
make_ws
mkdir -p "$TMP/outside"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off
INI
T="$FG_TOP_BUILDDIR/tests/bin/tmpops"
fg "$WS/fleetguard.ini" "$T" "$WS" > "$TMP/out" 2> "$TMP/err"
diag "$(cat "$TMP/out" "$TMP/err")"
check "mkstemp, mkostemps (O_CLOEXEC kept), mkdtemp work in the workspace" \
	sh -c "[ \"\$(cat '$TMP/out')\" = \"\$(printf 'mkstemp 0\nmkostemps 0\nmkdtemp 0')\" ]"
check "freopen onto a workspace file works" \
	sh -c "grep -q '^freopen 0' '$TMP/err' && grep -qx 'via freopen' '$WS/reopened.txt'"
fg "$WS/fleetguard.ini" "$T" "$TMP/outside" > "$TMP/out" 2> "$TMP/err"
diag "$(cat "$TMP/out")"
check "outside the workspace each is refused with EACCES and nothing is created" \
	sh -c "[ \"\$(cat '$TMP/out')\" = \"\$(printf 'mkstemp 13\nmkostemps 13\nmkdtemp 13')\" ] && grep -q '^freopen 13' '$TMP/err' && [ -z \"\$(ls '$TMP/outside')\" ]"
check "tmpfile in /tmp is refused when /tmp is not writable" grep -q '^tmpfile 13' "$TMP/err"
finish
