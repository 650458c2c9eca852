#!/bin/bash
# policy_check.sh - "fleetguard check": the effective policy with the line of
# every rule and exit 0, or every problem in file order and exit 1, as text
# or JSON; usage errors exit 2.
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
plan 14
make_ws
FG="$FG_BIN/fleetguard"

cat > "$WS/good.ini" <<'INI'
[filesystem]
write = ${root}, ${TMPDIR}
deny  = ${root}/.git/hooks   ; no planted hooks

[network]
allow = api.openai.com:443, [::1]:*, 10.0.0.0/8:*

[endpoint local]
address  = 127.0.0.1:11434
protocol = http
threshold = 2
INI

TMPDIR=/var/tmp/fgx "$FG" check "$WS/good.ini" >"$TMP/out" 2>"$TMP/err"; rc=$?
check "good policy: exit 0, nothing on stderr" sh -c "[ $rc -eq 0 ] && [ ! -s '$TMP/err' ]"
check "variables expanded, with the source line" \
	grep -Eq "^deny +$WS/.git/hooks +; line 3$" "$TMP/out"
check "\${TMPDIR} from the environment" grep -Eq "^write +/var/tmp/fgx +; line 2$" "$TMP/out"
check "system rules are marked as such" grep -Eq "^read +/usr +; system$" "$TMP/out"
check "network rules keep their form" grep -Eq "^allow +10.0.0.0/8:\* +; line 6$" "$TMP/out"
check "endpoint override shown, the rest inherited" \
	sh -c "sed -n '/^\[endpoint local\]/,/^\$/p' '$TMP/out' | grep -qx 'threshold = 2' &&
	       sed -n '/^\[endpoint local\]/,/^\$/p' '$TMP/out' | grep -qx 'open_seconds = 60'"

"$FG" check --json "$WS/good.ini" >"$TMP/out"; rc=$?
check "--json: exit 0 and valid JSON" sh -c "[ $rc -eq 0 ] && '$PYTHON3' -m json.tool '$TMP/out' >/dev/null"
check "--json: rules carry line and origin" \
	"$PYTHON3" -c "
import json, sys
d = json.load(open('$TMP/out'))
deny = d['filesystem']['deny']
assert deny == [{'path': '$WS/.git/hooks', 'line': 3, 'origin': 'policy'}], deny
assert d['endpoints'][0]['breaker']['threshold'] == 2
"

printf '[filesystem]\nwrit = /tmp\nread = relative, ${NOPE}\n[netwrk]\n[audit]\nfsync = sometimes\n' > "$WS/bad.ini"
"$FG" check "$WS/bad.ini" >"$TMP/out" 2>"$TMP/err"; rc=$?
check "bad policy: exit 1" [ "$rc" -eq 1 ]
sed -n '1,5p' "$TMP/err" | cut -d: -f2 | tr '\n' ' ' > "$TMP/lines"
check "every problem, in file order" [ "$(cat "$TMP/lines")" = "2 3 3 4 6 " ]
check "problems are <file>:<line>: <reason>" \
	grep -qx "$WS/bad.ini:2: unknown key 'writ' in \[filesystem\]" "$TMP/err"

"$FG" check --json "$WS/bad.ini" >"$TMP/out"; rc=$?
check "--json bad policy: exit 1, errors listed" \
	sh -c "[ $rc -eq 1 ] && '$PYTHON3' -c \"import json; d = json.load(open('$TMP/out')); assert not d['valid'] and len(d['errors']) == 5\""

"$FG" check >/dev/null 2>&1; rc=$?
check "no file: usage error, exit 2" [ "$rc" -eq 2 ]
"$FG" check "$WS/missing.ini" 2>"$TMP/err"; rc=$?
check "missing file: exit 1, named" sh -c "[ $rc -eq 1 ] && grep -q '^$WS/missing.ini: cannot open policy' '$TMP/err'"
finish
