# tests/: shared test helpers and the tests of the shim as a whole.
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

# Module unit tests are registered by their module's local.mk.
EXTRA_DIST += tests/lib.sh tests/unit/check_main.h

# One-line mutations the suite must catch: run by hand before closing a
# large change (tests/mutate.sh --help), not by make check or CI.
EXTRA_DIST += tests/mutate.sh

# No product function over 80 lines (also run by make lint).
TESTS += tests/integration/fnlen.sh
EXTRA_DIST += tests/integration/fnlen.sh tests/fnlen.py

TESTS += tests/integration/exports.sh tests/integration/open_python.sh \
	tests/integration/open_coreutils.sh tests/integration/startup.sh
EXTRA_DIST += tests/integration/exports.sh tests/integration/open_python.sh \
	tests/integration/open_coreutils.sh tests/integration/startup.sh

# A static program for the exec tests.
check_PROGRAMS += tests/bin/static_hello
tests_bin_static_hello_SOURCES = tests/bin/static_hello.c
# No sanitizers: they cannot link statically.
tests_bin_static_hello_CFLAGS = $(WARN_CFLAGS)
tests_bin_static_hello_LDFLAGS = -all-static

TESTS += tests/integration/sandbox_files.sh tests/integration/sandbox_escapes.sh \
	tests/integration/sandbox_exec.sh tests/integration/sandbox_net.sh \
	tests/integration/transparency.sh tests/integration/shim_threads.sh \
	tests/integration/shim_paths.sh tests/integration/shim_own.sh
EXTRA_DIST += tests/integration/sandbox_files.sh tests/integration/sandbox_escapes.sh \
	tests/integration/sandbox_exec.sh tests/integration/sandbox_net.sh \
	tests/integration/transparency.sh tests/integration/shim_threads.sh \
	tests/integration/shim_paths.sh tests/integration/shim_own.sh

check_PROGRAMS += tests/bin/tmpops
tests_bin_tmpops_SOURCES = tests/bin/tmpops.c
tests_bin_tmpops_CFLAGS = $(AM_CFLAGS) -Wno-missing-prototypes
TESTS += tests/integration/sandbox_tmp.sh
EXTRA_DIST += tests/integration/sandbox_tmp.sh

TESTS += tests/integration/shim_longnames.sh
EXTRA_DIST += tests/integration/shim_longnames.sh

# each hooked entry point and syscall() number, denied and allowed
check_PROGRAMS += tests/bin/hookcalls
tests_bin_hookcalls_SOURCES = tests/bin/hookcalls.c
# not instrumented under --enable-coverage: gcc sends an instrumented
# program's execl/execlp/execle calls to gcov's own wrappers, which would
# step past the hooks this program is for
tests_bin_hookcalls_CFLAGS = $(WARN_CFLAGS) $(SAN_CFLAGS) -Wno-missing-prototypes -Wno-write-strings
TESTS += tests/integration/hook_calls.sh
EXTRA_DIST += tests/integration/hook_calls.sh

# the hooked path calls on awkward names: results and errnos as without fleetguard
check_PROGRAMS += tests/bin/errnos
tests_bin_errnos_SOURCES = tests/bin/errnos.c
tests_bin_errnos_CFLAGS = $(WARN_CFLAGS) $(SAN_CFLAGS)
TESTS += tests/integration/errno_calls.sh
EXTRA_DIST += tests/integration/errno_calls.sh

# the supervisor against open/creat/truncate/mknod and odd datagrams, raw
TESTS += tests/integration/floor_rawcalls.sh
EXTRA_DIST += tests/integration/floor_rawcalls.sh

# the coverage allowance (gcov-data) exists in --enable-coverage builds only
TESTS += tests/integration/coverage_switch.sh
EXTRA_DIST += tests/integration/coverage_switch.sh

# audit records carry the call's real result (connect, bind, exec, Landlock)
TESTS += tests/integration/record_outcome.sh
EXTRA_DIST += tests/integration/record_outcome.sh

# the preloaded library and the audit client never link libcrypto
TESTS += tests/integration/no_libcrypto.sh tests/integration/start_argv.sh
EXTRA_DIST += tests/integration/no_libcrypto.sh tests/integration/start_argv.sh

# CPython's own tests of os, shutil, subprocess... under the library
TESTS += tests/integration/cpython_suite.sh
EXTRA_DIST += tests/integration/cpython_suite.sh tests/integration/cpython_outcomes.py \
	tests/integration/cpython_suite.expected

TESTS += tests/integration/sandbox_modes.sh tests/integration/headers.sh
EXTRA_DIST += tests/integration/sandbox_modes.sh tests/integration/headers.sh

TESTS += tests/integration/sandbox_deny_probe.sh
EXTRA_DIST += tests/integration/sandbox_deny_probe.sh

# the sealed launch (issue 11): attacks in C beside the Python ones
check_PROGRAMS += tests/bin/seal_attack
tests_bin_seal_attack_SOURCES = tests/bin/seal_attack.c
tests_bin_seal_attack_CFLAGS = $(AM_CFLAGS) -Wno-missing-prototypes -Wno-write-strings
tests_bin_seal_attack_LDADD = -ldl
TESTS += tests/integration/seal_launch.sh tests/integration/symbol_versions.sh \
	tests/integration/landlock_seal.sh
EXTRA_DIST += tests/integration/seal_launch.sh tests/integration/symbol_versions.sh \
	tests/integration/landlock_seal.sh
