/* tls.c - the gateway's TLS: its CA, certificates for endpoint names, verified upstreams.
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

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "gateway/tls.h"

#define LEAVES 64

struct gw_tls {
	SSL_CTX *srv;
	EVP_PKEY *ca_key, *leaf_key;
	X509 *ca;
	struct {
		char *name;
		X509 *cert;
	} leaf[LEAVES];
	unsigned nleaf;
};

static int ossl_err(char *err, size_t errlen, const char *what)
{
	char e[256];

	ERR_error_string_n(ERR_get_error(), e, sizeof(e));
	snprintf(err, errlen, "%s: %s", what, e);
	return -EIO;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ex == NULL)
		return -EINVAL;
	ok = X509_add_ext(x, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : -EINVAL;
}

/* A certificate for key named cn, valid from an hour ago for days, with
 * a random serial; signed by issuer (NULL: itself). */
static X509 *cert_new(EVP_PKEY *key, const char *cn, long days, X509 *issuer)
{
	X509 *x = X509_new();
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509_NAME *n;

	if (x == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out_free;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	n = X509_get_subject_name(x);
	if (bn == NULL || !X509_set_version(x, 2) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L) || !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"fleetguard", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n) ||
	    add_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, issuer != NULL ? issuer : x, NID_authority_key_identifier, "keyid:always") < 0)
		goto out_free;
	BN_free(bn);
	return x;
out_free:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -ENOMEM;
	}
	ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
			   PEM_write_X509(f, cert);
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

/* Make the CA: key and certificate written under temporary names, the
 * certificate renamed last (its presence means the pair is complete). */
