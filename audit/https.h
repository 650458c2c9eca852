/* https.h - POSTs a checkpoint to an https:// collector (fg-auditd only).
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
 * This is the only audit/ code that links libssl, and only the fg-auditd
 * program is built with it: libfgaudit.la (and so libfleetguard.so, which
 * agents load) reaches it through fg_wit_set_https() alone.
 */
#ifndef FLEETGUARD_AUDIT_HTTPS_H
#define FLEETGUARD_AUDIT_HTTPS_H

#include <stddef.h>

/* POST body (application/json) to url (https://HOST[:PORT][/PATH]), the
 * server's certificate verified against the system roots plus ca (a PEM
 * file, or NULL / "") and its name or address against the URL's host.
 * One connection per call, 5 s for each step.  Returns 0 on a 2xx answer,
 * else a negative errno with what went wrong in err: -EPERM for a refused
 * certificate, -EPROTO for another status or a broken answer. */
int fg_https_post(const char *url, const char *ca, const char *body, char *err, size_t errlen);

#endif /* FLEETGUARD_AUDIT_HTTPS_H */
