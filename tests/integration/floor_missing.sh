#!/bin/bash
# floor_missing.sh - where neither a mount namespace nor seccomp user
# notification with ADDFD is to be had (simulated by tests/no_floor), run
# says in one line which guarantee is missing, kernel = on refuses to start.
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
mkdir -p "$WS/secrets"
echo "workspace secret" > "$WS/secrets/a.txt"
ll_policy "$POL" auto "deny = \${root}/secrets"
ll_policy "$WS/on.ini" on "deny = \${root}/secrets"
NO_FLOOR="$FG_TOP_BUILDDIR/tests/no_floor"
cd "$WS" || exit 1

for what in notif addfd; do
	case $what in
	notif) want="no seccomp user notification (Linux >= 5.0)" ;;
	addfd) want="no seccomp ADDFD with SEND (Linux >= 5.14)" ;;
	esac
	out=$("$NO_FLOOR" --no-userns --no-$what "$FG_TOOL" run --policy "$POL" -- cat "$WS/secrets/a.txt" 2> "$TMP/err"); rc=$?
	check "no $what, kernel = auto: one line names what is missing" \
		grep -q "floor: no mount namespace (Operation not permitted) and $want: 1 deny path inside read or write trees stay library-only" "$TMP/err"
	check "no $what, kernel = auto: the library still refuses ($rc)" \
		sh -c "[ $rc -ne 0 ] && grep -q 'fleetguard: denied open' '$TMP/err'"
	"$NO_FLOOR" --no-userns --no-$what "$FG_TOOL" run --policy "$WS/on.ini" -- true 2> "$TMP/err"; rc=$?
	check "no $what, kernel = on: refuses to start (exit $rc)" \
		sh -c "[ $rc -eq 126 ] && grep -q 'refusing to run with \[filesystem\] kernel = on' '$TMP/err'"
done
"$NO_FLOOR" --no-notif "$FG_TOOL" run --policy "$WS/on.ini" -- true 2> "$TMP/err"; rc=$?
check "namespaces there, no notification: masking holds, kernel = on runs ($rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'floor: masking' '$TMP/err'"
"$NO_FLOOR" --no-notif "$FG_TOOL" run --floor=supervisor --policy "$WS/on.ini" -- true 2> "$TMP/err"; rc=$?
check "--floor=supervisor without notification, kernel = on: refuses ($rc)" [ $rc -eq 126 ]
finish
