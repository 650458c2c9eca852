#!/bin/bash
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

# landlock_audit_order.sh - records travel to the audit daemon pipelined;
# once a run has returned none may be missing or out of order.  The daemon
# is stopped (SIGSTOP) while the agent sends, so its records queue up:
#  - a fork child that ends with _exit (no flush of its own): its records
#    are in the log when the parent's exit flush returns (a flush drains
#    every connection);
#  - an exec: the old image's records are all in the log before any
#    record of the new image (the exec record waits for the daemon).
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 3
command -v ss > /dev/null 2>&1 || skip_all "no ss(8) to find the daemon"
plan 4
ll_setup
cd "$WS" || exit 1

# daemon_pid: the process listening on the log's socket
daemon_pid() {
	ss -xlpn 2>/dev/null | grep -F " $LOG.sock " | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1
}

# AGENT SCENARIO: on "go" the process that will send (a fork child, or the
# agent itself) attaches to the daemon and says "ready"; on "go2" (the
# daemon stopped by then) it sends its records and says "sent"
AGENT='
import os, sys, time
def wait(name):
    while not os.path.exists(name):
        time.sleep(0.02)
wait("go")
if sys.argv[1] == "fork":
    pid = os.fork()
    if pid == 0:
        open("ready", "w").close()
        wait("go2")
        for i in range(100):
            open("child%d.txt" % i, "w").close()
        open("sent", "w").close()
        os._exit(0)
    os.waitpid(pid, 0)
    print("child", pid)
else:
    open("ready", "w").close()
    wait("go2")
    for i in range(150):
        open("before%d.txt" % i, "w").close()
    open("sent", "w").close()
    os.execv("/bin/cat", ["cat", "before0.txt"])
'

# run SCENARIO: the agent in the background, the daemon stopped while the
# records are sent and until the agent has had time to reach its flush or exec
run() {
	rm -f go go2 ready sent
	fgrun --policy "$POL" -- "$PYTHON3" -c "$AGENT" "$1" > "$TMP/out.$1" 2>&1 &
	apid=$!
	touch go
	wait_until 60 test -e ready
	dpid=$(daemon_pid)
	[ -n "$dpid" ] && kill -STOP "$dpid"
	touch go2
	wait_until 60 test -e sent
	sleep 0.3
	[ -n "$dpid" ] && kill -CONT "$dpid"
	wait "$apid"
}

run fork
check "the daemon was found and stopped" [ -n "$dpid" ]
cpid=$(sed -n 's/^child //p' "$TMP/out.fork")
n=$(grep -c "\"pid\":$cpid,.*\"path\":\"[^\"]*/child[0-9]*\\.txt\"" "$LOG")
check "all 100 records of a child that ended with _exit are in the log when the run returns ($n)" \
	[ "$n" -eq 100 ]

run exec
check "an exec'd image's records follow every record of the image before it" \
	"$PYTHON3" -c '
import json, sys
last_before = first_cat = None
for i, line in enumerate(open(sys.argv[1])):
    r = json.loads(line)
    if r.get("op") == "open" and "/before" in r.get("path", "") and "python" in r.get("exe", ""):
        last_before = i
    if first_cat is None and r.get("exe", "").endswith("/cat"):
        first_cat = i
print(last_before, first_cat)
sys.exit(0 if last_before is not None and first_cat is not None and last_before < first_cat else 1)
' "$LOG"
"$VERIFY" "$LOG" > "$TMP/v" 2>&1; rc=$?
check "the log verifies ($(head -1 "$TMP/v"))" [ $rc -eq 0 ]
finish
