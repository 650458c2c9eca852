#!/bin/bash
# audit_vfork.sh - records made in vfork children (CPython's subprocess
# spawns with vfork) carry the child's own pid, and the parent's records
# after them carry the parent's: the audit writer's and the client's pid
# checks are right in a child that shares the parent's memory, with the
# in-process writer (library alone) and with fg-auditd (fleetguard run).
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
plan 6
make_ws
fg_prove_run
VERIFY="$FG_TOP_BUILDDIR/fleetguard-verify"
mkdir -p "$WS/work" "$TMP/audit"
export FLEETGUARD_QUIET=1

# 12 children through subprocess (vfork + exec), each followed by a write
# of the parent's; prints the parent's pid, then each child's
cat > "$WS/work/spawn.py" <<'PY'
import os, subprocess, sys
print(os.getpid())
for i in range(12):
    p = subprocess.Popen(["/bin/true", "vfork-child-%d" % i])
    print(p.pid)
    p.wait()
    with open(os.path.join(sys.argv[1], "after.%d" % i), "w") as f:
        f.write("x")
PY

# judge LOG OUT: the exec records of /bin/true are the children's pids
# (each once), the parent's writes after them the parent's pid
judge() {
	"$PYTHON3" - "$1" "$2" <<'PY'
import json, sys
out = open(sys.argv[2]).read().split()
parent, children = int(out[0]), [int(p) for p in out[1:]]
recs = [json.loads(l) for l in open(sys.argv[1])]
execs = [r["pid"] for r in recs if r.get("op") == "exec" and r.get("path", "").endswith("/true")]
writes = [r["pid"] for r in recs if r.get("op") == "open" and "/after." in r.get("path", "")]
if len(children) != 12:
    sys.exit("%d children printed" % len(children))
if sorted(execs) != sorted(children):
    sys.exit("exec records %s, children %s" % (execs, children))
if len(writes) != 12 or set(writes) != {parent}:
    sys.exit("writes after the children %s, parent %d" % (writes, parent))
PY
}

cat > "$WS/lib.ini" <<INI
[filesystem]
write = \${root}/work
[audit]
log = $TMP/audit/lib.log
events = all
INI
fg "$WS/lib.ini" "$PYTHON3" "$WS/work/spawn.py" "$WS/work" > "$TMP/lib.out" 2> "$TMP/lib.err"
check "library alone: subprocess ran 12 vfork children ($(wc -l < "$TMP/lib.out") lines)" \
	[ "$(wc -l < "$TMP/lib.out")" = 13 ]
why=$(judge "$TMP/audit/lib.log" "$TMP/lib.out" 2>&1)
check "library alone: each child's exec record has its own pid, the parent's writes after them the parent's ($why)" \
	[ -z "$why" ]
check "library alone: the log verifies" "$VERIFY" "$TMP/audit/lib.log"

cat > "$WS/run.ini" <<INI
[filesystem]
write = \${root}/work
[audit]
log = $TMP/audit/run.log
events = all
INI
rm -f "$WS"/work/after.*
fgrun --policy "$WS/run.ini" -- "$PYTHON3" "$WS/work/spawn.py" "$WS/work" > "$TMP/run.out" 2> "$TMP/run.err"
check "fleetguard run: subprocess ran 12 vfork children ($(wc -l < "$TMP/run.out") lines)" \
	[ "$(wc -l < "$TMP/run.out")" = 13 ]
why=$(judge "$TMP/audit/run.log" "$TMP/run.out" 2>&1)
check "fleetguard run (fg-auditd): the same ($why)" [ -z "$why" ]
check "fleetguard run: the log verifies" "$VERIFY" "$TMP/audit/run.log"
finish
