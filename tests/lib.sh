# lib.sh - TAP helpers for the integration tests.
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

# Source it, call plan N, then ok/fail per check. Tests run real programs
# under the real library.

: "${FG_TOP_BUILDDIR:?run through make check}"
: "${FG_TOP_SRCDIR:?run through make check}"
PYTHON3=/usr/bin/python3
FG_LIB="$FG_TOP_BUILDDIR/.libs/libfleetguard.so"
FG_BIN="$FG_TOP_BUILDDIR"
fg_n=0
fg_failed=0

# Under --enable-sanitizers the library is built with ASan, whose runtime
# must come first in LD_PRELOAD: tested deliberately, never by accident.
FG_PRELOAD="$FG_LIB"
if [ "${FG_SANITIZERS:-no}" = yes ]; then
	FG_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so) $FG_LIB"
	export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
fi

# Under --enable-coverage every process writes its gcov counters below
# FG_GCOV_DIR (GCOV_PREFIX, set by make check): the one directory the
# policy lets any process write in that build.  Its layout mirrors the
# build tree's objects and is made here before the first test: a folder and
# an empty .gcda (gcov starts an empty one afresh) for each .gcno, open to
# every uid, so that gcov never creates a folder above it and a process
# that dropped to another uid (fg-auditd --user, floor_mask.sh's nobody)
# can add its counters too.
if [ -n "${FG_GCOV_DIR:-}" ] && [ ! -e "$FG_GCOV_DIR/.layout" ]; then
	mkdir -p "$FG_GCOV_DIR"
	(cd "$FG_TOP_BUILDDIR" && find . -path ./gcov-data -prune -o -name '*.gcno' -print) |
		sed 's/\.gcno$/.gcda/' > "$FG_GCOV_DIR/.files.$$"
	(cd "$FG_GCOV_DIR" && sed 's|/[^/]*$||' ".files.$$" | sort -u | xargs mkdir -p &&
		xargs touch < ".files.$$" && xargs chmod 0666 < ".files.$$")
	rm -f "$FG_GCOV_DIR/.files.$$"
	find "$FG_GCOV_DIR" -type d -exec chmod 1777 {} +
	: > "$FG_GCOV_DIR/.layout"
fi

plan() { echo "1..$1"; }

# asan_breaks PROG: true under --enable-sanitizers when PROG cannot even run
# with the ASan runtime preloaded and no fleetguard at all (curl hangs in
# setlocale): such checks are skipped there, and run in every other build.
asan_breaks() {
	[ "${FG_SANITIZERS:-no}" = yes ] || return 1
	! LD_PRELOAD="${FG_PRELOAD% *}" timeout 5 "$@" --version > /dev/null 2>&1
}

# skip_check NAME REASON: a skipped check (TAP "# SKIP").
skip_check() { fg_n=$((fg_n + 1)); echo "ok $fg_n - $1 # SKIP $2"; }

ok() { fg_n=$((fg_n + 1)); echo "ok $fg_n - $*"; }

fail() {
	fg_n=$((fg_n + 1)); fg_failed=$((fg_failed + 1))
	echo "not ok $fg_n - $*"
}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# check NAME CMD...: ok when CMD succeeds.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

# diag TEXT...: TAP comment lines.
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# A fresh workspace under a temporary directory; sets WS and TMP.
make_ws() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/fg-test.XXXXXX")
	WS="$TMP/ws"
	mkdir -p "$WS"
	trap 'rm -rf "$TMP"' EXIT
}

# audit_ws: make_ws, a work tree the policy lets the agent write
# ($WS/work, policy $WS/fleetguard.ini), LOG (the policy's default log),
# VERIFY (fleetguard-verify), and fleetguard's notes kept off stderr.
audit_ws() {
	make_ws
	LOG="$WS/.fleetguard/audit.log"
	VERIFY="$FG_TOP_BUILDDIR/fleetguard-verify"
	mkdir -p "$WS/work"
	printf '[filesystem]\nwrite = ${root}/work\n' > "$WS/fleetguard.ini"
	export FLEETGUARD_QUIET=1
}

