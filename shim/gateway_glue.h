/* gateway_glue.h - the library's side of the gateway: connects to gateway endpoints go there.
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
#ifndef FLEETGUARD_SHIM_GATEWAY_GLUE_H
#define FLEETGUARD_SHIM_GATEWAY_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * A connect to an address of endpoint idx (policy order), whose policy
 * says gateway = yes: connect fd to the gateway's port for it instead
 * (starting the gateway if none runs and this process may: not under
 * Landlock).  Returns true when the connect was made (its result and errno
 * are in *rc and errno), false when no gateway could be reached: the
 * caller then treats the connect as it would without a gateway (said once
 * on stderr).
 */
bool fg_gw_connect(unsigned idx, int fd, const struct sockaddr *sa, socklen_t len,
		   int (*real_connect)(int, const struct sockaddr *, socklen_t), int *rc);

/* Before this process confines itself with Landlock: find the gateway
 * (starting it, outside the domain to come, unless already confined) and
 * allow its ports in the policy the ruleset is built from. */
void fg_gw_before_landlock(bool confined);

/* Is path (absolute, normalised) one of the gateway's rendezvous files?
 * The agent's calls on them are refused like those on the breaker state. */
bool fg_gw_owns(const char *path, size_t len);

/* Is path the trust bundle `fleetguard run` hands its agents?  They may
 * read it (SSL_CERT_FILE names it) whatever the policy says, not change it. */
bool fg_gw_bundle(const char *path, size_t len);

#endif /* FLEETGUARD_SHIM_GATEWAY_GLUE_H */
