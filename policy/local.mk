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

# policy/: the INI policy model, parser (inih) and matcher.
noinst_LTLIBRARIES += libfgpolicy.la
libfgpolicy_la_SOURCES = policy/policy.h policy/parse.c policy/match.c
libfgpolicy_la_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)
libfgpolicy_la_SOURCES += policy/policy_int.h

# fleetguard check (the fleetguard program itself is declared in tools/local.mk)
fleetguard_SOURCES += tools/cmd_check.c

check_PROGRAMS += tests/unit/check_policy
tests_unit_check_policy_SOURCES = tests/unit/check_policy.c tests/unit/check_main.h
tests_unit_check_policy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_policy_LDADD = libfgpolicy.la $(INIH_STATIC) $(CHECK_LIBS)
TESTS += tests/unit/check_policy

# ns per path decision beside a raw open+close (see docs/PERFORMANCE.md)
noinst_PROGRAMS += bench/policy_bench
bench_policy_bench_SOURCES = bench/policy_bench.c
bench_policy_bench_LDADD = libfgpolicy.la $(INIH_STATIC)
