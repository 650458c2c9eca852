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
plan 21
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
: > "$TMP/k.log"; : > "$TMP/k.log.head"
check "an empty log beside its .head (a writer killed at once) is intact, 0 records" \
	sh -c "\"\$0\" '$TMP/k.log' | grep -q ': intact, 0 records'" "$V"
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

# --- check prints the warnings run prints, then ok; --json carries them ------------
mkdir -p "$WS/w"
printf '[filesystem]\nwrite = ${root}\nread = %s/nonexistent\ndeny = ${root}/secrets\n' "$TMP" > "$WS/w/fleetguard.ini"
"$FG" check "$WS/w/fleetguard.ini" > /dev/null 2> "$TMP/cerr"; rc=$?
# (run's "floor:" line says what it set up, not a warning)
(cd "$TMP" && "$FG" run --policy "$WS/w/fleetguard.ini" -- /bin/true) 2>&1 | grep -v '^fleetguard: floor: ' > "$TMP/rerr"
diag "$(cat "$TMP/cerr")"
check "check warns about a tree that does not exist, then says ok (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -qx \"fleetguard: read tree '$TMP/nonexistent' (line 3) does not exist: nothing is allowed there until it does\" '$TMP/cerr' &&
	       tail -1 '$TMP/cerr' | grep -q \"is ok, with the [0-9]* warnings above\""
check "check's warnings are the ones run prints" \
	sh -c "[ \"\$(sed '\$d' '$TMP/cerr')\" = \"\$(cat '$TMP/rerr')\" ]"
"$FG" check --json "$WS/w/fleetguard.ini" > "$TMP/json"
check "--json carries the same warnings" "$PYTHON3" -c "
import json
j = json.load(open('$TMP/json'))
lines = [l.split(': ', 1)[1] for l in open('$TMP/cerr').read().splitlines()[:-1]]
assert j['valid'] and j['warnings'] == lines, (j['warnings'], lines)"

# --- the shipped demo workspace's policy starts without a warning -------------------
cp -r "$FG_TOP_SRCDIR/examples/workspace" "$TMP/demo"
"$FG" check "$TMP/demo/fleetguard.ini" > /dev/null 2> "$TMP/cerr"
(cd "$TMP" && "$FG" run --policy "$TMP/demo/fleetguard.ini" -- /bin/true) 2>&1 | grep -v '^fleetguard: floor: ' > "$TMP/rerr"
check "the example workspace policy: no warning from check or run" \
	sh -c "[ ! -s '$TMP/cerr' ] && [ ! -s '$TMP/rerr' ]" || diag "$(cat "$TMP/cerr" "$TMP/rerr")"
: > "$TMP/demo/empty.ini"
"$FG" check "$TMP/demo/empty.ini" > /dev/null 2> "$TMP/cerr"
check "the documented defaults (an empty policy): no warning from check" [ ! -s "$TMP/cerr" ] ||
	diag "$(cat "$TMP/cerr")"

# --- a policy copied one folder up: root and log move; --paths says so --------------
mkdir -p "$TMP/proj/ws"
printf '[filesystem]\nwrite = ${root}\n' > "$TMP/proj/ws/fleetguard.ini"
cp "$TMP/proj/ws/fleetguard.ini" "$TMP/proj/fleetguard.ini"
"$FG" check --paths "$TMP/proj/fleetguard.ini" > "$TMP/out" 2> /dev/null
check "check --paths names the effective root, and that it was defaulted" \
	grep -qx "workspace root: $TMP/proj (defaulted: \[workspace\] root is not set, so the policy file's directory is the root; a copy of the policy in another directory has another root)" "$TMP/out"
(cd "$TMP" && "$FG" run --paths --policy "$TMP/proj/fleetguard.ini" -- /bin/true) 2> "$TMP/err"
check "run --paths prints the root and the log it will use" \
	sh -c "grep -q '^fleetguard: workspace root: $TMP/proj (defaulted' '$TMP/err' &&
	       grep -qx 'fleetguard: audit log: $TMP/proj/.fleetguard/audit.log (defaulted: \${root}/.fleetguard/audit.log)' '$TMP/err'"

# --- a denied program found first on PATH: the search goes on to the next --------
mkdir -p "$TMP/pb/denied" "$TMP/pb/ok" "$TMP/pb/ws"
printf '#!/bin/sh\necho first\n' > "$TMP/pb/denied/mytool"
printf '#!/bin/sh\necho second\n' > "$TMP/pb/ok/mytool"
chmod +x "$TMP/pb/denied/mytool" "$TMP/pb/ok/mytool"
printf '[filesystem]\nmode = %s\nread = %s/pb/ok\n' enforce "$TMP" > "$TMP/pb/ws/enforce.ini"
printf '[filesystem]\nmode = %s\nread = %s/pb/ok\n' report "$TMP" > "$TMP/pb/ws/report.ini"
for m in enforce report; do
	(cd "$TMP/pb/ws" && PATH="$TMP/pb/denied:$TMP/pb/ok:/usr/bin:/bin" fg "$TMP/pb/ws/$m.ini" \
		"$PYTHON3" -c 'import subprocess; subprocess.run(["mytool"])') > "$TMP/$m.out" 2> "$TMP/$m.err"
done
check "enforce: the denial line says the PATH search runs the next match" \
	sh -c "grep -qx second '$TMP/enforce.out' &&
	       grep -q '^fleetguard: denied exec $TMP/pb/denied/mytool (a PATH search goes on to the next match, $TMP/pb/ok/mytool): ' '$TMP/enforce.err'"
check "report: the line says enforce mode would run the next match" \
	sh -c "grep -qx first '$TMP/report.out' &&
	       grep -q '^fleetguard: report: would deny exec $TMP/pb/denied/mytool (a PATH search goes on to the next match, $TMP/pb/ok/mytool, when this is denied): ' '$TMP/report.err'"
finish
