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

# audit/: record encoding, hash chain, append, rotation and verification.
noinst_LTLIBRARIES += libfgaudit.la
libfgaudit_la_SOURCES = audit/audit.h audit/record.h audit/errno_names.h \
	audit/record.c audit/log.c audit/verify.h audit/verify.c
libfgaudit_la_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
libfgaudit_la_LIBADD = $(CRYPTO_LIBS)
