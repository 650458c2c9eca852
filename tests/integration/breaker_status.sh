#!/bin/bash
# breaker_status.sh - fleetguard status (text, --json, --prometheus) shows
# what the agents did; fleetguard breaker open|reset forces a state that the
# agents obey at once, and is audited; a corrupt state file is rebuilt.
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
. "$FG_TOP_SRCDIR/tests/integration/breaker_lib.sh"
plan 27
make_ws
start_server
BK_OPEN=30 BK_MAX=60 write_policy http
URL="http://127.0.0.1:$PORT/v1/chat"
FG="$FG_BIN/fleetguard"

mode 429:1
client --count 2 "$URL"
mode 503
client --count 2 "$URL"

"$FG" status --policy "$POLICY" > "$TMP/status" 2> "$TMP/err"
check "status: exit 0" [ $? -eq 0 ]
check "status: names the state file" grep -qx "state file: $TMP/state/fleetguard-breaker.state" "$TMP/status"
check "status: llm is open with 3 failures, 2 of them 429 and 1 5xx" \
	grep -Eq "^llm +127\.0\.0\.1:$PORT +open +3 +2 +1 +0 +[0-9T:Z-]+ +(2[5-9]|3[0-3]) s " "$TMP/status"

"$FG" status --policy "$POLICY" --json > "$TMP/json" 2> "$TMP/err"
check "status --json: exit 0" [ $? -eq 0 ]
"$PYTHON3" - "$TMP/json" "$PORT" <<'PY' > "$TMP/jsoncheck" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
e = [x for x in d["endpoints"] if x["name"] == "llm"][0]
assert e["address"] == "127.0.0.1:" + sys.argv[2], e
assert e["state"] == "open", e
assert e["consecutive_failures"] == 3, e
assert e["streak"]["429"] == 2 and e["streak"]["5xx"] == 1, e
assert e["counters"]["calls"] == 3 and e["counters"]["refused"] == 1, e
assert e["counters"]["successes"] == 0 and e["counters"]["opens"] == 1, e
assert 25 <= e["next_probe_seconds"] <= 34, e
assert e["open_until"].endswith("Z"), e
print("json ok")
PY
check "status --json: state, failures apart, counters" grep -qx "json ok" "$TMP/jsoncheck" || diag "$(cat "$TMP/jsoncheck")"

"$FG" status --policy "$POLICY" --prometheus > "$TMP/prom" 2> "$TMP/err"
check "status --prometheus: exit 0" [ $? -eq 0 ]
# The text exposition format, line by line: every sample belongs to a family
# declared by exactly one # HELP and one # TYPE before it, names and labels
# are well formed, values are numbers, counters end in _total.
"$PYTHON3" - "$TMP/prom" <<'PY' > "$TMP/promcheck" 2>&1
import re, sys
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
sample_re = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)$"
                       % (name_re, label, label))
helps, types, seen_samples, errors = {}, {}, set(), []
current = None
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        m = re.match(r"^# HELP (%s) (.+)$" % name_re, line)
        if not m or m.group(1) in helps:
            errors.append("%d: bad or repeated HELP" % n); continue
        helps[m.group(1)] = True
        current = m.group(1)
    elif line.startswith("# TYPE "):
        m = re.match(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % name_re, line)
        if not m or m.group(1) in types or m.group(1) != current:
            errors.append("%d: bad, repeated or misplaced TYPE" % n); continue
        types[m.group(1)] = m.group(2)
    elif line.startswith("#") or line == "":
        errors.append("%d: stray line" % n)
    else:
        m = sample_re.match(line)
        if not m:
            errors.append("%d: malformed sample %r" % (n, line)); continue
        if m.group(1) != current or current not in types:
            errors.append("%d: sample outside its family" % n)
        if types.get(m.group(1)) == "counter" and not m.group(1).endswith("_total"):
            errors.append("%d: counter without _total" % n)
        key = (m.group(1), m.group(2))
        if key in seen_samples:
            errors.append("%d: duplicate series" % n)
        seen_samples.add(key)
for fam in helps:
    if fam not in types:
        errors.append("family %s has no TYPE" % fam)
print("\n".join(errors) if errors else "exposition ok %d" % len(seen_samples))
PY
check "status --prometheus: valid text exposition, line by line" grep -q "^exposition ok" "$TMP/promcheck" || diag "$(cat "$TMP/promcheck")"
if command -v promtool > /dev/null; then
	promtool check metrics < "$TMP/prom" > "$TMP/promtool" 2>&1
	check "status --prometheus: promtool check metrics" [ $? -eq 0 ] || diag "$(cat "$TMP/promtool")"
else
	ok "status --prometheus: promtool check metrics # SKIP promtool not installed"
fi
check "prometheus: state gauge" grep -qx "fleetguard_breaker_state{endpoint=\"llm\",address=\"127.0.0.1:$PORT\",state=\"open\"} 1" "$TMP/prom"
check "prometheus: 429 and 5xx apart" sh -c "grep -qx 'fleetguard_breaker_failures_total{endpoint=\"llm\",address=\"127.0.0.1:$PORT\",kind=\"429\"} 2' '$TMP/prom' && grep -qx 'fleetguard_breaker_failures_total{endpoint=\"llm\",address=\"127.0.0.1:$PORT\",kind=\"5xx\"} 1' '$TMP/prom'"

