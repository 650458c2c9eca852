#!/bin/bash
# mutate.sh - checks that the test suite catches deliberate one-line bugs in policy, audit, breaker, shim and kernel.
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

# Usage: tests/mutate.sh [--full] [--keep] [--list] [NAME...]
#
# Each mutant below changes one line (a text that must occur exactly once
# in its file).  The script copies the source tree's tracked files (as they
# are in the working tree, uncommitted edits included) to a scratch
# directory, configures and builds it once, then for each mutant: applies
# it, rebuilds, runs its tests, and puts the file back.  A mutant is
# "caught" when the tests fail, "SURVIVED" when they pass; "stale" when its
# line is no longer in the file (update the mutant), "no build" when the
# mutated tree does not compile.  Under a caught mutant, "by:" names the
# first check that failed: one unrelated to the mutant (a flaky check)
# is no catch.  The source tree is never touched.
#
# Tests: each mutant names the subset of `make check` that covers what it
# breaks (the unit test of its module and the integration scripts that
# drive it), so a run takes minutes, not hours; --full runs the whole
# `make check` for every mutant instead.  Before the mutants, the union of
# the subsets runs on the unmutated tree and must pass.
#
# Not part of `make check` or CI: run it before closing a large change.
# Exit status: 0 when every mutant was caught, 1 otherwise.

# The whole script is one compound command, read before it runs: editing
# this file (or the tree) while a run goes on cannot change that run.
{
set -u

full=no keep=no list=no
only=()
for a in "$@"; do
	case $a in
	--full) full=yes ;;
	--keep) keep=yes ;;
	--list) list=yes ;;
	-h|--help) awk '/^# Usage/,/^# Exit status/' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "mutate.sh: unknown option '$a'" >&2; exit 2 ;;
	*) only+=("$a") ;;
	esac
done

src=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON3:-python3}

# --- the mutants -------------------------------------------------------------
# m NAME MODULE FILE TESTS OLD NEW (OLD and NEW may span lines: $'...\n...')
names=() modules=() files=() tests=() olds=() news=()
m() {
	names+=("$1"); modules+=("$2"); files+=("$3"); tests+=("$4"); olds+=("$5"); news+=("$6")
}

U=tests/unit
I=tests/integration

m deny-ignored policy policy/match.c "$U/check_policy" \
	'	if (nd->deny)' \
	'	if (0 && nd->deny)'
m prefix-not-component policy policy/match.c "$U/check_policy $I/sandbox_escapes.sh" \
	"	return plen >= tlen && !memcmp(tree, path, tlen) && (plen == tlen || path[tlen] == '/');" \
	'	return plen >= tlen && !memcmp(tree, path, tlen);'
m long-path-root-rule policy policy/match.c "$U/check_policy" \
	'		return len_bit(x, 1) ? lookup(x, path, 1) : NULL;' \
	'		return NULL;'
m move-over-deny policy policy/match.c "$U/check_policy $I/sandbox_files.sh" \
	'			if (r->len > len && fg_path_within(path, len, r->path, r->len))' \
	'			if (r->len > len && 0)'
m tmpdir-ignored policy policy/parse_values.c "$U/check_policy" \
	'		return val && *val ? val : "/tmp";' \
	'		return "/tmp";'
m relative-path-accepted policy policy/parse_values.c "$U/check_policy $I/policy_check.sh" \
	"	if (v[0] != '/') {" \
	"	if (v[0] == '~') {"

m verify-ignores-link audit audit/verify.c "$U/check_audit $I/audit_tamper.sh" \
	'	if (memcmp(prevp, v->prev, FG_HASH_HEX) != 0)' \
	'	if (0)'
m verify-ignores-hash audit audit/verify.c "$U/check_audit $I/audit_tamper.sh" \
	'	if (memcmp(hex, hashp, FG_HASH_HEX) != 0) {' \
	'	if (0) {'
m verify-exit-0 audit tools/fleetguard-verify.c "$I/audit_tamper.sh $I/shim_threads.sh" \
	'	return res.status == FG_VERIFY_INTACT ? 0 : 1;' \
	'	return 0;'
m events-denied-logs-all audit shim/core.c "$I/sandbox_modes.sh" \
	$'	case FG_EVENTS_DENIED:\n		return allowed;' \
	$'	case FG_EVENTS_DENIED:\n		return false;'
m https-non-2xx-delivered audit audit/https.c "$I/audit_https.sh" \
	'	if (status < 200 || status > 299) {' \
	'	if (status < 100) {'
