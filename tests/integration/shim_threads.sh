#!/bin/bash
# shim_threads.sh - threads and fork children of one CPython deciding and
# recording at once: every decision right, every record there, one intact
# chain.
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
plan 4
make_ws
mkdir -p "$TMP/outside"
echo in > "$WS/in.txt"
echo out > "$TMP/outside/out.txt"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off
INI
cat > "$WS/threads.py" <<PY
import os, threading
ok = denied = wrong = 0
lock = threading.Lock()
def work(n):
    global ok, denied, wrong
    for i in range(n):
        try:
            open("$WS/in.txt").read(); r = "ok"
        except OSError: r = "wrong"
        try:
            open("$TMP/outside/out.txt").read(); r2 = "wrong"
        except PermissionError: r2 = "denied"
        with lock:
            ok += r == "ok"; wrong += (r == "wrong") + (r2 == "wrong"); denied += r2 == "denied"
pids = []
for c in range(4):
    pid = os.fork()
    if pid == 0:
        ts = [threading.Thread(target=work, args=(100,)) for _ in range(4)]
        [t.start() for t in ts]; [t.join() for t in ts]
        os._exit(0 if wrong == 0 and ok == 400 and denied == 400 else 1)
    pids.append(pid)
ts = [threading.Thread(target=work, args=(100,)) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
codes = [os.waitpid(p, 0)[1] for p in pids]
print(ok, denied, wrong, codes)
PY
out=$(FLEETGUARD_QUIET=1 fg "$WS/fleetguard.ini" "$PYTHON3" "$WS/threads.py" 2>"$TMP/err")
diag "$out"
check "8 threads in the parent: every allowed open allowed, every outside open denied" \
	[ "$out" = "800 800 0 [0, 0, 0, 0]" ]
log="$WS/.fleetguard/audit.log"
check "4 forked children with 4 threads each decided right too" [ "${out##*\[}" = "0, 0, 0, 0]" ]
n_allow=$(grep -c "\"path\":\"$WS/in.txt\".*\"decision\":\"allow\"" "$log")
n_deny=$(grep -c "\"path\":\"$TMP/outside/out.txt\".*\"decision\":\"deny\"" "$log")
diag "records: $n_allow allowed, $n_deny denied"
check "every decision of every thread and child is recorded (2,400 + 2,400)" \
	[ "$n_allow,$n_deny" = "2400,2400" ]
"$FG_BIN/fleetguard-verify" "$log" > "$TMP/v" 2>&1
rc=$?
diag "verify: $(head -c 120 "$TMP/v")"
check "one intact chain (fleetguard-verify exits 0)" [ "$rc" -eq 0 ]
finish
