# learn/local.mk - builds the learning model behind "fleetguard learn" and its tests.
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

# learn/: audit records of one run -> the policy that run needed.
noinst_LTLIBRARIES += libfglearn.la
libfglearn_la_SOURCES = learn/learn.h learn/learn_int.h learn/learn.c learn/collapse.c learn/emit.c learn/exec.c

fleetguard_SOURCES += tools/cmd_learn.c

check_PROGRAMS += tests/unit/check_learn
tests_unit_check_learn_SOURCES = tests/unit/check_learn.c tests/unit/check_main.h
tests_unit_check_learn_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_learn_LDADD = libfglearn.la libfgpolicy.la libfgaudit.la $(INIH_STATIC) $(CHECK_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/check_learn

TESTS += tests/integration/learn.sh
EXTRA_DIST += tests/integration/learn.sh
TESTS += tests/integration/newuser.sh
EXTRA_DIST += tests/integration/newuser.sh