m https-long-status-code audit audit/https.c "$I/audit_https.sh" \
	"	if (got > 12 && resp[12] >= '0' && resp[12] <= '9')" \
	'	if (0)'

m streak-not-reset breaker breaker/machine.c "$U/check_breaker $I/breaker_status.sh" \
	'			atomic_store(&s->streak[k], 0);' \
	'			(void)k;'
m threshold-off-by-one breaker breaker/machine.c "$U/check_breaker $I/breaker_http.sh" \
	'		if (fails >= b->conf.threshold &&' \
	'		if (fails > b->conf.threshold &&'
m open-period-uncapped breaker breaker/machine.c "$U/check_breaker" \
	$'	if (s > c->max_open_seconds)\n		s = c->max_open_seconds;\n	return s * 1000u;' \
	$'	return s * 1000u;'
m explicit-state-dir-fallback breaker breaker/map.c "$U/check_breaker $I/breaker_status.sh" \
	'	for (size_t i = 0; i < (c->state_dir_set ? 1 : FG_BK_DIRS_MAX); i++)' \
	'	for (size_t i = 0; i < FG_BK_DIRS_MAX; i++)'
m retry-after-unread breaker breaker/http.c "$U/check_breaker $I/breaker_http.sh" \
	'	return st < 200 || st == 429 || st == 503;' \
	'	return st < 200;'

m chown-skips-policy shim shim/hooks_fs.c "$I/sandbox_files.sh" \
	$'		return direct_chown(&op, &a);    /* acts on a descriptor already held */\n	return fg_op(&op, &a);' \
	$'		return direct_chown(&op, &a);    /* acts on a descriptor already held */\n	return direct_chown(&op, &a);'
m long-name-judged shim shim/fs.c "$I/shim_longnames.sh" \
	'	return p != NULL && strnlen(p, PATH_MAX) == PATH_MAX;' \
	'	return false;'
m raw-openat-unjudged shim shim/hooks_syscall.c "$I/sandbox_exec.sh $I/sandbox_escapes.sh" \
	$'	case SYS_openat:\n		*ret = fg_openat_checked("open", (int)A(0), P(1), (int)A(2), (mode_t)A(3));' \
	$'	case SYS_openat:\n		*ret = fg_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);'
m connect-loopback-free shim shim/net.c "$I/sandbox_net.sh" \
	'	if (strcmp(op, "bind") == 0 && (sa->sa_family == AF_UNIX || (ip && fg_is_loopback(&d))))' \
	'	if (sa->sa_family == AF_UNIX || (ip && fg_is_loopback(&d)))'
m env-not-carried shim shim/exec.c "$I/sandbox_exec.sh" \
	'	return strncmp(e, "LD_PRELOAD=", 11) == 0 || strncmp(e, "FLEETGUARD_", 11) == 0;' \
	'	return strncmp(e, "FLEETGUARD_", 11) == 0;'

m carve-grants-denied kernel kernel/landlock.c "$U/check_kernel $I/landlock_deny.sh" \
	'		if (denied(p, child) || lstat(child, &st) < 0 || S_ISLNK(st.st_mode))' \
	'		if (lstat(child, &st) < 0 || S_ISLNK(st.st_mode))'
m carved-dir-readable kernel kernel/landlock.c "$U/check_kernel $I/landlock_deny.sh" \
	'	grant(pl, dir, rights & LL_FS_READ_DIR);' \
	'	grant(pl, dir, rights);'
m audit-dir-writable kernel kernel/landlock.c "$U/check_kernel $I/landlock_audit.sh" \
	$'			dig(pl, path, 0);\n			continue;' \
	$'			grant(pl, path, LL_READ | LL_WRITE);\n			continue;'
m ephemeral-bind-dropped kernel kernel/landlock.c "$U/check_kernel" \
	'	add_port(pl, 0, LL_NET_BIND_TCP);      /* an ephemeral port */' \
	'	(void)pl;'
m write-tree-not-made kernel kernel/start.c "$I/landlock_writetree.sh" \
	'	fg_ll_make_write_trees(s->pol, s->note, s->ctx);' \
	'	(void)s;'
m record-before-result shim shim/fs.c "$I/landlock_writetree.sh" \
	'	rec = fg_record(act, fg_decide(v, mode), v, rc < 0 ? err : 0);' \
	'	rec = fg_record(act, fg_decide(v, mode), v, 0);'
