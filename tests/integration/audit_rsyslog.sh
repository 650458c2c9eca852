#!/bin/sh
# audit_rsyslog.sh - forward = syslog+tcp:// into a real rsyslogd running
# the configuration that docs/AUDIT.md gives (read from the doc itself, so
# the doc cannot drift from what works), then fleetguard-verify judges the
# chain rebuilt from rsyslog's file against the signed checkpoints.
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

V="$FG_BIN/fleetguard-verify"
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || skip_all "rsyslogd not installed (./quickstart test installs rsyslog)"
make_ws
plan 7
export XDG_STATE_HOME="$TMP/state"
LOG="$WS/.fleetguard/audit.log"
rpid=
trap '[ -n "$rpid" ] && kill $rpid 2>/dev/null; [ -n "$KEEP" ] || rm -rf "$TMP"' EXIT

port=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$TMP/rsyslog" "$TMP/spool"
# the doc's block: from its global() line to its input() line, unindented;
# only the port and the directory change
sed -n '/^    global(maxMessageSize=/,/^    input(type="imtcp"/p' "$FG_TOP_SRCDIR/docs/AUDIT.md" |
	sed -e 's/^    //' -e "s|port=\"6514\"|port=\"$port\" address=\"127.0.0.1\"|" \
	    -e "s|/var/log/fleetguard/|$TMP/rsyslog/|" > "$TMP/body.conf"
{
	printf 'global(workDirectory="%s/spool")\n' "$TMP"
	cat "$TMP/body.conf"
} > "$TMP/rsyslog.conf"
check "docs/AUDIT.md's rsyslog block found, rsyslogd accepts it" sh -c "
	grep -q 'input(type=\"imtcp\"' '$TMP/body.conf' &&
	'$RSYSLOGD' -N1 -f '$TMP/rsyslog.conf' > '$TMP/n1.out' 2>&1" ||
	diag "$(cat "$TMP/rsyslog.conf" "$TMP/n1.out" 2>/dev/null)"

# rsyslogd in the foreground, its own pid file, no /dev/log (imuxsock is
# not loaded by this configuration)
"$RSYSLOGD" -n -f "$TMP/rsyslog.conf" -i "$TMP/rsyslog.pid" > "$TMP/rsyslogd.out" 2>&1 &
rpid=$!
listening() { "$PYTHON3" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2> /dev/null; }
wait_until 20 listening || { echo "Bail out! rsyslogd did not listen: $(cat "$TMP/rsyslogd.out")"; exit 1; }

cat > "$WS/p.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off

[audit]
forward = syslog+tcp://127.0.0.1:$port
checkpoint_every = 7
INI
cd "$WS" || exit 1
# ordinary records, one with a path that is not UTF-8 (escaped in the
# record) and one long one (a start record with a long argv), over
# rsyslog's default 8 KiB message limit
fg "$WS/p.ini" "$PYTHON3" -c '
import os
for i in range(40):
    open("f%d.txt" % i, "w").write("x")
open(b"bad-\xff.txt", "w").write("x")
os.makedirs("d" * 200 + "/" + "e" * 200, exist_ok=True)
open("d" * 200 + "/" + "e" * 200 + "/" + "g" * 250, "w").write("x")
import subprocess; subprocess.run(["/bin/true"] + ["arg%03d" % i + "x" * 60 for i in range(250)])'
wait_until 10 sh -c "[ ! -e '$LOG.sock' ]"
witness=$(ls "$XDG_STATE_HOME"/fleetguard/audit/*.witness)
id=$(basename "$witness" .witness)
records=$(grep -c . "$LOG")
wait_until 20 sh -c "f=\$(ls '$TMP'/rsyslog/*.log 2> /dev/null | head -n 1);
	[ -n \"\$f\" ] && [ \$(grep -c . \"\$f\") -ge $records ]"
file=$(ls "$TMP"/rsyslog/*.log 2> /dev/null | head -n 1)
check "rsyslog wrote one file for this host ($(basename "${file:-none}"))" [ -s "$file" ]
check "it holds every record ($records), byte for byte, in order" cmp -s "$LOG" "$file"
check "a record over 8 KiB came through whole" \
	sh -c "awk 'length > 8192' '$file' | grep -q 'op.:.start.,.*arg12'"
check "fleetguard-verify: the chain rebuilt from rsyslog's file agrees with the checkpoints" \
	sh -c "\"$V\" --log-id $id --witness '$witness' '$file' | grep -q 'signed checkpoints agree'"
head -n $((records - 3)) "$file" > "$TMP/short.log"
check "rsyslog's file missing its last records: not intact (truncated)" \
	sh -c "\"$V\" --log-id $id --witness '$witness' '$TMP/short.log' | grep -q 'not intact: truncated'"
sed '5s/"pid":\([0-9]\)/"pid":9\1/' "$file" > "$TMP/edited.log"
check "a record edited in rsyslog's file: not intact" \
	must_fail 1 "$V" --log-id "$id" --witness "$witness" "$TMP/edited.log"
finish
