/* own.c - the registry of fleetguard's own files, which the agent may neither touch nor move away.
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
 * The audit writer (log, head, segments, socket, key file) and the breaker
 * (state files, locks) register here once they are open; fg_judge() asks
 * the registry before the policy, so no mode, rule or kernel setting lets
 * the agent reach them.  Owners are only added, never removed: a reader
 * never waits, and a fork child keeps the same owners.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "shim/shim.h"

#define FG_OWNERS 8

static struct fg_owner fg_owners[FG_OWNERS];
static size_t fg_nowners;

int fg_own_register(const struct fg_owner *o)
{
	size_t i = __atomic_load_n(&fg_nowners, __ATOMIC_ACQUIRE);

	if (o == NULL || o->owns == NULL)
		return -EINVAL;
	if (i >= FG_OWNERS)
		return -ENOSPC;
	fg_owners[i] = *o;
	/* registrations come from the constructor and from the breaker's
	 * pthread_once: never two at a time */
	__atomic_store_n(&fg_nowners, i + 1, __ATOMIC_RELEASE);
	return 0;
}

bool fg_own_file(const char *path, size_t len)
{
	size_t i, n = __atomic_load_n(&fg_nowners, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++)
		if (fg_owners[i].owns(fg_owners[i].ctx, path, len))
			return true;
	return false;
}

bool fg_own_above(const char *path, size_t len)
{
	size_t i, n = __atomic_load_n(&fg_nowners, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++)
		if (fg_owners[i].above != NULL && fg_owners[i].above(fg_owners[i].ctx, path, len))
			return true;
	return false;
}

bool fg_own_dir_above(const char *file, const char *path, size_t len)
{
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 1 && path[0] == '/')
		return file[0] == '/';
	return strlen(file) > len && memcmp(file, path, len) == 0 && file[len] == '/';
}

void fg_own_reset(void)
{
	__atomic_store_n(&fg_nowners, 0, __ATOMIC_RELEASE);
}
