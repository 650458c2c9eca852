/* names.c - the one table of host names learned from the process's own name lookups, by address.
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
 * getaddrinfo and gethostbyname results are remembered here; the network
 * judge matches rules that name hosts through it, and the circuit breaker
 * finds which endpoint an address belongs to.  Addresses are stored as
 * fg_sockaddr_decode() gives them, so an IPv4-mapped IPv6 address finds
 * the name its IPv4 address was learned under.  A ring: the oldest entry
 * makes room, and the next lookup of that name learns it again.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shim/shim.h"

#define FG_NAMES 512

struct fg_name_entry {
	int family;              /* 0: free */
	uint8_t addr[16];
	char host[256];
};

static FG_COLD struct fg_name_entry fg_names[FG_NAMES];
static unsigned fg_names_next;
static pthread_mutex_t fg_names_lock = PTHREAD_MUTEX_INITIALIZER;

/* A fork while another thread holds the table's lock must not leave the
 * child's copy locked forever. */
static void fg_names_prepare(void)
{
	pthread_mutex_lock(&fg_names_lock);
}

static void fg_names_release(void)
{
	pthread_mutex_unlock(&fg_names_lock);
}

void fg_names_init(void)
{
	pthread_atfork(fg_names_prepare, fg_names_release, fg_names_release);
}

void fg_names_add(const char *host, const struct sockaddr *sa, socklen_t len)
{
	struct fg_sockaddr d;
	struct fg_name_entry *e;
	size_t i;

	if (host == NULL || !fg_sockaddr_decode(sa, len, &d))
		return;
	pthread_mutex_lock(&fg_names_lock);
	for (i = 0; i < FG_NAMES; i++) {
		e = &fg_names[i];
		if (e->family == d.family && memcmp(e->addr, d.a, 16) == 0 &&
		    strcasecmp(e->host, host) == 0)
			goto out;
	}
	e = &fg_names[fg_names_next++ % FG_NAMES];
	e->family = d.family;
	memcpy(e->addr, d.a, 16);
	snprintf(e->host, sizeof(e->host), "%s", host);
out:
	pthread_mutex_unlock(&fg_names_lock);
}

bool fg_names_each(const struct fg_sockaddr *d, bool (*fn)(void *ctx, const char *host), void *ctx)
{
	bool stop = false;
	size_t i;

	pthread_mutex_lock(&fg_names_lock);
	for (i = 0; i < FG_NAMES && !stop; i++)
		if (fg_names[i].family == d->family && memcmp(fg_names[i].addr, d->a, 16) == 0)
			stop = fn(ctx, fg_names[i].host);
	pthread_mutex_unlock(&fg_names_lock);
	return stop;
}
