/* tmpops.c - the C library's temporary-file and reopen calls, for the
 * sandbox tests: tmpops DIR runs mkstemp, mkostemps, mkdtemp, freopen and
 * tmpfile against DIR and prints one "name errno" line per call (0 = ok).
 *
 * SPDX-License-Identifier: Apache-2.0
 * Copyright 2026 The fleetguard Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report(const char *name, int ok)
{
	printf("%s %d\n", name, ok ? 0 : errno);
}

int main(int argc, char **argv)
{
	char t1[4096], t2[4096], t3[4096], t4[4096];
	FILE *f;
	int fd;

	if (argc != 2)
		return 2;
	snprintf(t1, sizeof(t1), "%s/stempXXXXXX", argv[1]);
	fd = mkstemp(t1);
	report("mkstemp", fd >= 0);
	snprintf(t2, sizeof(t2), "%s/ostempXXXXXX.txt", argv[1]);
	fd = mkostemps(t2, 4, O_CLOEXEC);
	report("mkostemps", fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	snprintf(t3, sizeof(t3), "%s/dtempXXXXXX", argv[1]);
	report("mkdtemp", mkdtemp(t3) != NULL);
	snprintf(t4, sizeof(t4), "%s/reopened.txt", argv[1]);
	f = freopen(t4, "w", stdout);
	if (f != NULL) {
		fputs("via freopen\n", f);
		fflush(f);
		fprintf(stderr, "freopen 0\n");
	} else {
		fprintf(stderr, "freopen %d\n", errno);
	}
	errno = 0;
	f = tmpfile();
	fprintf(stderr, "tmpfile %d\n", f != NULL ? 0 : errno);
	return 0;
}
