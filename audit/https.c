/* https.c - POSTs a checkpoint to an https:// collector with OpenSSL (fg-auditd only).
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
 * Called from the witness thread (witness.c), never on an append's path.
 * Checkpoints are rare (at most about one a second per log), so each POST
 * is its own connection: nothing to keep alive, nothing half-read left
 * over after a collector that went away.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "audit/https.h"

#define STEP_S 5

struct url {
	char host[256];
	char port[8];
	char path[1024];
};

/* https://HOST[:PORT][/PATH], HOST a name, an IPv4 address or [IPv6]. */
static int parse_url(const char *url, struct url *u)
{
	const char *h = url + 8, *end, *slash;
	size_t hl;

	if (strncmp(url, "https://", 8) != 0)
		return -EINVAL;
	slash = strchr(h, '/');
	end = slash ? slash : h + strlen(h);
	snprintf(u->path, sizeof(u->path), "%s", slash ? slash : "/");
	strcpy(u->port, "443");
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		if (!close)
			return -EINVAL;
		hl = (size_t)(close - h - 1);
		h++;
		if (close[1] == ':')
			snprintf(u->port, sizeof(u->port), "%.*s", (int)(end - close - 2), close + 2);
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));
		hl = (size_t)((colon ? colon : end) - h);
		if (colon)
			snprintf(u->port, sizeof(u->port), "%.*s", (int)(end - colon - 1), colon + 1);
	}
	if (hl == 0 || hl >= sizeof(u->host) || !u->port[0] ||
	    strspn(u->port, "0123456789") != strlen(u->port))
		return -EINVAL;
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	return 0;
}

static int tcp_connect(const struct url *u, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { STEP_S, 0 };
	int fd = -1, r = -ECONNREFUSED;

	if (getaddrinfo(u->host, u->port, &hints, &res) != 0) {
		snprintf(err, errlen, "cannot resolve '%s'", u->host);
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		/* Linux bounds connect() by the send timeout too */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		r = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "%s", strerror(-r));
	return fd < 0 ? r : fd;
}

/* A context that trusts the system roots and ca, and checks the peer. */
static SSL_CTX *make_ctx(const char *ca, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1 ||
	    (ca && ca[0] && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)) {
		snprintf(err, errlen, "cannot load the CA file '%s'", ca ? ca : "(system)");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The handshake, the peer's name or address checked against host. */
static int handshake(SSL *ssl, int fd, const char *host, char *err, size_t errlen)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
	long vr;

	if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1) {
		/* a name: checked, and sent as SNI */
		if (X509_VERIFY_PARAM_set1_host(vp, host, 0) != 1 ||
		    SSL_set_tlsext_host_name(ssl, host) != 1) {
			snprintf(err, errlen, "bad host name '%s'", host);
			return -EINVAL;
		}
	}
	if (SSL_set_fd(ssl, fd) != 1) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (SSL_connect(ssl) == 1)
		return 0;
	vr = SSL_get_verify_result(ssl);
	if (vr != X509_V_OK) {
		snprintf(err, errlen, "certificate refused: %s", X509_verify_cert_error_string(vr));
		return -EPERM;
	}
	snprintf(err, errlen, "TLS handshake failed: %s",
		 ERR_peek_last_error() ? ERR_reason_error_string(ERR_peek_last_error()) :
					 "connection closed");
	return -ECONNRESET;
}

static int write_all(SSL *ssl, const char *p, size_t n)
{
	while (n > 0) {
		int w = SSL_write(ssl, p, n > 65536 ? 65536 : (int)n);
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The code of a status line "HTTP/1.0 DDD" or "HTTP/1.1 DDD" (exactly three
 * digits), else -1. */
static int status_of(const char *resp, size_t got)
{
	int code = 0;
	size_t i;

	if (got < 12 || memcmp(resp, "HTTP/1.", 7) != 0 || (resp[7] != '0' && resp[7] != '1') ||
	    resp[8] != ' ')
		return -1;
	for (i = 9; i < 12; i++) {
		if (resp[i] < '0' || resp[i] > '9')
			return -1;
		code = code * 10 + (resp[i] - '0');
	}
	if (got > 12 && resp[12] >= '0' && resp[12] <= '9')
		return -1;
	return code;
}

/* Send the request; read the status line: 0 for 2xx. */
static int exchange(SSL *ssl, const struct url *u, const char *body, char *err, size_t errlen)
{
	char head[2048], resp[256] = "";
	size_t bl = strlen(body), got = 0;
	int n, status = 0;

	n = snprintf(head, sizeof(head),
		     "POST %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nUser-Agent: fg-auditd\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     u->path, strchr(u->host, ':') ? "[" : "", u->host,
		     strchr(u->host, ':') ? "]" : "", strcmp(u->port, "443") ? ":" : "",
		     strcmp(u->port, "443") ? u->port : "", bl);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -E2BIG;
	if (write_all(ssl, head, (size_t)n) < 0 || write_all(ssl, body, bl) < 0) {
		snprintf(err, errlen, "sending the checkpoint failed");
		return -EIO;
	}
	while (got < sizeof(resp) - 1 && !memchr(resp, '\n', got)) {
		int r = SSL_read(ssl, resp + got, (int)(sizeof(resp) - 1 - got));
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	resp[got] = '\0';
	status = status_of(resp, got);
	if (status < 0) {
		snprintf(err, errlen, "no HTTP answer from the collector");
		return -EPROTO;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "the collector answered HTTP %d", status);
		return -EPROTO;
	}
	return 0;
}

int fg_https_post(const char *url, const char *ca, const char *body, char *err, size_t errlen)
{
	struct url u;
	SSL_CTX *ctx;
	SSL *ssl = NULL;
	int fd, r;

	err[0] = '\0';
	if (parse_url(url, &u) < 0) {
		snprintf(err, errlen, "bad URL '%s'", url);
		return -EINVAL;
	}
	ERR_clear_error();
	ctx = make_ctx(ca, err, errlen);
	if (!ctx)
		return -EINVAL;
	fd = tcp_connect(&u, err, errlen);
	if (fd < 0) {
		r = fd;
		goto out_ctx;
	}
	ssl = SSL_new(ctx);
	r = ssl ? handshake(ssl, fd, u.host, err, errlen) : -ENOMEM;
	if (r == 0)
		r = exchange(ssl, &u, body, err, errlen);
	if (r == 0)
		(void)SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
out_ctx:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return r;
}
