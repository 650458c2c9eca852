# summary/local.mk - builds the audit log summary behind "fleetguard log" and its tests.
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

# summary/: audit log -> denials, breaker time line, processes (text, JSON, HTML).
noinst_LTLIBRARIES += libfgsummary.la
libfgsummary_la_SOURCES = summary/summary.h summary/summary.c summary/render.c summary/html.c

fleetguard_SOURCES += tools/cmd_log.c

check_PROGRAMS += tests/unit/check_summary
tests_unit_check_summary_SOURCES = tests/unit/check_summary.c tests/unit/check_main.h
tests_unit_check_summary_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_summary_LDADD = libfgsummary.la libfgaudit.la $(CHECK_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/check_summary

TESTS += tests/integration/log_summary.sh
EXTRA_DIST += tests/integration/log_summary.sh
CLEANFILES += tests/integration/log_summary.png
