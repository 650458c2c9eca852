/* cat2.h - two strings into one buffer, cut to fit, without printf: for start-up paths (audit/log.c's names, shim/exec.c's kept environment).
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
 * Here in audit/ because both its users already depend on it (the shim
 * uses audit/, audit/ uses libc only: docs/ARCHITECTURE.md).  No printf:
 * its code is pages that no other start-up work touches (a fault each).
 */
#ifndef FLEETGUARD_AUDIT_CAT2_H
#define FLEETGUARD_AUDIT_CAT2_H

#include <stddef.h>
#include <string.h>

/* x then y into out (cap bytes), cut to cap - 1 bytes and terminated
 * (nothing written when cap is 0); the length written. */
static inline size_t fg_cat2(char *out, size_t cap, const char *x, const char *y)
{
	size_t nx = strlen(x), ny = strlen(y);

	if (cap == 0)
		return 0;
	if (nx > cap - 1)
		nx = cap - 1;
	if (ny > cap - 1 - nx)
		ny = cap - 1 - nx;
	memcpy(out, x, nx);
	memcpy(out + nx, y, ny);
	out[nx + ny] = '\0';
	return nx + ny;
}

#endif