# fg POLICY CMD...: run CMD under the library with POLICY.
fg() {
	local pol=$1; shift
	LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$pol" "$@"
}

# landlock_abi: the kernel's Landlock ABI, asked without any fleetguard in
# the way (negative when the kernel has none).
landlock_abi() {
	env -u LD_PRELOAD "$PYTHON3" -c 'import ctypes; print(ctypes.CDLL(None).syscall(444, None, 0, 1))'
}

# wait_until SECONDS CMD...: poll CMD every 50 ms until it succeeds or
# SECONDS have passed; its last status.  For what a test must wait for (a
# server up, a file written): a loaded machine only makes the wait longer,
# while a fixed sleep there would turn into a false failure.
wait_until() {
	local end=$(($(date +%s) + $1 + 1)); shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# status_of CMD...: prints the exit status (never fails).
status_of() { "$@"; echo $?; }

# must_fail CODE CMD...: CMD exits with exactly CODE (a crash is not a denial).
must_fail() {
	local want=$1 rc; shift
	"$@"; rc=$?
	[ "$rc" -eq "$want" ] || { diag "expected exit $want, got $rc: $*"; return 1; }
}

# --- fleetguard run ---------------------------------------------------------
#
# fleetguard run picks the build tree's library only when it runs from the
# build tree, else the installed one; /etc/ld.so.preload could add another.
# A test of `fleetguard run` that loaded an older, installed library would
# test that library.  So a script that runs `fleetguard run` first calls
# fg_prove_run (at its top level, not inside $(...)), which runs a program
# under `fleetguard run` and requires every libfleetguard mapped into it to
# be the library under test; fgrun refuses to run before that proof.
FG_TOOL="$FG_TOP_BUILDDIR/fleetguard"

# fg_run_raw ARGS...: fleetguard run ARGS (the ASan runtime first when the
# library is built with it), under the command in $FG_RUN_WRAP if set.
fg_run_raw() {
	if [ "${FG_SANITIZERS:-no}" = yes ]; then
		LD_PRELOAD="${FG_PRELOAD% *}" $FG_RUN_WRAP "$FG_TOOL" run "$@"
	else
		$FG_RUN_WRAP "$FG_TOOL" run "$@"
	fi
}

# fg_prove_run: bail out of the script unless `fleetguard run` (under
# $FG_RUN_WRAP, if set) maps the library under test and no other.
fg_prove_run() {
	local d want got maps
	d=$(mktemp -d "${TMPDIR:-/tmp}/fg-prove.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
	printf '[filesystem]\nwrite = %s\n[audit]\nlog = %s/audit.log\n' "$d" "$d" > "$d/p.ini"
	maps=$(FLEETGUARD_QUIET=1 fg_run_raw --policy "$d/p.ini" -- /bin/cat /proc/self/maps 2> "$d/err")
	want=$(stat -L -c %d:%i "$FG_LIB" 2> /dev/null)
	got=$(printf '%s\n' "$maps" | awk '$6 ~ /libfleetguard/ { print $6 }' | sort -u)
	if [ -z "$got" ] || [ -z "$want" ]; then
		echo "Bail out! fleetguard run mapped no libfleetguard ($(head -c 300 "$d/err"))"
		rm -rf "$d"; exit 1
	fi
	for lib in $got; do
		if [ "$(stat -L -c %d:%i "$lib" 2> /dev/null)" != "$want" ]; then
			echo "Bail out! fleetguard run loaded $lib, not the library under test $FG_LIB"
			rm -rf "$d"; exit 1
		fi
	done
	rm -rf "$d"
	FG_RUN_PROVED=1
}

# fgrun ARGS...: fleetguard run ARGS, once fg_prove_run has passed.
fgrun() {
	if [ -z "${FG_RUN_PROVED:-}" ]; then
		echo "fgrun: call fg_prove_run first (at the script's top level)" >&2
		return 125
	fi
	fg_run_raw "$@"
}

finish() { exit $((fg_failed > 0)); }
