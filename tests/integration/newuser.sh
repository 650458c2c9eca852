#!/bin/bash
# newuser.sh - what a new user tripped over, tried as a new user would: the
# wrong file given to fleetguard-verify, a pasted URL in a policy, --help of
# every subcommand, options after the file, --agent-id against the policy's
# agent_id, unknown filter values, check's warnings, the effective root and
# log, a denied program found on PATH.
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
plan 11
make_ws
FG="$FG_BIN/fleetguard"
V="$FG_BIN/fleetguard-verify"

# --- fleetguard-verify on the wrong file: "not an audit log", exit 2 --------
printf '[filesystem]\nwrite = ${root}\n' > "$WS/fleetguard.ini"
fg "$WS/fleetguard.ini" /bin/true
: > "$TMP/empty"
for f in "$WS/fleetguard.ini" "$WS/.fleetguard/audit.log.head" "$TMP/empty" /dev/null; do
	"$V" "$f" > "$TMP/out" 2> "$TMP/err"; rc=$?
	check "verify on $(basename "$f"): 'not an audit log', exit 2 (exit $rc)" \
		sh -c "[ $rc -eq 2 ] && grep -q \"'$f' is not an audit log\" '$TMP/err' && [ ! -s '$TMP/out' ]"
done
check "verify on the log itself still says intact" sh -c "\"$V\" \"$WS/.fleetguard/audit.log\" > /dev/null"
"$V" --print --decision denied "$WS/.fleetguard/audit.log" > /dev/null 2> "$TMP/err"; rc=$?
check "an unknown --decision is a usage error (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q \"bad --decision 'denied': expected allow, deny or report\" '$TMP/err'"

# --- a pasted URL ---------------------------------------------------------------
printf '[network]\nallow = http://127.0.0.1:18080/v1\n' > "$TMP/url.ini"
"$FG" check "$TMP/url.ini" > /dev/null 2> "$TMP/err"
check "a pasted URL is recognised and the fix named" \
	grep -qx "$TMP/url.ini:2: allow: 'http://127.0.0.1:18080/v1' is a URL; write host:port: 127.0.0.1:18080" "$TMP/err"

# --- --help is help, options go after the file -------------------------------------
for c in check run status breaker learn log; do
	"$FG" "$c" --help > "$TMP/out" 2>&1; rc=$?
	[ $rc -eq 0 ] && grep -q "^usage: fleetguard $c" "$TMP/out" || { diag "$c --help: exit $rc"; break; }
done
check "--help of every subcommand prints its usage and exits 0" [ "$c" = log ] && [ $rc -eq 0 ]
"$FG" check "$WS/fleetguard.ini" --json > "$TMP/out" 2>&1
check "check FILE --json: the option after the file works" \
	"$PYTHON3" -c "import json; assert json.load(open('$TMP/out'))['valid']"

# --- --agent-id against the policy's agent_id --------------------------------------------
printf '[workspace]\nagent_id = coder\n' > "$TMP/agent.ini"
(cd "$TMP" && "$FG" run --policy "$TMP/agent.ini" --agent-id other -- /bin/true 2> "$TMP/err"); rc=$?
check "--agent-id that differs from the policy's agent_id is refused (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q \"conflicts with \\[workspace\\] agent_id = coder\" '$TMP/err'"
check "the same id is fine" "$FG" run --policy "$TMP/agent.ini" --agent-id coder -- /bin/true
finish
