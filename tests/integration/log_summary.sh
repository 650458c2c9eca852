#!/bin/bash
# log_summary.sh - "fleetguard log" on a real log (denials, a circuit that
# opens, serves the fallback and recovers, several processes): the terminal
# summary, --json and --html hold the log's own figures (counted here
# independently with Python's json), a tampered log is named; the page is
# loaded in headless Chromium where it is installed.
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
plan 15
make_ws
FG="$FG_BIN/fleetguard"
LOG="$TMP/audit.log"

start_server
spawn_server "$TMP/fb"
FBPORT=$(cat "$TMP/fb/port")
URL="http://127.0.0.1:$PORT/v1/chat"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
write = \${root}
read = $FG_TOP_SRCDIR/tests
[network]
allow = 127.0.0.1:*
[breaker]
threshold = 2
open_seconds = 1
max_open_seconds = 4
state_dir = $TMP/state
[endpoint llm]
address = 127.0.0.1:$PORT
protocol = http
fallback = 127.0.0.1:$FBPORT
; the library's own breaker and fallback (gateway_*.sh test the gateway's)
gateway = no
[audit]
log = $LOG
INI
mkdir -p "$TMP/state"
POLICY="$WS/fleetguard.ini"

mode 503
client --count 4 "$URL"
check "the circuit opens and the fallback answers" expect_outcomes "503 503 200 200"
for i in 1 2 3; do
	fg "$POLICY" "$PYTHON3" -c "
try:
    open('/etc/shadow')
except PermissionError:
    pass" 2> /dev/null
done
mode 200
sleep 1.6
client --count 2 "$URL"
check "after the open period a probe closes it" expect_outcomes "200 200"

# the log's figures, counted independently
cat > "$TMP/count.py" <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
dec = collections.Counter(r.get("decision") for r in recs)
shadow = sum(1 for r in recs if r.get("decision") == "deny" and r.get("path") == "/etc/shadow")
trans = [r["from"] + ">" + r["to"] for r in recs if r["op"] == "breaker"]
fb = sum(1 for r in recs if r["op"] == "connect" and "fallback" in r)
procs = collections.Counter((r["pid"], r["exe"]) for r in recs if r.get("decision"))
top = sorted(procs.items(), key=lambda kv: (-kv[1], kv[0][0]))[0]
print(len(recs), dec["allow"], dec["deny"], dec["report"], shadow, ",".join(trans) or "-", fb, top[0][0], top[1])
PY
read -r N ALLOW DENY REPORT SHADOW TRANS FB TOPPID TOPN < <("$PYTHON3" "$TMP/count.py" "$LOG")
diag "log: $N records, $ALLOW allowed, $DENY denied, shadow $SHADOW, breaker $TRANS, fallbacks $FB"

"$FG" log "$LOG" > "$TMP/sum" 2> "$TMP/err"; rc=$?
diag "$(cat "$TMP/sum")"
check "log exits 0 on an intact chain" [ $rc -eq 0 ]
check "the summary heads with the records and the chain's verdict" \
	sh -c "grep -q '^$LOG: $N records' '$TMP/sum' && grep -qx 'chain: intact, $N records' '$TMP/sum'"
check "the decisions are counted" grep -qx "decisions: $ALLOW allowed, $DENY denied, $REPORT reported (would be denied)" "$TMP/sum"
check "the denials are grouped by rule and path" \
	grep -Eq "^ +$SHADOW +deny +open +/etc/shadow +$POLICY:[0-9]+$" "$TMP/sum"
check "the transitions are on a time line, in order" \
	sh -c "[ \"\$(grep -E '^ +\+[0-9.]+ s ' '$TMP/sum' | awk '{print \$5 \">\" \$7}' | paste -sd,)\" = '$TRANS' ] &&
	       [ '$TRANS' = 'closed>open,open>half-open,half-open>closed' ]"
check "the fallback count is the log's" grep -q "^  llm: [0-9]* calls* refused while open, $FB sent to the fallback" "$TMP/sum"
check "per-process counts" grep -Eq "^ +$TOPPID +[^ ]+ +$TOPN " "$TMP/sum"