static int ca_make(struct gw_tls *t, const char *kpath, const char *cpath)
{
	char host[256] = "localhost", cn[320], tmp[PATH_MAX + 8];
	int rc;

	gethostname(host, sizeof(host) - 1);
	snprintf(cn, sizeof(cn), "fleetguard gateway CA (%s)", host);
	t->ca_key = EVP_EC_gen("P-256");
	if (t->ca_key == NULL)
		return -EIO;
	t->ca = cert_new(t->ca_key, cn, 3650, NULL);
	if (t->ca == NULL || add_ext(t->ca, t->ca, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") < 0 ||
	    add_ext(t->ca, t->ca, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    !X509_sign(t->ca, t->ca_key, EVP_sha256()))
		return -EIO;
	rc = write_pem(kpath, 0600, t->ca_key, NULL);
	snprintf(tmp, sizeof(tmp), "%s.tmp", cpath);
	if (rc == 0)
		rc = write_pem(tmp, 0644, NULL, t->ca);
	if (rc == 0 && rename(tmp, cpath) < 0)
		rc = -errno;
	return rc;
}

static int ca_load(struct gw_tls *t, const char *kpath, const char *cpath)
{
	FILE *k = fopen(kpath, "re"), *c = fopen(cpath, "re");
	int rc = 0;

	if (k == NULL || c == NULL) {
		rc = -errno;
	} else {
		t->ca_key = PEM_read_PrivateKey(k, NULL, NULL, NULL);
		t->ca = PEM_read_X509(c, NULL, NULL, NULL);
		if (t->ca_key == NULL || t->ca == NULL || X509_check_private_key(t->ca, t->ca_key) != 1)
			rc = -EPROTO;
	}
	if (k != NULL)
		fclose(k);
	if (c != NULL)
		fclose(c);
	return rc;
}

/* The CA, made at first use: one maker at a time (flock), 0700/0600. */
static int ca_open(struct gw_tls *t, const char *dir, char *err, size_t errlen)
{
	char kpath[PATH_MAX], cpath[PATH_MAX], lpath[PATH_MAX], parent[PATH_MAX];
	struct stat st;
	int fd, rc;

	snprintf(parent, sizeof(parent), "%s", dir);
	for (char *s = strchr(parent + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(parent, 0700);
		*s = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make the CA directory '%s': %s", dir, strerror(errno));
		return -errno;
	}
	if (snprintf(kpath, sizeof(kpath), "%s/ca.key", dir) >= (int)sizeof(kpath) ||
	    snprintf(cpath, sizeof(cpath), "%s/ca.pem", dir) >= (int)sizeof(cpath) ||
	    snprintf(lpath, sizeof(lpath), "%s/ca.lock", dir) >= (int)sizeof(lpath))
		return -ENAMETOOLONG;
	fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		snprintf(err, errlen, "cannot lock '%s': %s", lpath, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	rc = stat(cpath, &st) == 0 ? ca_load(t, kpath, cpath) : ca_make(t, kpath, cpath);
	close(fd);
	if (rc < 0)
		snprintf(err, errlen, "cannot %s the gateway CA in '%s': %s",
			 t->ca != NULL ? "load" : "make", dir, strerror(-rc));
	return rc;
}

/* --- certificates for the names clients ask for ------------------------------ */

static X509 *leaf_make(struct gw_tls *t, const char *name)
{
	unsigned char a[16];
	char san[300];
	bool ip = inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
	X509 *x = cert_new(t->leaf_key, name, 30, t->ca);

	snprintf(san, sizeof(san), "%s:%s", ip ? "IP" : "DNS", name);
	if (x == NULL || add_ext(x, t->ca, NID_subject_alt_name, san) < 0 ||
	    add_ext(x, t->ca, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, t->ca, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, t->ca, NID_ext_key_usage, "serverAuth") < 0 ||
	    !X509_sign(x, t->ca_key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The certificate for name, made once per process (the oldest goes when
 * the cache is full). */
static X509 *leaf_for(struct gw_tls *t, const char *name)
{
	unsigned i;
	X509 *x;

	for (i = 0; i < t->nleaf; i++)
		if (strcmp(t->leaf[i].name, name) == 0)
			return t->leaf[i].cert;
	x = leaf_make(t, name);
	if (x == NULL)
		return NULL;
	i = t->nleaf < LEAVES ? t->nleaf++ : 0;
	if (t->leaf[i].cert != NULL) {
		X509_free(t->leaf[i].cert);
		free(t->leaf[i].name);
	}
	t->leaf[i].name = strdup(name);
	t->leaf[i].cert = x;
	if (t->leaf[i].name == NULL) {
		X509_free(x);
		t->leaf[i].cert = NULL;
		return NULL;
	}
	return x;
}

/* During the ClientHello: the certificate for the SNI name, else the
 * endpoint's. */
static int cert_cb(SSL *ssl, void *arg)
{
	struct gw_tls *t = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	X509 *x;

	if (name == NULL || name[0] == '\0')
		name = SSL_get_app_data(ssl);
	if (name == NULL || strlen(name) > 253)
		return 0;
	x = leaf_for(t, name);
	return x != NULL && SSL_use_certificate(ssl, x) == 1 &&
	       SSL_use_PrivateKey(ssl, t->leaf_key) == 1 && SSL_add1_chain_cert(ssl, t->ca) == 1;
}

static const unsigned char h1[] = "\x08http/1.1";

static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned inlen, void *arg)
{
	unsigned char *o;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&o, outlen, h1, sizeof(h1) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;    /* h2 alone: no ALPN, HTTP/1.1 it is */
	*out = o;
	return SSL_TLSEXT_ERR_OK;
}

int gw_tls_new(const char *dir, struct gw_tls **out, char *err, size_t errlen)
{
	struct gw_tls *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL)
		return -ENOMEM;
	rc = ca_open(t, dir, err, errlen);
	if (rc < 0)
		goto out_free;
	t->leaf_key = EVP_EC_gen("P-256");
	t->srv = SSL_CTX_new(TLS_server_method());
	if (t->leaf_key == NULL || t->srv == NULL) {
		rc = ossl_err(err, errlen, "cannot set up TLS");
		goto out_free;
	}
	SSL_CTX_set_min_proto_version(t->srv, TLS1_2_VERSION);
	SSL_CTX_set_options(t->srv, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(t->srv, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_cert_cb(t->srv, cert_cb, t);
	SSL_CTX_set_alpn_select_cb(t->srv, alpn_cb, NULL);
	*out = t;
	return 0;
out_free:
	gw_tls_free(t);
	return rc;
}

void gw_tls_free(struct gw_tls *t)
{
	if (t == NULL)
		return;
	for (unsigned i = 0; i < t->nleaf; i++) {
		X509_free(t->leaf[i].cert);
		free(t->leaf[i].name);
	}
	SSL_CTX_free(t->srv);
	EVP_PKEY_free(t->leaf_key);
	EVP_PKEY_free(t->ca_key);
	X509_free(t->ca);
	free(t);
}

SSL *gw_tls_accept(struct gw_tls *t, int fd, const char *name_if_no_sni)
{
	SSL *ssl = SSL_new(t->srv);

	if (ssl == NULL)
		return NULL;
	if (!SSL_set_fd(ssl, fd)) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_app_data(ssl, (void *)(uintptr_t)name_if_no_sni);
	SSL_set_accept_state(ssl);
	return ssl;
}

SSL_CTX *gw_tls_client_ctx(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		ossl_err(err, errlen, "cannot set up TLS");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_alpn_protos(ctx, h1, sizeof(h1) - 1);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1 ||
	    (ca_file != NULL && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)) {
		ossl_err(err, errlen, ca_file != NULL ? ca_file : "system roots");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL *gw_tls_connect(SSL_CTX *ctx, int fd, const char *host)
{
	unsigned char a[16];
	bool ip = inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	if (!SSL_set_fd(ssl, fd) ||
	    (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1 :
		  (SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1))) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return ssl;
}