# --- forcing -------------------------------------------------------------------
mode 200
"$FG" breaker reset llm --policy "$POLICY" > "$TMP/out" 2> "$TMP/err"
check "breaker reset: exit 0 and says so" grep -qx "circuit for llm (127.0.0.1:$PORT) forced closed (was open)" "$TMP/out"
client --count 1 "$URL"
check "breaker reset: agents call again at once" expect_outcomes "200"
"$FG" breaker open "127.0.0.1:$PORT" --policy "$POLICY" > "$TMP/out" 2> "$TMP/err"
check "breaker open (by address): exit 0" grep -q "forced open (was closed)" "$TMP/out"
before=$(requests)
client --count 1 "$URL"
check "breaker open: agents fail fast" expect_outcomes "refused"
check "breaker open: nothing reached the server" expect_requests "$before"
check "breaker: both forcings audited" \
	sh -c "[ \$(grep '\"op\":\"breaker\"' '$TMP/audit.log' | grep -c '\"why\":\"forced\"') -eq 2 ]"
"$FG" breaker open nosuch --policy "$POLICY" > /dev/null 2> "$TMP/err"
check "breaker: unknown endpoint is an error" sh -c "[ $? -eq 1 ] && grep -q \"no endpoint 'nosuch'\" '$TMP/err'"
"$FG" breaker close llm --policy "$POLICY" > /dev/null 2>&1
check "breaker: unknown action is a usage error" [ $? -eq 2 ]

# --- the agent cannot reach the state file -------------------------------------
# whatever the policy says: even where it allows writing the whole of /tmp,
# and (spec 6) even with [filesystem] mode = off
open_state() {
	fg "$1" "$PYTHON3" -c "
import sys
try:
    open('$TMP/state/fleetguard-breaker.state', 'r+b')
except PermissionError:
    sys.exit(0)
sys.exit(1)" 2> /dev/null
}
sed '0,/^mode = off$/s//mode = enforce\nsystem = yes\nwrite = \/tmp/' "$POLICY" > "$TMP/enforce.ini"
open_state "$TMP/enforce.ini"
check "agent: state file refused (mode = enforce, /tmp writable)" [ $? -eq 0 ]
open_state "$POLICY"
check "agent: state file refused (mode = off)" [ $? -eq 0 ]

# --- a corrupt state file is rebuilt, never trusted ------------------------------
printf 'garbage' | dd of="$TMP/state/fleetguard-breaker.state" bs=1 seek=0 conv=notrunc 2> /dev/null
client --count 1 "$URL"
check "corrupt state: rebuilt with one stderr line" stderr_has "^fleetguard: breaker state '$TMP/state/fleetguard-breaker.state' has no breaker state magic: rebuilt$"
check "corrupt state: the rebuilt circuit is closed" expect_outcomes "200"

# --- an endpoint with a state_dir of its own --------------------------------------
cat >> "$POLICY" <<EOF2

[endpoint side]
address = 127.0.0.1:1
protocol = http
gateway = no
threshold = 1
state_dir = $TMP/state-side
EOF2
connect_side='
import socket
try:
    socket.create_connection(("127.0.0.1", 1), timeout=5)
except OSError:
    pass'
fg "$POLICY" "$PYTHON3" -c "$connect_side" 2> "$TMP/err"
fg "$POLICY" "$PYTHON3" -c "$connect_side" 2> "$TMP/err"
check "own state_dir: the endpoint's circuit lives there" stderr_has "^fleetguard: circuit open for 127\.0\.0\.1:1 \(1 consecutive failures\)"
"$FG" status --policy "$POLICY" > "$TMP/status" 2> "$TMP/err"
check "own state_dir: status shows both files" \
	sh -c "grep -qx 'state file: $TMP/state/fleetguard-breaker.state' '$TMP/status' && grep -qx 'state file: $TMP/state-side/fleetguard-breaker.state' '$TMP/status' && grep -Eq '^side +127\.0\.0\.1:1 +open ' '$TMP/status'"

# --- a state_dir the policy gives is used or nothing is ---------------------------
# (fleetguard.ini(5)): never $XDG_RUNTIME_DIR or /tmp instead, which may be
# shared more widely than the directory the operator chose.
mkdir "$TMP/xdg"
sed "s|^state_dir = $TMP/state-side\$|state_dir = /proc/fg-no-such-dir|" "$POLICY" > "$TMP/unusable.ini"
XDG_RUNTIME_DIR="$TMP/xdg" fg "$TMP/unusable.ini" "$PYTHON3" -c "$connect_side" 2> "$TMP/err"
check "unusable explicit state_dir: the breaker says so and stays off for that endpoint" \
	stderr_has "^fleetguard: cannot create breaker state directory '/proc/fg-no-such-dir': .*; circuit breaker off for the endpoints that use it$"
check "unusable explicit state_dir: no state file in \$XDG_RUNTIME_DIR instead" \
	[ ! -e "$TMP/xdg/fleetguard-breaker.state" ]
XDG_RUNTIME_DIR="$TMP/xdg" "$FG" status --policy "$TMP/unusable.ini" > "$TMP/status" 2> "$TMP/err"
rc=$?
check "unusable explicit state_dir: status fails (exit 1) naming it, creates nothing" \
	sh -c "[ $rc -eq 1 ] && grep -q \"/proc/fg-no-such-dir\" '$TMP/err' && [ ! -e '$TMP/xdg/fleetguard-breaker.state' ]"
finish
