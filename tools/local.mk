# tools/: the fleetguard command (subcommands add their files from their
# module's local.mk) and fleetguard-verify.
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

bin_PROGRAMS += fleetguard fleetguard-verify
fleetguard_SOURCES = tools/tools.h tools/fleetguard.c tools/die.c tools/warn.c shim/crypto_lazy.c
# No libcrypto at start: shim/crypto_lazy.c loads it on first use, so that
# `fleetguard run` (which never hashes with it) does not map and relocate it.
fleetguard_CPPFLAGS = $(AM_CPPFLAGS) -DFG_CRYPTO_TOOL
fleetguard_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
fleetguard_LDADD = libfglearn.la libfgsummary.la libfgpolicy.la libfgaudit.la $(INIH_STATIC) $(LIBS)
# Bound at start (-z now): `fleetguard run` forks the agent after its set-up,
# and a symbol bound lazily after that fork writes the GOT page, one copy-
# on-write fault in the agent and one in the supervisor, plus the lookup.
fleetguard_LDFLAGS = $(AM_LDFLAGS) -Wl,-z,now
fleetguard_verify_SOURCES = tools/tools.h tools/die.c tools/fleetguard-verify.c
fleetguard_verify_LDADD = libfgaudit.la $(CRYPTO_LIBS)
