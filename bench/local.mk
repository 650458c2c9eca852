# bench/: one program per hot path, each printing ratios against the same work
# without the shim, measured in one run.
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

# Module authors add theirs.

noinst_PROGRAMS += bench/shim_bench
bench_shim_bench_SOURCES = bench/shim_bench.c
bench_shim_bench_CFLAGS = $(AM_CFLAGS) -Wno-missing-prototypes

# make bench: run every benchmark once (figures in docs/PERFORMANCE.md).
FG_BENCHES = bench/shim_bench bench/policy_bench bench/audit_bench bench/breaker_bench bench/run_bench bench/startup_bench \
	bench/floor_bench
bench: all $(noinst_PROGRAMS)
	@for b in $(FG_BENCHES); do echo "== $$b"; ./$$b || exit 1; done
.PHONY: bench

# start-up: /bin/true, python3, a 200-process shell, `fleetguard run` (docs/PERFORMANCE.md)
noinst_PROGRAMS += bench/startup_bench
bench_startup_bench_SOURCES = bench/startup_bench.c
bench_startup_bench_CFLAGS = $(AM_CFLAGS) -Wno-write-strings

# startup_bench's floor: a preloaded library that applies the policy's
# Landlock rules and nothing else (bench/floor_preload.c); a shared object
# only for the build tree, never installed (-rpath makes libtool build it).
noinst_LTLIBRARIES += bench/libfgbenchfloor.la
bench_libfgbenchfloor_la_SOURCES = bench/floor_preload.c
bench_libfgbenchfloor_la_LDFLAGS = -module -avoid-version -shared -rpath $(abs_builddir)/bench

# this project's own `make -j2` plain and under `fleetguard run` (docs/PERFORMANCE.md)
EXTRA_DIST += bench/make_bench.sh
