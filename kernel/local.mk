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

# kernel/: rules added by the module's authors.

# Landlock: the policy as a kernel ruleset, used by the shim's constructor
# and by `fleetguard run`.
noinst_LTLIBRARIES += libfgkernel.la
libfgkernel_la_SOURCES = kernel/landlock.h kernel/landlock.c
libfgkernel_la_CFLAGS = $(AM_CFLAGS)

libfgshim_la_SOURCES += shim/kernel_glue.c
libfleetguard_la_LIBADD += libfgkernel.la

fleetguard_SOURCES += tools/cmd_run.c
fleetguard_LDADD += libfgkernel.la libfgpolicy.la $(INIH_STATIC)
