#!/bin/bash
# landlock_audit_order.sh - records travel to the audit daemon pipelined; once
# a run has returned none may be missing or out of order.
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

# The daemon is stopped (SIGSTOP) while the agent sends, so its records queue
# up: - a fork child that ends with _exit (no flush of its own): its records
# are in the log when the parent's exit flush returns (a flush drains every
# connection); - an exec: the old image's records are all in the log before
# any record of the new image (the exec record waits for the daemon); - under
# on_failure = deny a change waits for its record (so that a record the daemon
# cannot write fails that very call), a read does not, nor does a write to a
# device of the system set (/dev/null: nothing on disk changes).
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 3
command -v ss > /dev/null 2>&1 || skip_all "no ss(8) to find the daemon"
plan 7
ll_setup
cd "$WS" || exit 1

# daemon_pid: the process listening on the log's socket
daemon_pid() {
	ss -xlpn 2>/dev/null | grep -F " $LOG.sock " | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1
}

# AGENT SCENARIO: on "go" the process that will send (a fork child, or the
# agent itself) attaches to the daemon and says "ready"; on "go2" (the
# daemon stopped by then) it sends its records and says "sent".  The
# records are reads (pipelined; changes wait for the daemon under
# on_failure = deny), the signals lines on stdout.
AGENT='
import os, sys, time
def wait(name):
    while not os.path.exists(name):
        time.sleep(0.02)
def say(what):
    print(what, flush=True)
wait("go")
if sys.argv[1] == "fork":
    pid = os.fork()
    if pid == 0:
        open("data.txt").close()
        say("ready")
        wait("go2")
        for i in range(100):
            open("child.txt").close()
        say("sent")
        os._exit(0)
    os.waitpid(pid, 0)
    say("child %d" % pid)
else:
    say("ready")
    wait("go2")
    for i in range(150):
        open("before.txt").close()
    say("sent")
    os.execv("/bin/cat", ["cat", "before.txt"])
'

# run SCENARIO: the agent in the background, the daemon stopped while the
# records are sent and until the agent has had time to reach its flush or exec
run() {
	rm -f go go2
	echo data > data.txt
	echo child > child.txt
	echo before > before.txt
	fgrun --policy "$POL" -- "$PYTHON3" -c "$AGENT" "$1" > "$TMP/out.$1" 2>&1 &
	apid=$!
	touch go
	wait_until 60 grep -q ready "$TMP/out.$1"
	dpid=$(daemon_pid)
	[ -n "$dpid" ] && kill -STOP "$dpid"
	touch go2
	wait_until 60 grep -q sent "$TMP/out.$1"
	sleep 0.3
	[ -n "$dpid" ] && kill -CONT "$dpid"
	wait "$apid"
}

run fork
check "the daemon was found and stopped" [ -n "$dpid" ]
cpid=$(sed -n 's/^child //p' "$TMP/out.fork")
n=$(grep -c "\"pid\":$cpid,.*\"path\":\"[^\"]*/child\\.txt\"" "$LOG")
check "all 100 records of a child that ended with _exit are in the log when the run returns ($n)" \
	[ "$n" -eq 100 ]

run exec
check "an exec'd image's records follow every record of the image before it" \
	"$PYTHON3" -c '
import json, sys
last_before = first_cat = None
for i, line in enumerate(open(sys.argv[1])):
    r = json.loads(line)
    if r.get("op") == "open" and r.get("path", "").endswith("/before.txt") and "python" in r.get("exe", ""):
        last_before = i
    if first_cat is None and r.get("exe", "").endswith("/cat"):
        first_cat = i
print(last_before, first_cat)
sys.exit(0 if last_before is not None and first_cat is not None and last_before < first_cat else 1)
' "$LOG"
# the daemon stopped: a read and a write to /dev/null (the system set) go
# through, a create waits until it resumes
SYNC='
import os, sys, time
print("up", flush=True)
while not os.path.exists("go2"):
    time.sleep(0.02)
open("data.txt").read()
print("read done", flush=True)
with open("/dev/null", "w") as f:
    f.write("x")
print("device write done", flush=True)
open("created.txt", "w").close()
print("write done", flush=True)
'
rm -f go2
fgrun --policy "$POL" -- "$PYTHON3" -c "$SYNC" > "$TMP/out.sync" 2>&1 &
apid=$!
wait_until 60 grep -q up "$TMP/out.sync"
sleep 0.3          # the agent is attached and idle, polling for go2
dpid=$(daemon_pid)
[ -n "$dpid" ] && kill -STOP "$dpid"
touch go2
wait_until 30 grep -q "device write done" "$TMP/out.sync"
sleep 0.5
check "with the daemon stopped a read and a write to /dev/null went through, a create waited" \
	sh -c "grep -q 'read done' '$TMP/out.sync' && grep -q 'device write done' '$TMP/out.sync' &&
		! grep -q '^write done' '$TMP/out.sync'"
[ -n "$dpid" ] && kill -CONT "$dpid"
wait "$apid"
check "once it resumed, the create finished" grep -q "^write done" "$TMP/out.sync"
check "the write to /dev/null is in the log" grep -q '"op":"open",.*"path":"/dev/null"' "$LOG"

"$VERIFY" "$LOG" > "$TMP/v" 2>&1; rc=$?
check "the log verifies ($(head -1 "$TMP/v"))" [ $rc -eq 0 ]
finish
