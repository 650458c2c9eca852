# gateway/: fleetguard-gateway, the LLM reverse proxy outside the agents' reach.
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

# libfggateway holds the proxy (the only code that may use libssl);
# libfggwclient holds the rendezvous (finding and starting the gateway),
# linked by the preloaded library and the fleetguard tool, never libssl.
noinst_LTLIBRARIES += libfggateway.la libfggwclient.la
libfggwclient_la_SOURCES = gateway/rendezvous.h gateway/rendezvous.c
libfggateway_la_SOURCES = gateway/gateway.h gateway/http.c gateway/model.c gateway/proxy.h gateway/proxy.c \
	gateway/resolve.h gateway/resolve.c \
	gateway/tls.h gateway/tls.c
libfggateway_la_CFLAGS = $(AM_CFLAGS) $(SSL_CFLAGS)
libfggateway_la_LIBADD = $(SSL_LIBS)

bin_PROGRAMS += fleetguard-gateway
fleetguard_gateway_SOURCES = gateway/main.c
fleetguard_gateway_CFLAGS = $(AM_CFLAGS) $(SSL_CFLAGS)
fleetguard_gateway_LDADD = libfggateway.la libfggwclient.la libfgbreaker.la libfgpolicy.la \
	libfgaudit.la $(INIH_STATIC) $(SSL_LIBS) $(CRYPTO_LIBS) $(LIBS)

# The preloaded library finds and starts the gateway.
libfleetguard_la_LIBADD += libfggwclient.la
libfgshim_la_SOURCES += shim/gateway_glue.c shim/gateway_glue.h

GATEWAY_ITESTS = tests/integration/gateway_http.sh tests/integration/gateway_https.sh \
	tests/integration/gateway_run.sh tests/integration/gateway_model.sh \
	tests/integration/gateway_auto.sh tests/integration/gateway_dns.sh \
	tests/integration/gateway_switch.sh
TESTS += $(GATEWAY_ITESTS)
EXTRA_DIST += $(GATEWAY_ITESTS) tests/integration/gateway_lib.sh

# fleetguard run starts the gateway and hands out its CA.
fleetguard_SOURCES += tools/run_gateway.c
fleetguard_LDADD += libfggwclient.la

# make fuzz-gateway [FUZZ_SECONDS=60]: libFuzzer on the gateway's HTTP framing
# and model rewrite (check_gateway runs the same target over 40,000
# deterministic mutations on every make check).
EXTRA_DIST += tests/fuzz/corpus-gateway
CLEANFILES += tests/fuzz/fuzz_gateway_http
fuzz-gateway:
	@if test "x$(CLANG)" = xno; then echo "make fuzz-gateway: clang not found (install the Debian package clang)" >&2; exit 1; fi
	$(MKDIR_P) tests/fuzz/work-gateway
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I$(top_srcdir) -I$(top_builddir) -DHAVE_CONFIG_H \
		$(top_srcdir)/tests/fuzz/fuzz_gateway_http.c $(top_srcdir)/gateway/http.c \
		$(top_srcdir)/gateway/model.c $(top_srcdir)/breaker/http.c -o tests/fuzz/fuzz_gateway_http
	tests/fuzz/fuzz_gateway_http -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
		-print_final_stats=1 tests/fuzz/work-gateway $(top_srcdir)/tests/fuzz/corpus-gateway
.PHONY: fuzz-gateway

# make bench: what the gateway adds (figures in docs/PERFORMANCE.md).
FG_BENCHES += bench/gateway_bench
EXTRA_DIST += bench/gateway_bench.py
CLEANFILES += bench/gateway_bench
bench: bench/gateway_bench fleetguard-gateway
bench/gateway_bench: $(srcdir)/bench/gateway_bench.py
	$(MKDIR_P) bench
	printf '#!/bin/sh\nexec %s %s %s "$$@"\n' '$(PYTHON3)' '$(abs_top_srcdir)/bench/gateway_bench.py' \
		'$(abs_top_builddir)' > $@ && chmod +x $@

check_PROGRAMS += tests/unit/check_gateway
tests_unit_check_gateway_SOURCES = tests/unit/check_gateway.c tests/unit/check_main.h \
	tests/fuzz/fuzz_gateway_http.c
tests_unit_check_gateway_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_gateway_LDADD = libfggateway.la libfgbreaker.la libfgpolicy.la \
	$(INIH_STATIC) $(CHECK_LIBS) $(SSL_LIBS) $(CRYPTO_LIBS) $(LIBS)
TESTS += tests/unit/check_gateway
