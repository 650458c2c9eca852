# kernel/: rules added by the module's authors.
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

# Landlock: the policy as a kernel ruleset, used by the shim's constructor
# and by `fleetguard run`.
noinst_LTLIBRARIES += libfgkernel.la
libfgkernel_la_SOURCES = kernel/landlock.h kernel/landlock.c kernel/start.h kernel/start.c
libfgkernel_la_CFLAGS = $(AM_CFLAGS)

libfgshim_la_SOURCES += shim/kernel_glue.c
libfleetguard_la_LIBADD += libfgkernel.la

# The floor under Landlock (issue 12): masking in a mount namespace and the
# seccomp filter; only `fleetguard run` sets them up, so they stay out of
# the preloaded library.
noinst_LTLIBRARIES += libfgfloor.la
libfgfloor_la_SOURCES = kernel/mask.h kernel/mask.c kernel/seccomp.h kernel/seccomp.c \
	kernel/supervisor.h kernel/supervisor.c kernel/sup_int.h kernel/sup_net.c kernel/sup_attr.c \
	kernel/sup_cred.c
libfgfloor_la_CFLAGS = $(AM_CFLAGS)

fleetguard_SOURCES += tools/cmd_run.c tools/run_floor.h tools/run_floor.c
fleetguard_LDADD += libfgfloor.la libfgkernel.la libfgpolicy.la $(INIH_STATIC)

# Test helpers: a static binary doing a raw openat (LD_PRELOAD cannot reach
# it), and a wrapper that makes the landlock system calls answer ENOSYS.
check_PROGRAMS += tests/static_openat tests/uring_openat tests/no_landlock
tests_static_openat_SOURCES = tests/static_openat.c
tests_static_openat_CFLAGS = $(WARN_CFLAGS)
tests_static_openat_LDFLAGS = -all-static
tests_uring_openat_SOURCES = tests/uring_openat.c
tests_uring_openat_CFLAGS = $(WARN_CFLAGS)
tests_uring_openat_LDFLAGS = -all-static
tests_no_landlock_SOURCES = tests/no_landlock.c

# The floor: a static socket probe, a loopback listener, the tests.
check_PROGRAMS += tests/bin/sock_probe
tests_bin_sock_probe_SOURCES = tests/bin/sock_probe.c
tests_bin_sock_probe_CFLAGS = $(WARN_CFLAGS)
tests_bin_sock_probe_LDFLAGS = -all-static
check_PROGRAMS += tests/bin/net_probe
tests_bin_net_probe_SOURCES = tests/bin/net_probe.c
tests_bin_net_probe_CFLAGS = $(WARN_CFLAGS) -pthread
tests_bin_net_probe_LDFLAGS = -all-static -pthread
check_PROGRAMS += tests/bin/seal_raw tests/bin/attr_probe
tests_bin_seal_raw_SOURCES = tests/bin/seal_raw.c
tests_bin_seal_raw_CFLAGS = $(WARN_CFLAGS)
tests_bin_seal_raw_LDFLAGS = -all-static
tests_bin_attr_probe_SOURCES = tests/bin/attr_probe.c
tests_bin_attr_probe_CFLAGS = $(WARN_CFLAGS)
tests_bin_attr_probe_LDFLAGS = -all-static
check_PROGRAMS += tests/bin/cred_probe
tests_bin_cred_probe_SOURCES = tests/bin/cred_probe.c
tests_bin_cred_probe_CFLAGS = $(WARN_CFLAGS)
tests_bin_cred_probe_LDFLAGS = -all-static
check_PROGRAMS += tests/no_floor
tests_no_floor_SOURCES = tests/no_floor.c
FLOOR_TESTS = tests/integration/floor_socket.sh tests/integration/floor_mask.sh \
	tests/integration/floor_supervisor.sh tests/integration/floor_missing.sh \
	tests/integration/floor_dgram.sh tests/integration/floor_seal.sh \
	tests/integration/floor_attr.sh tests/integration/floor_cred.sh \
	tests/integration/floor_drop.sh
TESTS += $(FLOOR_TESTS)
EXTRA_DIST += $(FLOOR_TESTS) tests/integration/floor_listen.py tests/integration/floor_cred.py \
	tests/integration/floor_drop.py

LANDLOCK_TESTS = tests/integration/landlock_static.sh tests/integration/landlock_ctypes.sh \
	tests/integration/landlock_workspace.sh tests/integration/landlock_audit.sh \
	tests/integration/landlock_audit_order.sh tests/integration/landlock_audit_makeway.sh \
	tests/integration/landlock_nokernel.sh tests/integration/landlock_run.sh \
	tests/integration/landlock_bypass.sh tests/integration/landlock_deny.sh \
	tests/integration/landlock_writetree.sh tests/integration/audit_ring_run.sh
TESTS += $(LANDLOCK_TESTS)
EXTRA_DIST += $(LANDLOCK_TESTS) tests/integration/landlock_lib.sh

# What Landlock costs: `make bench-landlock` (start-up, and open+close in
# alternating rounds; prints medians and ratios).
noinst_PROGRAMS += bench/run_bench
bench_run_bench_SOURCES = bench/run_bench.c
bench_run_bench_LDADD = libfgkernel.la libfgbreaker.la libfgpolicy.la $(INIH_STATIC)
bench-landlock: bench/run_bench$(EXEEXT) fleetguard$(EXEEXT) libfleetguard.la
	./bench/run_bench$(EXEEXT)
.PHONY: bench-landlock

# The plan builder, white box: kernel/landlock.c is compiled into the test
# (so libfgkernel is not linked), fg_ll_apply runs against a fake kernel.
check_PROGRAMS += tests/unit/check_kernel
tests_unit_check_kernel_SOURCES = tests/unit/check_kernel.c tests/unit/check_main.h
tests_unit_check_kernel_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_kernel_LDADD = libfgpolicy.la $(INIH_STATIC) $(CHECK_LIBS)
EXTRA_tests_unit_check_kernel_DEPENDENCIES = kernel/landlock.c
TESTS += tests/unit/check_kernel

# What the floor costs: `make bench-floor` (open+close and start-up under
# run, with masking and with the supervisor; prints medians and ratios).
noinst_PROGRAMS += bench/floor_bench
bench_floor_bench_SOURCES = bench/floor_bench.c
bench-floor: bench/floor_bench$(EXEEXT) fleetguard$(EXEEXT) libfleetguard.la
	./bench/floor_bench$(EXEEXT)
.PHONY: bench-floor