m run-picks-other-library run tools/cmd_run.c "$I/landlock_run.sh" \
	'	if (realpath(FG_BUILDDIR, build) != NULL && strcmp(exe, build) == 0)' \
	'	if (realpath(FG_BUILDDIR, build) != NULL && strcmp(exe, build) != 0)'

# --list: each mutant, and whether its line is still in the source tree.
if [ "$list" = yes ]; then
	for i in "${!names[@]}"; do
		n=$("$PY" -c 'import sys; print(open(sys.argv[1]).read().count(sys.argv[2]))' \
			"$src/${files[$i]}" "${olds[$i]}" 2> /dev/null)
		printf '%-24s %-8s %-26s %-6s %s\n' "${names[$i]}" "${modules[$i]}" "${files[$i]}" \
			"$([ "$n" = 1 ] && echo ok || echo stale)" "${tests[$i]}"
	done
	exit 0
fi

selected() {
	local n
	[ ${#only[@]} -eq 0 ] && return 0
	for n in "${only[@]}"; do [ "$n" = "$1" ] && return 0; done
	return 1
}

# --- the scratch tree --------------------------------------------------------
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fg-mutate.XXXXXX") || exit 2
if [ "$keep" = no ]; then
	trap 'rm -rf "$scratch"' EXIT
fi
log="$scratch/mutate.log"
echo "mutate.sh: scratch tree $scratch (log: $log)"
(cd "$src" && git ls-files -z | tar --null -T - -cf -) | tar -C "$scratch" -xf - || exit 2
cd "$scratch" || exit 2
echo "mutate.sh: configuring and building the scratch tree"
if ! { autoreconf -fi && ./configure --enable-werror && make -j2; } > "$log" 2>&1; then
	echo "mutate.sh: the unmutated tree does not build (see $log)" >&2
	exit 2
fi

# apply FILE OLD NEW: replace the one occurrence; 3 when OLD is not there
# exactly once.
apply() {
	"$PY" - "$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(3)
open(path, "w").write(text.replace(old, new))
PY
}

run_tests() {
	if [ "$full" = yes ]; then
		timeout 3600 make -j2 check >> "$log" 2>&1
	else
		timeout 1200 make -j2 check TESTS="$1" >> "$log" 2>&1
	fi
}

all_tests=""
for i in "${!names[@]}"; do
	selected "${names[$i]}" && all_tests="$all_tests ${tests[$i]}"
done
all_tests=$(printf '%s\n' $all_tests | sort -u | tr '\n' ' ')
what() { if [ "$full" = yes ]; then echo "make check"; else echo "$1"; fi; }
echo "mutate.sh: baseline (unmutated): $(what "$all_tests")"
if ! run_tests "$all_tests"; then
	echo "mutate.sh: the tests fail without any mutant (see $log)" >&2
	exit 2
fi

printf '\n%-3s %-8s %-24s %-9s %s\n' '#' module mutant result tests
caught=0 total=0
for i in "${!names[@]}"; do
	selected "${names[$i]}" || continue
	total=$((total + 1))
	f=${files[$i]} by=""
	cp -p "$f" "$scratch/.orig"
	echo "=== mutant ${names[$i]} ($f)" >> "$log"
	apply "$f" "${olds[$i]}" "${news[$i]}"
	case $? in
	0)
		if ! make -j2 >> "$log" 2>&1; then
			result="no build"
		else
			from=$(wc -l < "$log")
			if run_tests "${tests[$i]}"; then
				result=SURVIVED
			else
				result=caught
				caught=$((caught + 1))
				# which check failed: a flaky one, unrelated to
				# the mutant, would make "caught" a false comfort
				by=$(tail -n +"$((from + 1))" "$log" | grep -m1 -E '^(FAIL|ERROR):' |
					sed -E 's/^[A-Z]+: (tests\/)?//' | cut -c1-100)
			fi
		fi ;;
	3) result=stale ;;
	*) result=error ;;
	esac
	cp "$scratch/.orig" "$f"
	touch "$f"
	printf '%-3s %-8s %-24s %-9s %s\n' "$total" "${modules[$i]}" "${names[$i]}" "$result" \
		"$(what "${tests[$i]}")"
	[ -n "$by" ] && printf '%-3s   by: %s\n' '' "$by"
done
make -j2 >> "$log" 2>&1
printf '\n%d of %d mutants caught\n' "$caught" "$total"
[ "$caught" -eq "$total" ]
exit
}
