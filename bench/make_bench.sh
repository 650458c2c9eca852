#!/bin/bash
# make_bench.sh - this project's own `make -j2` plain and under `fleetguard run`, alternating.
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
#
# Usage: bench/make_bench.sh FLEETGUARD BUILD_DIR [ROUNDS] [TARGET...]
#
# BUILD_DIR is a configured copy of this project (a clone, autoreconf -fi,
# ./configure); FLEETGUARD the `fleetguard` of the build under test (run
# from its build tree, it preloads that tree's library).  Each round runs
# `make clean` then `make -j2 TARGET...` (default: all) once plain and once
# under `fleetguard run` with a policy that lets the build write BUILD_DIR
# and /tmp, in alternating order, and prints the medians and their ratio
# (docs/PERFORMANCE.md).
set -eu
fg=$1 dir=$2 rounds=${3:-3}
shift 2
[ $# -gt 0 ] && shift
targets=("$@")
pol=$(mktemp -d "${TMPDIR:-/tmp}/fg-make.XXXXXX")
trap 'rm -rf "$pol"' EXIT
printf '[filesystem]\nwrite = %s, /tmp\n[audit]\nlog = %s/audit.log\n' "$dir" "$pol" \
	> "$pol/fleetguard.ini"

one() {         # one plain|run: seconds for make clean + make -j2
	local t0 t1
	make -C "$dir" -s clean > /dev/null 2>&1
	t0=$(date +%s.%N)
	if [ "$1" = run ]; then
		FLEETGUARD_QUIET=1 "$fg" run --policy "$pol/fleetguard.ini" -- \
			make -C "$dir" -s -j2 "${targets[@]}" > /dev/null 2>&1
	else
		make -C "$dir" -s -j2 "${targets[@]}" > /dev/null 2>&1
	fi
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

plain=() under=()
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then
		plain+=("$(one plain)"); under+=("$(one run)")
	else
		under+=("$(one run)"); plain+=("$(one plain)")
	fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mp=$(median "${plain[@]}") mu=$(median "${under[@]}")
printf 'make -j2 %s: plain %.2f s   fleetguard run %.2f s   ratio %.2fx  (%s rounds; load %s)\n' \
	"${targets[*]:-all}" "$mp" "$mu" "$(echo "$mu / $mp" | bc -l)" "$rounds" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
