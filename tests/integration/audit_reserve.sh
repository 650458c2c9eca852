#!/bin/sh
# audit_reserve.sh - on a full disk a library-only agent can still remove a
# file (its record goes in through the daemon's reserve), and its reads are
# refused rather than let through unrecorded.
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
make_ws
D="$TMP/disk"
mkdir -p "$D"
mount -t tmpfs -o size=1m,mode=0700 fleetguard-test "$D" 2>/dev/null ||
	skip_all "mounting a tmpfs is not permitted here"
trap 'umount "$D" 2>/dev/null; rm -rf "$TMP"' EXIT
plan 5
export XDG_STATE_HOME="$TMP/state"
cat > "$WS/p.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off

[audit]
log = $D/audit.log
events = all
INI
echo data > "$WS/victim.txt"
echo data > "$WS/read.txt"

# the agent waits until the test has filled the disk, then reads until a
# read is refused and removes a file
cd "$WS" || exit 1
fg "$WS/p.ini" "$PYTHON3" -c '
import os, time
open("ready", "w").close()
while not os.path.exists("full"):
    time.sleep(0.05)
reads, refused = 0, None
for i in range(20000):
    try:
        open("read.txt").read()
        reads += 1
    except OSError as e:
        refused = e.errno
        break
try:
    os.unlink("victim.txt")
    rm = "removed"
except OSError as e:
    rm = "unlink: " + e.strerror
print(reads, refused, rm)
' > "$TMP/out" 2> "$TMP/err" &
agent=$!
wait_until 20 test -e "$WS/ready"
head -c 2M /dev/zero > "$D/filler" 2>/dev/null
avail=$(df --output=avail "$D" | tail -n 1)
touch "$WS/full"
wait "$agent"
set -- $(cat "$TMP/out")
check "the disk is full (filler stopped at $(stat -c %s "$D/filler") bytes, $avail KiB left)" \
	[ "$avail" -lt 8 ]
check "reads go on while records fit, then one is refused ($1 reads, errno $2)" \
	[ "$2" = 5 -o "$2" = 28 -o "$2" = 13 ]
check "the file is removed on the full disk ($3 $4)" sh -c "[ '$3' = removed ] && [ ! -e '$WS/victim.txt' ]"
check "its record is in the log" grep -q '"op":"unlink".*victim.txt' "$D/audit.log"
wait_until 10 sh -c "[ ! -e '$D/audit.log.sock' ]"
rm -f "$D/filler"
check "the log verifies" sh -c "\"$V\" '$D/audit.log' >/dev/null"
finish
