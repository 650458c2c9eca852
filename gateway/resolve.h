/* resolve.h - name lookups for the gateway's epoll thread, which must never block on DNS.
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
 * getaddrinfo() may wait seconds for a slow or dead name server; done in the
 * gateway's single epoll thread it would stall every other request.  So:
 *
 *   - a literal address is answered at once, in the caller's thread;
 *   - a name found in the cache (GW_RES_TTL_MS after a successful lookup,
 *     GW_RES_NEG_TTL_MS after a failed one) is answered at once;
 *   - any other name is looked up by one of GW_RES_THREADS threads (started
 *     at the first such lookup); lookups of one host:port in progress are
 *     shared, so one slow name holds one thread, not all of them.
 *
 * A finished lookup is queued and the eventfd gw_res_fd() becomes readable;
 * the owner of the epoll loop then calls gw_res_drain(), which hands each
 * waiter its result in that thread.  Only the epoll thread calls
 * gw_res_lookup / gw_res_cancel / gw_res_drain.
 */
#ifndef FLEETGUARD_GATEWAY_RESOLVE_H
#define FLEETGUARD_GATEWAY_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define GW_RES_THREADS 4
#define GW_RES_TTL_MS (30 * 1000)
#define GW_RES_NEG_TTL_MS (5 * 1000)

struct gw_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct gw_res;

/* The resolver (no thread yet) and its eventfd; -ENOMEM or -errno. */
int gw_res_new(struct gw_res **out);

/* The eventfd to watch for reading (level: gw_res_drain empties it). */
int gw_res_fd(const struct gw_res *r);

/*
 * Find host (a name or a literal address, without brackets) at port.
 * Returns 0 and fills *out when known now; 1 when the answer comes later to
 * waiter through gw_res_drain; -EHOSTUNREACH when the name is known not to
 * resolve (a cached failure); -ENOMEM.
 */
int gw_res_lookup(struct gw_res *r, const char *host, uint16_t port, void *waiter,
		  struct gw_addr *out);

/* Forget waiter: its answer will not be handed out (call before freeing it). */
void gw_res_cancel(struct gw_res *r, void *waiter);

/* Called by gw_res_drain once per waiter: err 0 and the address, or
 * -EHOSTUNREACH (and a NULL address). */
typedef void (*gw_res_done_fn)(void *waiter, int err, const struct gw_addr *a, void *ctx);

/* Hand out every finished lookup.  why (may be NULL) is called once per
 * failed lookup, with the name and getaddrinfo's message. */
void gw_res_drain(struct gw_res *r, gw_res_done_fn done, void *ctx,
		  void (*why)(const char *host, const char *msg, void *ctx));

/* How many lookups reached getaddrinfo (for tests and the log). */
uint64_t gw_res_queries(const struct gw_res *r);

/* Stop the threads and free r.  A thread still inside getaddrinfo after
 * 200 ms is left to finish alone (then r is not freed: the process is
 * about to end). */
void gw_res_free(struct gw_res *r);

#endif /* FLEETGUARD_GATEWAY_RESOLVE_H */
