#!/bin/bash
# transparency.sh - under a policy that allows everything, real programs
# behave exactly as without the library: same output, same exit status, same
# error messages (errno preserved).
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

# Twice: with LD_PRELOAD (events = denied), and under fleetguard run with
# kernel = on and events = all, so that every call of every process goes to
# the audit daemon; that log then verifies and holds the records of the
# programs that ran.
. "$FG_TOP_SRCDIR/tests/lib.sh"
make_ws
mkdir -p "$TMP/work/src"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
read = /
write = /

[network]
allow = 0.0.0.0/0:*, [::]/0:*

[audit]
events = denied
INI
cd "$TMP/work" || exit 1
printf 'b\na\nc\n' > src/list.txt
printf 'all: out.txt\nout.txt: src/list.txt\n\tsort src/list.txt > out.txt\n' > Makefile
cat > py.py <<'PY'
import hashlib, json, os, sqlite3, tempfile
db = sqlite3.connect(":memory:"); db.execute("create table t(x)"); db.execute("insert into t values (42)")
d = tempfile.mkdtemp(dir=".")
open(os.path.join(d, "f"), "w").write("x")
print(json.dumps({"sum": hashlib.sha256(b"x").hexdigest(), "db": db.execute("select x from t").fetchone()[0],
                  "listed": sorted(os.listdir(d))}))
os.remove(os.path.join(d, "f"))
os.rmdir(d)
try:
    open("/nonexistent/file")
except OSError as e:
    print(type(e).__name__, e.errno)
try:
    os.readlink("py.py")
except OSError as e:
    print("readlink of a file:", type(e).__name__, e.errno)
PY
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
CMDS=(
	"ls -la src | sed 1d | awk '{print \$1, \$5, \$9}'"
	"sort src/list.txt | wc -l"
	"sha256sum src/list.txt"
	"stat -c '%s %a %F' src/list.txt"
	"cat /nonexistent"
	"ls /nonexistent/dir"
	"mkdir src"
	"rm -f nothing-here; echo rc=\$?"
	"tar cf t.tar src && tar tf t.tar && rm t.tar"
	"make -s && cat out.txt && rm out.txt"
	"/usr/bin/python3 py.py"
	"rm -rf g && git init -q g && cd g && echo x > f && git add f && git -c user.name=t -c user.email=t@t commit -qm m && git log --format=%H%n%s && cd .. && rm -rf g"
	"cp src/list.txt copy && mv copy moved && ln -s moved sym && readlink sym && ln moved hard && stat -c %h moved && rm moved hard sym"
	"readlink -f src/../src/list.txt; readlink src/list.txt; echo rc=\$?; realpath -e /usr/lib/../bin/sh src/.."
	"touch -d 2020-01-01 src/list.txt && stat -c %Y src/list.txt"
	"find src -type f | sort"
)
LOG="$TMP/audit/audit.log"
sed -e 's/^events = denied$/events = all/' -e "/^\[audit\]/a log = $LOG" \
	-e '/^\[filesystem\]/a kernel = on' "$WS/fleetguard.ini" > "$WS/all.ini"
fg_prove_run
landlock=$(landlock_abi)
plan $((2 * ${#CMDS[@]} + 2))
for c in "${CMDS[@]}"; do
	plain=$(bash -c "$c" 2>&1; echo "exit=$?")
	under=$(LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/fleetguard.ini" bash -c "$c" 2>&1; echo "exit=$?")
	if [ "$plain" = "$under" ]; then
		ok "same output and status: $c"
	else
		fail "same output and status: $c"
		diag "without:" "$plain" "with:" "$under"
	fi
	if [ "$landlock" -lt 1 ] 2>/dev/null; then
		skip_check "under fleetguard run: $c" "this kernel has no Landlock"
		continue
	fi
	# (quiet: fleetguard run notes what the kernel leaves to the library)
	run=$(FLEETGUARD_QUIET=1 fgrun --policy "$WS/all.ini" -- bash -c "$c" 2>&1; echo "exit=$?")
	if [ "$plain" = "$run" ]; then
		ok "under fleetguard run, kernel = on, events = all: $c"
	else
		fail "under fleetguard run, kernel = on, events = all: $c"
		diag "without:" "$plain" "under fleetguard run:" "$run"
	fi
done
if [ "$landlock" -lt 1 ] 2>/dev/null; then
	skip_check "the audit daemon's log" "this kernel has no Landlock"
	skip_check "the programs' records" "this kernel has no Landlock"
else
	"$FG_TOP_BUILDDIR/fleetguard-verify" "$LOG" > "$TMP/v" 2>&1; rc=$?
	check "the log written through the audit daemon verifies ($(head -1 "$TMP/v"))" [ $rc -eq 0 ]
	missing=""
	for exe in ls sort sha256sum tar make python3 git sed find; do
		grep -q "\"exe\":\"[^\"]*/$exe[0-9.]*\"" "$LOG" || missing="$missing $exe"
	done
	check "every program's own records are in it${missing:+ (missing:$missing)}" [ -z "$missing" ]
fi
finish
