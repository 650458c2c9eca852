# policy/: the INI policy model, parser (inih) and matcher.
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

noinst_LTLIBRARIES += libfgpolicy.la
libfgpolicy_la_SOURCES = policy/policy.h policy/parse.c policy/match.c \
	policy/parse_int.h policy/parse_lines.c policy/parse_values.c policy/parse_net.c \
	policy/parse_keys.c policy/parse_builtin.c policy/seal.h policy/seal.c
libfgpolicy_la_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)
libfgpolicy_la_SOURCES += policy/policy_int.h

# fleetguard check (the fleetguard program itself is declared in tools/local.mk)
fleetguard_SOURCES += tools/cmd_check.c

check_PROGRAMS += tests/unit/check_policy
tests_unit_check_policy_SOURCES = tests/unit/check_policy.c tests/unit/check_main.h tests/unit/failmalloc.h
tests_unit_check_policy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_policy_LDADD = libfgpolicy.la $(INIH_STATIC) $(CHECK_LIBS)
TESTS += tests/unit/check_policy

# ns per path decision beside a raw open+close (see docs/PERFORMANCE.md)
noinst_PROGRAMS += bench/policy_bench
bench_policy_bench_SOURCES = bench/policy_bench.c
bench_policy_bench_LDADD = libfgpolicy.la $(INIH_STATIC)

# make fuzz [FUZZ_SECONDS=60]: libFuzzer on the parser, built with clang.
FUZZ_SECONDS = 60
EXTRA_DIST += tests/fuzz/fuzz_policy.c tests/fuzz/policy.dict tests/fuzz/corpus
CLEANFILES += tests/fuzz/fuzz_policy
fuzz:
	@if test "x$(CLANG)" = xno; then echo "make fuzz: clang not found (install the Debian package clang)" >&2; exit 1; fi
	$(MKDIR_P) tests/fuzz/work
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I$(top_srcdir) -I$(top_builddir) -DHAVE_CONFIG_H $(INIH_CFLAGS) \
		$(top_srcdir)/tests/fuzz/fuzz_policy.c \
		$(addprefix $(top_srcdir)/,$(filter %.c,$(libfgpolicy_la_SOURCES))) \
		$(INIH_STATIC) -o tests/fuzz/fuzz_policy
	tests/fuzz/fuzz_policy -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 \
		-dict=$(top_srcdir)/tests/fuzz/policy.dict -print_final_stats=1 \
		tests/fuzz/work $(top_srcdir)/tests/fuzz/corpus
.PHONY: fuzz

dist_man_MANS += man/fleetguard.ini.5
EXTRA_DIST += examples/policies/coding-agent.ini examples/policies/readonly-analysis.ini

TESTS += tests/integration/policy_system.sh tests/integration/policy_check.sh
EXTRA_DIST += tests/integration/policy_system.sh tests/integration/policy_check.sh

dist_doc_DATA += docs/POLICY.md

check_PROGRAMS += tests/unit/check_seal
tests_unit_check_seal_SOURCES = tests/unit/check_seal.c tests/unit/check_main.h
tests_unit_check_seal_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_seal_LDADD = libfgpolicy.la $(INIH_STATIC) $(CHECK_LIBS)
TESTS += tests/unit/check_seal
