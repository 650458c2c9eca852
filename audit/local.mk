# audit/: record encoding, hash chain, append, rotation and verification.
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

noinst_LTLIBRARIES += libfgaudit.la
libfgaudit_la_SOURCES = audit/audit.h audit/record.h audit/errno_names.h audit/cat2.h \
	audit/record.c audit/sha256.h audit/sha256.c audit/log.c audit/verify.h audit/verify.c \
	audit/daemon.h audit/wire.h audit/wire.c audit/client.c audit/server.c \
	audit/checkpoint.h audit/checkpoint.c audit/witness.h audit/witness.c \
	audit/verify_ckpt.h audit/verify_ckpt.c
libfgaudit_la_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
# No LIBADD: libtool would hand -lcrypto on to every library and program
# linking this one, the preloaded library included, where only
# --as-needed (Debian's gcc default, dropped under -fsanitize) kept it out
# of DT_NEEDED.  Programs add $(CRYPTO_LIBS) themselves; the preloaded
# library resolves the EVP calls to shim/crypto_lazy.c.

# The audit daemon, exec'd by the library and the launcher.
pkglibexec_PROGRAMS = fg-auditd
# https.c (libssl, for https:// witnesses) is the daemon's alone: never in
# libfgaudit.la, which the preloaded library links.
fg_auditd_SOURCES = audit/fg-auditd.c audit/https.h audit/https.c
fg_auditd_CFLAGS = $(AM_CFLAGS) $(SSL_CFLAGS) $(CRYPTO_CFLAGS)
fg_auditd_LDADD = libfgaudit.la $(SSL_LIBS) $(CRYPTO_LIBS) $(LIBS)

# fleetguard-verify itself is declared in tools/local.mk; its manual is here.
dist_man_MANS += man/fleetguard-verify.1

check_PROGRAMS += tests/unit/check_audit
tests_unit_check_audit_SOURCES = tests/unit/check_audit.c tests/unit/check_main.h tests/unit/failmalloc.h
tests_unit_check_audit_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_check_audit_LDADD = libfgaudit.la $(CHECK_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/check_audit

# The audit daemon and its client, run for real on temporary logs.
check_PROGRAMS += tests/unit/check_auditd
tests_unit_check_auditd_SOURCES = tests/unit/check_auditd.c tests/unit/check_main.h tests/unit/failmalloc.h
tests_unit_check_auditd_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_check_auditd_LDADD = libfgaudit.la $(CHECK_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/check_auditd

# The writer driver for the concurrency, crash and disk-full tests.
check_PROGRAMS += tests/audit_writer
tests_audit_writer_SOURCES = tests/audit_writer.c
tests_audit_writer_LDADD = libfgaudit.la $(CRYPTO_LIBS) $(LIBS)

AUDIT_TESTS = tests/integration/audit_tamper.sh tests/integration/audit_concurrency.sh \
	tests/integration/audit_checkpoints.sh tests/integration/audit_witness.sh \
	tests/integration/audit_handover.sh tests/integration/audit_exit_barrier.sh \
	tests/integration/audit_pool_run.sh tests/integration/audit_ring_nap.sh \
	tests/integration/audit_reserve.sh tests/integration/audit_https.sh \
	tests/integration/audit_rsyslog.sh tests/integration/audit_daemon_user.sh \
	tests/integration/audit_crash.sh tests/integration/audit_diskfull.sh \
	tests/integration/audit_vfork.sh tests/integration/audit_auditd_args.sh \
	tests/integration/audit_verify_errors.sh
TESTS += $(AUDIT_TESTS)
EXTRA_DIST += $(AUDIT_TESTS)

noinst_PROGRAMS += bench/audit_bench
bench_audit_bench_SOURCES = bench/audit_bench.c
bench_audit_bench_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
bench_audit_bench_LDADD = libfgaudit.la $(CRYPTO_LIBS) $(LIBS)

# The witnesses and the signing key when things go wrong.
check_PROGRAMS += tests/unit/check_audit_errors
tests_unit_check_audit_errors_SOURCES = tests/unit/check_audit_errors.c tests/unit/check_main.h \
	tests/unit/failmalloc.h \
	audit/https.h audit/https.c
tests_unit_check_audit_errors_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SSL_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_check_audit_errors_LDADD = libfgaudit.la $(CHECK_LIBS) $(SSL_LIBS) $(CRYPTO_LIBS) $(LIBS)
TESTS += tests/unit/check_audit_errors
