# breaker/: the fleet-wide circuit breaker (shared state file, lock-free state
# machine, HTTP status sniffer).
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

# No shim headers: the shim's glue lives in shim/circuit*.c and
# shim/hooks_io.c, registered here by the same author.
noinst_LTLIBRARIES += libfgbreaker.la
libfgbreaker_la_SOURCES = breaker/breaker.h breaker/internal.h breaker/map.c \
	breaker/machine.c breaker/http.c

# The shim's side: the glue in the convenience library, the exported I/O and
# OpenSSL hooks in the preloaded library itself (as the other hook files).
libfgshim_la_SOURCES += shim/circuit.c shim/circuit_calls.c shim/circuit_tls.c shim/circuit.h shim/circuit_int.h
libfleetguard_la_SOURCES += shim/hooks_io.c
libfleetguard_la_LIBADD += libfgbreaker.la

# fleetguard status / fleetguard breaker
fleetguard_SOURCES += tools/cmd_status.c
fleetguard_LDADD += libfgbreaker.la

check_PROGRAMS += tests/unit/check_breaker
tests_unit_check_breaker_SOURCES = tests/unit/check_breaker.c tests/unit/check_main.h
tests_unit_check_breaker_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_breaker_LDADD = libfgbreaker.la $(CHECK_LIBS) $(LIBS)
TESTS += tests/unit/check_breaker

BREAKER_ITESTS = tests/integration/breaker_http.sh tests/integration/breaker_fallback.sh tests/integration/breaker_calls.sh tests/integration/breaker_https.sh \
	tests/integration/breaker_fleet.sh tests/integration/breaker_status.sh
TESTS += $(BREAKER_ITESTS)
EXTRA_DIST += $(BREAKER_ITESTS) tests/integration/breaker_lib.sh \
	tests/integration/llm_server.py tests/integration/llm_client.py tests/integration/breaker_calls.py

noinst_PROGRAMS += bench/breaker_bench
bench_breaker_bench_SOURCES = bench/breaker_bench.c
# (run by `make bench`: bench/local.mk lists it in FG_BENCHES)

# make fuzz-breaker [FUZZ_SECONDS=60]: libFuzzer on the HTTP sniffer, built
# with clang; differential (whole input, byte by byte, odd pieces).
EXTRA_DIST += tests/fuzz/fuzz_http_sniff.c tests/fuzz/corpus-http
CLEANFILES += tests/fuzz/fuzz_http_sniff
fuzz-breaker:
	@if test "x$(CLANG)" = xno; then echo "make fuzz-breaker: clang not found (install the Debian package clang)" >&2; exit 1; fi
	$(MKDIR_P) tests/fuzz/work-http
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I$(top_srcdir) -I$(top_builddir) -DHAVE_CONFIG_H \
		$(top_srcdir)/tests/fuzz/fuzz_http_sniff.c $(top_srcdir)/breaker/http.c \
		-o tests/fuzz/fuzz_http_sniff
	tests/fuzz/fuzz_http_sniff -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
		-print_final_stats=1 tests/fuzz/work-http $(top_srcdir)/tests/fuzz/corpus-http
.PHONY: fuzz-breaker
