#!/bin/sh
# audit_diskfull.sh - a log on a full 1 MiB tmpfs (and under RLIMIT_FSIZE):
# the append fails with an error, nothing partial is left, verify passes on
# what was written, and appends work again once there is room.
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

W="$FG_TOP_BUILDDIR/tests/audit_writer"
V="$FG_TOP_BUILDDIR/fleetguard-verify"
make_ws
plan 8

# records FILE: the number of records verify counted, or "bad".
records() {
	"$V" --json "$1" | "$PYTHON3" -c '
import json, sys
d = json.loads(sys.stdin.read())
print(d["records"] if d["intact"] else "bad:" + d["status"])'
}

# fill DIR NAME ERRNO [WRITER-ARGS]: append until the first error, expect
# ERRNO, and a log that verifies with exactly the records appended.
fill() {
	dir=$1 name=$2 want=$3
	shift 3
	out=$("$W" -u -n 1000000 "$@" "$dir/audit.log")
	rc=$?
	n=$(printf '%s' "$out" | sed -n 's/^appended \([0-9]*\) error \(.*\)$/\1/p')
	err=$(printf '%s' "$out" | sed -n 's/^appended [0-9]* error \(.*\)$/\1/p')
	if [ $rc -eq 0 ] && [ "$err" = "$want" ] && [ "${n:-0}" -gt 1000 ]; then
		ok "$name: append fails with $want after $n records"
	else
		fail "$name: append fails with $want (exit $rc: $out)"
	fi
	got=$(records "$dir/audit.log")
	if [ "$got" = "$n" ] && [ -n "$n" ]; then
		ok "$name: verify passes on the $n records written"
	else
		fail "$name: verify passes on what was written (verify: $got, appended: $n)"
	fi
	# a second writer on the still-full disk fails the same way, harmlessly
	out=$("$W" -u -n 5 "$@" "$dir/audit.log")
	got=$(records "$dir/audit.log")
	if [ "$out" = "appended 0 error $want" ] && [ "$got" = "$n" ]; then
		ok "$name: the next writer fails cleanly too"
	else
		fail "$name: the next writer fails cleanly ($out, verify: $got)"
	fi
}

D="$TMP/tmpfs"
mkdir -p "$D"
if mount -t tmpfs -o size=1m,mode=0700 fleetguard-test "$D" 2>/dev/null; then
	trap 'umount "$D" 2>/dev/null; rm -rf "$TMP"' EXIT
	fill "$D" "1 MiB tmpfs" ENOSPC
	if mount -o remount,size=2m "$D" && "$W" -n 10 "$D/audit.log"; then
		n=$(records "$D/audit.log")
		case $n in
		*[!0-9]*) fail "with room again, appends resume on an intact chain ($n)" ;;
		*) ok "with room again, appends resume on an intact chain ($n records)" ;;
		esac
	else
		fail "with room again, appends resume"
	fi
	umount "$D"
else
	ok "# SKIP mounting a tmpfs is not permitted here"
	ok "# SKIP mounting a tmpfs is not permitted here"
	ok "# SKIP mounting a tmpfs is not permitted here"
	ok "# SKIP mounting a tmpfs is not permitted here"
fi

F="$TMP/fsize"
mkdir -p "$F"
fill "$F" "RLIMIT_FSIZE 1 MiB" EFBIG -F 1048576
if "$W" -n 10 "$F/audit.log" && [ "$(records "$F/audit.log")" -gt 1000 ]; then
	ok "RLIMIT_FSIZE: without the limit, appends resume on an intact chain"
else
	fail "RLIMIT_FSIZE: without the limit, appends resume"
fi
finish
