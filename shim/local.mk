# shim/: the preloaded library.
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

# The logic is the convenience library libfgshim (also linked by the unit
# tests); libfleetguard.so adds the exported hook files, the constructor
# (start.c) and the raw system call (sys.c): a test links libfgshim
# without them, so nothing runs before its main() and it can put its own
# fg_syscall() in place of the kernel's (tests/unit/check_shim.c). inih is linked
# from its static archive with its symbols made local (--exclude-libs), so a
# host program that defines ini_parse cannot capture our calls.
noinst_LTLIBRARIES += libfgshim.la
libfgshim_la_SOURCES = shim/shim.h shim/auditconf.h shim/core.c shim/fs.c shim/exec.c shim/net.c \
	shim/names.c shim/own.c shim/seal_fd.c shim/spawn.c
libfgshim_la_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)

lib_LTLIBRARIES += libfleetguard.la
libfleetguard_la_SOURCES = shim/start.c shim/sys.c shim/hooks_open.c shim/hooks_fs.c shim/hooks_exec.c shim/hooks_net.c shim/hooks_syscall.c \
	shim/hooks_fd.c shim/hooks_spawn.c shim/crypto_lazy.c
libfleetguard_la_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
# Never libcrypto (tests/integration/no_libcrypto.sh): the agent's process
# must not map it at start, and -Wl,-z,defs proves every EVP call is
# resolved by shim/crypto_lazy.c instead.  (-Wl,--as-needed here cannot
# keep a library out: libtool writes LDFLAGS after the libraries.)
libfleetguard_la_LIBADD = libfgshim.la libfgpolicy.la libfgaudit.la \
	$(INIH_STATIC) $(LIBS)
libfleetguard_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-Wl,--exclude-libs,libinih.a -Wl,-z,now -Wl,-z,relro -Wl,-z,defs

# Versioned hooks (shim/gen_versions.sh): each hook carries the versions libc
# exports it under, so that dlvsym() finds the hook too.
# (one rule writes both; the header waits for it, so make -j runs it once)
shim/versions.map: $(srcdir)/docs/ARCHITECTURE.md $(srcdir)/shim/gen_versions.sh
	$(AM_V_GEN)$(MKDIR_P) shim && $(SHELL) $(srcdir)/shim/gen_versions.sh "$(CC)" \
		$(srcdir)/docs/ARCHITECTURE.md shim/versions.map shim/versions.h
shim/versions.h: shim/versions.map
	@test -f $@ || { rm -f shim/versions.map; $(MAKE) $(AM_MAKEFLAGS) shim/versions.map; }
BUILT_SOURCES += shim/versions.h shim/versions.map
CLEANFILES += shim/versions.h shim/versions.map
EXTRA_DIST += shim/gen_versions.sh
libfleetguard_la_LDFLAGS += -Wl,--version-script=shim/versions.map
EXTRA_libfleetguard_la_DEPENDENCIES = shim/versions.map

# The judge and resolver, unit tested: libfgshim without the constructor
# and with the test's own fg_syscall() (a table-driven fake over the kernel).
check_PROGRAMS += tests/unit/check_shim
tests_unit_check_shim_SOURCES = tests/unit/check_shim.c tests/unit/check_main.h
tests_unit_check_shim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_shim_LDADD = libfgshim.la libfgpolicy.la libfgaudit.la libfgkernel.la \
	libfgbreaker.la libfggwclient.la $(INIH_STATIC) $(CHECK_LIBS) $(CRYPTO_LIBS) $(LIBS)
TESTS += tests/unit/check_shim