"$FG" log --json "$LOG" > "$TMP/json"
check "--json carries the same figures" "$PYTHON3" -c "
import json, sys
j = json.load(open('$TMP/json'))
assert j['intact'] and j['records'] == $N, j['records']
assert j['decisions'] == {'allow': $ALLOW, 'deny': $DENY, 'report': $REPORT}, j['decisions']
g = [d for d in j['denials'] if d['what'] == '/etc/shadow'][0]
assert g['count'] == $SHADOW and g['decision'] == 'deny', g
assert ','.join(e['from'] + '>' + e['to'] for e in j['breaker']) == '$TRANS'
assert j['endpoints'][0]['fallback'] == $FB
assert j['processes'][0]['pid'] == $TOPPID and j['processes'][0]['actions'] == $TOPN
"

"$FG" log --html "$TMP/page.html" --html-test-hook "$LOG" > /dev/null
check "the page fetches nothing: no src, href, url() or @import" \
	sh -c "! grep -Eiq 'src=|href=|url\(|@import' '$TMP/page.html'"
# Chromium, where installed: the page renders, no script error, the tables
# hold the figures; the screenshot is kept next to the test's log
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
	skip_check "the page renders in headless Chromium" "chromium is not installed (Debian package chromium)"
	skip_check "its tables hold the log's figures" "chromium is not installed"
	skip_check "a screenshot is kept" "chromium is not installed"
else
	cr() {
		timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$(mktemp -d "$TMP/chromium.XXXXXX")" "$@"
	}
	cr --enable-logging=stderr --v=0 --dump-dom "file://$TMP/page.html" > "$TMP/dom" 2> "$TMP/crerr"
	check "the page renders in headless Chromium with no script or console error" \
		sh -c "grep -q 'data-fg-loaded=\"5\"' '$TMP/dom' && grep -q 'data-fg-errors=\"0\"' '$TMP/dom' &&
		       ! grep -Eq 'CONSOLE|Uncaught|Refused to' '$TMP/crerr'"
	check "its tables hold the log's figures" "$PYTHON3" -c "
import html.parser
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.t = {}; s.cur = None; s.row = None; s.cell = None
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == 'table': s.cur = a.get('id'); s.t[s.cur] = []
        elif tag == 'tr': s.row = []
        elif tag in ('td', 'th'): s.cell = ''
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
    def handle_endtag(s, tag):
        if tag in ('td', 'th'): s.row.append(s.cell.strip()); s.cell = None
        elif tag == 'tr': s.t[s.cur].append(s.row)
p = P(); p.feed(open('$TMP/dom').read())
assert p.t['decisions'][1] == ['$ALLOW', '$DENY', '$REPORT'], p.t['decisions']
assert ['$SHADOW', 'deny', 'open', '/etc/shadow'] == [r for r in p.t['denials'] if '/etc/shadow' in r][0][:4]
assert ','.join(r[2] + '>' + r[3] for r in p.t['breaker'][1:]) == '$TRANS'
assert p.t['endpoints'][1] == ['llm', p.t['endpoints'][1][1], '$FB'], p.t['endpoints']
assert p.t['processes'][1][:1] == ['$TOPPID'] and p.t['processes'][1][2] == '$TOPN', p.t['processes'][1]
"
	SHOT="$FG_TOP_BUILDDIR/tests/integration/log_summary.png"
	rm -f "$SHOT"
	cr --screenshot="$SHOT" --window-size=1100,1000 "file://$TMP/page.html" > /dev/null 2>&1
	check "a screenshot is kept ($SHOT)" test -s "$SHOT"
fi

# a tampered log: named, summary still printed, exit 1
sed -i '3s/"pid":[0-9]*/"pid":1/' "$LOG"
"$FG" log "$LOG" > "$TMP/sum" 2>&1; rc=$?
check "a tampered log: exit 1, the fault named, the summary still printed" \
	sh -c "[ $rc -eq 1 ] && grep -q '^chain: hash mismatch at $LOG:3 (seq 3)' '$TMP/sum' &&
	       grep -q '^decisions: ' '$TMP/sum'"
finish
