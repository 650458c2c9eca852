#!/bin/bash
# hook_calls.sh - every hooked libc entry point and every system call number the syscall() hook dispatches, called by a C program under the library on a denied and an allowed name.
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

# Programs reach the library through many names for one call (open64,
# __openat64_2, creat64, execle, syscall(SYS_renameat2, ...)); each is a
# hook of its own.  tests/bin/hookcalls calls them all: each denied name
# must fail with EACCES and leave a record, each allowed one succeed.
. "$FG_TOP_SRCDIR/tests/lib.sh"
plan 5
make_ws
D="$TMP/denied"
mkdir -p "$D"
echo secret > "$D/secret"
chmod 0755 "$D/secret"
LOG="$TMP/audit/audit.log"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = $WS

[network]
allow = 127.0.0.1:9, localhost:80
dns = yes

[audit]
log = $LOG
INI
fg "$WS/fleetguard.ini" "$FG_TOP_BUILDDIR/tests/bin/hookcalls" "$WS" "$D" > "$TMP/out" 2> "$TMP/err"
rc=$?
diag "$(grep -v '^ok' "$TMP/out")"
check "every call answered as the policy says ($(grep -c '^ok' "$TMP/out") ok, rc $rc)" \
	sh -c "[ $rc -eq 0 ] && [ \$(grep -c '^ok' '$TMP/out') -ge 130 ]"
check "the denied file is intact" sh -c "[ \"\$(cat '$D/secret')\" = secret ]"
check "nothing was made in the denied folder" sh -c "[ \"\$(ls '$D')\" = secret ]"
n=$(grep -c '"decision":"deny"' "$LOG")
check "the refusals are recorded ($n records)" [ "$n" -ge 60 ]
check "each refusal printed its line ($(grep -c 'denied' "$TMP/err") lines)" \
	[ "$(grep -c 'denied' "$TMP/err")" -ge 40 ]
finish
