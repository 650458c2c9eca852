/* tls.h - the gateway's TLS: a per-host CA, certificates for endpoint names, verified upstreams.
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
 * The CA lives in its own directory (0700): ca.pem (the certificate the
 * agents' trust bundle carries) and ca.key (0600, read by the gateway
 * alone).  It is made at first use, under flock on ca.lock, as an EC P-256
 * key and a self-signed certificate valid ten years, named for the host.
 * Each gateway process makes one leaf key and signs, per name asked for
 * (SNI, else the endpoint's host), a certificate valid 30 days with that
 * name as its only subjectAltName.  ALPN offers http/1.1 alone.
 *
 * Upstream connections verify the provider against the system roots plus
 * the endpoint's ca_file, and its name (or IP address).
 */
#ifndef FLEETGUARD_GATEWAY_TLS_H
#define FLEETGUARD_GATEWAY_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

struct gw_tls;

/* Load the CA in dir, making it (and dir) if missing. */
int gw_tls_new(const char *dir, struct gw_tls **out, char *err, size_t errlen);
void gw_tls_free(struct gw_tls *t);

/* A server-side SSL object on fd; name_if_no_sni: the certificate's name
 * when the client sends no SNI.  NULL on failure. */
SSL *gw_tls_accept(struct gw_tls *t, int fd, const char *name_if_no_sni);

/* A client context: system roots plus ca_file (may be NULL). */
SSL_CTX *gw_tls_client_ctx(const char *ca_file, char *err, size_t errlen);

/* A client-side SSL object on fd that verifies host. */
SSL *gw_tls_connect(SSL_CTX *ctx, int fd, const char *host);

#endif /* FLEETGUARD_GATEWAY_TLS_H */
