#!/bin/bash
# cpython_suite.sh - a slice of CPython's own test suite gives the same outcomes under the library as without it.
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

# Programs nobody here wrote, written to find the corner cases of exactly
# the calls the library interposes: CPython's tests of os, shutil, tempfile,
# subprocess, pathlib, glob, posixpath and io's FileIO (Debian's
# libpython3.X-testsuite).  They run twice at once, without the library and
# under it with a permissive policy, each in a workspace of its own; every
# test must end the same way in both, except the differences listed with
# their reasons in cpython_suite.expected.

. "$FG_TOP_SRCDIR/tests/lib.sh"
MODULES="test.test_os test.test_shutil test.test_tempfile test.test_subprocess
test.test_pathlib test.test_glob test.test_posixpath test.test_fileio"
EXPECTED="$FG_TOP_SRCDIR/tests/integration/cpython_suite.expected"
RUNNER="$FG_TOP_SRCDIR/tests/integration/cpython_outcomes.py"

ver=$("$PYTHON3" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$PYTHON3" -c 'import test.test_os' 2> /dev/null ||
	skip_all "CPython's test suite is not installed (Debian: libpython$ver-testsuite)"
plan 6
make_ws

# run NAME [PRELOAD...]: the modules in $TMP/NAME (its HOME and TMPDIR too),
# outcomes into $TMP/NAME.out, unittest's report into $TMP/NAME.err.
run() {
	local d="$TMP/$1"; shift
	mkdir -p "$d/tmp"
	cat > "$d/fleetguard.ini" <<INI
[filesystem]
read  = /
write = \${root}, /tmp, /dev/shm
kernel = off
[network]
allow = 127.0.0.1:*, [::1]:*
[audit]
events = writes
INI
	(cd "$d" && HOME="$d" TMPDIR="$d/tmp" "$@" "$PYTHON3" "$RUNNER" "$d.out" $MODULES \
		> /dev/null 2> "$d.err")
}
start=$(date +%s)
run plain env &
plain=$!
run lib env LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$TMP/lib/fleetguard.ini" &
lib=$!
wait $plain; wait $lib
diag "both runs took $(($(date +%s) - start)) s"
diag "without: $(tail -n 3 "$TMP/plain.err" | tr '\n' ' ')" "under the library: $(tail -n 3 "$TMP/lib.err" | tr '\n' ' ')"

n=$(wc -l < "$TMP/plain.out")
check "without the library: $n tests ran (at least 1000)" [ "$n" -ge 1000 ]
cut -d' ' -f1 "$TMP/plain.out" > "$TMP/plain.ids"
cut -d' ' -f1 "$TMP/lib.out" > "$TMP/lib.ids"
check "under the library: the same tests ran" cmp -s "$TMP/plain.ids" "$TMP/lib.ids"

# every test whose outcome differs, as "ID | without | under"
join -j1 "$TMP/plain.out" "$TMP/lib.out" | awk '$2 != $3 { print $1 " | " $2 " | " $3 }' \
	> "$TMP/diff"
sed -n 's/^\([^#][^|]*[^ ]\) | \([^ ]*\) | \([^ ]*\) |.*/\1 | \2 | \3/p' "$EXPECTED" |
	sort > "$TMP/allowed"
unexpected=$(sort "$TMP/diff" | comm -23 - "$TMP/allowed")
diag "differing outcomes:" "$(cat "$TMP/diff")"
check "every difference is one documented by design ($(wc -l < "$TMP/diff") differ)" \
	[ -z "$unexpected" ]
[ -z "$unexpected" ] || diag "not by design:" "$unexpected" "--- under the library (end) ---" \
	"$(tail -n 60 "$TMP/lib.err")"
nok=$(awk '$2 == "ok"' "$TMP/plain.out" | wc -l)
check "and most tests pass in both ($nok pass without the library)" \
	[ "$nok" -ge $((n / 2)) ]

# the audit trail of all that
log="$TMP/lib/.fleetguard/audit.log"
"$FG_TOP_BUILDDIR/fleetguard-verify" "$log" > "$TMP/verify" 2>&1
check "the log of the run verifies ($(head -c 100 "$TMP/verify"))" [ $? -eq 0 ]
denied=$(grep -c '"decision":"deny"' "$log")
diag "denied under the permissive policy:" \
	"$(grep '"decision":"deny"' "$log" | sed 's/.*"op":"\([^"]*\)","path":"\([^"]*\)".*/\1 \2/' | sort | uniq -c)"
check "it records the suite's writes ($(grep -c '"decision":"allow"' "$log") allowed, $denied denied)" \
	[ "$(grep -c '"decision":"allow"' "$log")" -gt 1000 ]
finish
