#!/bin/bash
# breaker_calls.sh - the library's own breaker (gateway = no) with an agent connecting in the less common ways: none of them is a failure of the endpoint.
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

# tests/integration/breaker_calls.py connects to the endpoint non-blocking
# (then again: EISCONN), closes while connecting and after connecting with
# nothing sent, connects on descriptor 16400 (past the call table), on a
# number reused by dup2, and forks while a call is up.  None of it is the
# endpoint failing: with threshold 1 the circuit stays closed and three real
# calls are answered by the server.
. "$FG_TOP_SRCDIR/tests/lib.sh"
. "$FG_TOP_SRCDIR/tests/integration/breaker_lib.sh"
plan 4
make_ws
start_server
BK_THRESHOLD=1 write_policy http
mode 200
fg "$POLICY" "$PYTHON3" "$FG_TOP_SRCDIR/tests/integration/breaker_calls.py" "$PORT" \
	> "$TMP/out" 2> "$TMP/err"
rc=$?
diag "$(grep -v '^ok' "$TMP/out")" "$(cat "$TMP/err")"
check "every step behaved (rc $rc, $(grep -c '^ok' "$TMP/out") ok)" \
	sh -c "[ $rc -eq 0 ] && [ \$(grep -c '^ok' '$TMP/out') -eq 10 ]"
check "the circuit never opened" sh -c "! grep -q 'circuit open' '$TMP/err'"
check "the three calls reached the server" [ "$(requests)" -ge 3 ]
n=$(grep -c '"op":"connect"' "$TMP/audit.log")
check "the connects are recorded ($n records)" [ "$n" -ge 6 ]
finish
