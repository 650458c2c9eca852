/* seal_fd.c - keeps the sealed policy descriptor open and inheritable in every process.
 * its child gets.
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
/*
 * The sealed policy at FG_SEAL_FD is what every descendant starts from, so
 * the agent's calls may neither close it, replace it (dup2/dup3 onto it)
 * nor mark it close-on-exec: each is refused like a touch of any other of
 * fleetguard's own files, with the denial line and a record.  Bulk closes
 * (close_range, closefrom) close everything else they were asked to; a
 * plain close() of it answers EBADF quietly, as if it were not open (the
 * raw call gets the same from the seccomp filter): closing every
 * descriptor one by one is what bulk closers fall back to (CPython's
 * subprocess and multiprocessing children walk /proc/self/fd and close
 * each), so a line and a record there would be noise, not an attack.
 * Replacing it (dup2, dup3) or marking it close-on-exec stays loud.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "policy/seal.h"
#include "shim/shim.h"

bool fg_seal_fd_refuse(const char *op, int fd)
{
	char what[64];
	struct fg_act act = { .op = op, .path = what, .flags = -1, .mode = -1,
			      .access = FG_ACC_WRITE };
	struct fg_verdict v = { .allow = false, .line = 0, .why = FG_R_OWN_FILE };

	if (fd != FG_SEAL_FD || fg_passthrough())
		return false;
	snprintf(what, sizeof(what), "/memfd:fleetguard-policy (descriptor %d)", fd);
	fg_enforce(&act, what, &v, FG_MODE_ENFORCE);
	errno = EBADF;
	return true;
}

/* The tree's pool of spare audit connections (FG_AUDIT_POOL_FD, just
 * below the seal) stays open through closes too, quietly, when the number
 * holds it: a child that closed it (CPython's subprocess closes every
 * descriptor) would connect itself, a call the supervisor traps.  A
 * program's own descriptor at that number is closed as asked. */
bool fg_pool_fd_here(void)
{
	return fg_g.audit != NULL && fg_audit_is_pool(fg_g.audit, FG_AUDIT_POOL_FD);
}

bool fg_seal_fd_keep(int fd)
{
	if ((fd != FG_SEAL_FD && (fd != FG_AUDIT_POOL_FD || !fg_pool_fd_here())) ||
	    fg_passthrough())
		return false;
	errno = EBADF;
	return true;
}

int fg_seal_fd_close_range(unsigned first, unsigned last, int flags,
			   int (*real)(unsigned, unsigned, int))
{
	unsigned lo = FG_SEAL_FD;
	const unsigned hi = FG_SEAL_FD;
	int rc = 0;

	if (fg_passthrough())
		return real(first, last, flags);
	if (first <= FG_AUDIT_POOL_FD && last >= FG_AUDIT_POOL_FD && fg_pool_fd_here())
		lo = FG_AUDIT_POOL_FD;
	if (first > hi || last < lo)
		return real(first, last, flags);
	if (first < lo)
		rc = real(first, lo - 1, flags);
	if (rc == 0 && last > hi)
		rc = real(hi + 1, last, flags);
	return rc;
}
