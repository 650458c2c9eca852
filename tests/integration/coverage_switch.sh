#!/bin/bash
# coverage_switch.sh - gcov's data directory is writable past the policy in --enable-coverage builds only, and leaves no trace in any other build.
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

# make coverage lets every process write its counters below the build tree's
# gcov-data (policy/policy.h fg_coverage_path).  This script runs in every
# build and checks both sides: in a normal build no binary names the
# directory and the library, the supervisor and Landlock refuse it like any
# other path outside the policy; in a coverage build all three let it be
# written, and the library records nothing of it.
. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
plan 6
ll_setup
GD="$FG_TOP_BUILDDIR/gcov-data"
if [ -n "${FG_GCOV_DIR:-}" ]; then cov=yes; else cov=no; fi
made=
[ -d "$GD" ] || { mkdir -p "$GD" && made=1; }
probe="$GD/probe-$$"
trap 'rm -f "$probe" "$probe".*; [ -z "$made" ] || rmdir "$GD"; rm -rf "$TMP"' EXIT

named=
for f in "$FG_LIB" "$FG_TOOL" "$FG_TOP_BUILDDIR/fleetguard-verify" "$FG_TOP_BUILDDIR/fg-auditd"; do
	grep -q -a -F "$GD" "$f" && named="$named ${f##*/}"
done
if [ $cov = no ]; then
	check "a normal build: no binary names $GD (named in:$named)" [ -z "$named" ]
	check "a normal build: no binary holds the coverage reason" \
		sh -c "! grep -q -a -F 'a --enable-coverage build' '$FG_LIB' '$FG_TOOL'"
else
	check "a coverage build: the library and fleetguard name $GD ($named)" \
		sh -c "case '$named' in *libfleetguard.so*fleetguard*) true;; *) false;; esac"
	check "a coverage build: GCOV_PREFIX is that directory ($GCOV_PREFIX)" [ "$GCOV_PREFIX" = "$GD" ]
fi

# The library: a shell writes there under a policy that allows only the workspace.
fg "$POL" /bin/sh -c "echo x > '$probe'" 2> "$TMP/err"; rc=$?
if [ $cov = no ]; then
	check "a normal build: the library refuses a write in $GD (rc $rc)" \
		sh -c "[ $rc -ne 0 ] && [ ! -s '$probe' ] && grep -q 'denied' '$TMP/err'"
	check "... and records the refusal" grep -q "\"path\":\"$probe\".*\"decision\":\"deny\"" "$LOG"
else
	check "a coverage build: the library lets the write in $GD through (rc $rc)" \
		sh -c "[ $rc -eq 0 ] && [ -s '$probe' ] && [ ! -s '$TMP/err' ]"
	check "... unrecorded (no record has it as its path)" sh -c "! grep -q '\"path\":\"$probe' '$LOG'"
fi
rm -f "$probe"

# The kernel: a raw openat(O_CREAT) past the library, under fleetguard run
# (Landlock) and with the supervisor floor (which performs the open).
RAW_CREATE='
import ctypes, os, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
fd = libc.syscall(257, -100, sys.argv[1].encode(), os.O_WRONLY | os.O_CREAT, 0o644)
sys.exit(0 if fd >= 0 else 3 if ctypes.get_errno() == 13 else 4)
'
fgrun --policy "$POL" -- "$PYTHON3" -c "$RAW_CREATE" "$probe.landlock" 2> "$TMP/err.landlock"
rc_landlock=$?
fgrun --policy "$POL" --floor supervisor -- "$PYTHON3" -c "$RAW_CREATE" "$probe.supervisor" \
	2> "$TMP/err.supervisor"
rc_supervisor=$?
if [ $cov = no ]; then
	check "a normal build: a raw create in $GD is refused by the kernel (landlock $rc_landlock, supervisor $rc_supervisor)" \
		sh -c "[ $rc_landlock -ne 0 ] && [ $rc_supervisor -ne 0 ] && [ ! -e '$probe.landlock' ] && [ ! -e '$probe.supervisor' ]"
else
	check "a coverage build: a raw create in $GD is let through (landlock $rc_landlock, supervisor $rc_supervisor)" \
		sh -c "[ $rc_landlock -eq 0 ] && [ $rc_supervisor -eq 0 ] && [ -e '$probe.landlock' ] && [ -e '$probe.supervisor' ]"
fi
diag "landlock: $(head -c 300 "$TMP/err.landlock")" "supervisor: $(head -c 300 "$TMP/err.supervisor")"
# the run (not the coverage directory) is what fails a normal build's check
check "both runs were confined and ran (rc 0 or 3)" \
	sh -c "case '$rc_landlock$rc_supervisor' in 00|33) true;; *) false;; esac"
finish
