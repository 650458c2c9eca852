/* crypto_lazy.c - loads libcrypto into an agent process only when it must hash.
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
 * Loading libcrypto costs more than the rest of the library's start-up
 * together, and most processes never hash: under fleetguard run (and
 * wherever the audit daemon writes) the daemon does.  So the preloaded
 * library is linked without libcrypto (--as-needed drops it, and a test
 * checks that it stays dropped): the EVP and OSSL_PARAM functions audit/
 * calls resolve to these hidden forwarders, which dlopen libcrypto on
 * their first use.  The fleetguard command is built with them too
 * (FG_CRYPTO_TOOL): `fleetguard run` never hashes with libcrypto, and
 * mapping and relocating it (17000 relocations) was a tenth of what run
 * adds to starting a command; log, status and the gateway's trust bundle
 * load it when they need it.  The daemon, fleetguard-verify and the unit
 * tests link libcrypto as usual and never see this file.
 */
#include "config.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <stdarg.h>

#ifdef FG_CRYPTO_TOOL
#include <openssl/x509.h>

#include "tools/tools.h"
#define FG_CRYPTO_ENTER() ((void)0)
#define FG_CRYPTO_LEAVE() ((void)0)
#define FG_CRYPTO_FATAL(...) die(126, __VA_ARGS__)
#else
#include "shim/shim.h"
#define FG_CRYPTO_ENTER() ((void)fg_in_guard++)
#define FG_CRYPTO_LEAVE() ((void)fg_in_guard--)
#define FG_CRYPTO_FATAL(...) fg_fatal(__VA_ARGS__)
#endif

/* The soname of the libcrypto we were built against (EVP_MAC: 3.x). */
#define FG_LIBCRYPTO "libcrypto.so.3"

static void *fg_crypto(const char *name)
{
	static void *handle;
	void *h = __atomic_load_n(&handle, __ATOMIC_ACQUIRE), *sym;

	FG_CRYPTO_ENTER();
	if (h == NULL) {
		h = dlopen(FG_LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);
		if (h == NULL)
			FG_CRYPTO_FATAL("cannot load %s to hash the audit log: %s", FG_LIBCRYPTO,
					dlerror());
		__atomic_store_n(&handle, h, __ATOMIC_RELEASE);
	}
	sym = dlsym(h, name);
	FG_CRYPTO_LEAVE();
	if (sym == NULL)
		FG_CRYPTO_FATAL("cannot find '%s' in %s", name, FG_LIBCRYPTO);
	return sym;
}

/* Define name(params) as a forwarder to libcrypto's, resolved once (ret
 * and params are a type and a parameter list: they cannot be bracketed). */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define FG_LAZY(ret, name, params, args)                                        \
	ret name params                                                         \
	{                                                                       \
		static ret (*fn) params;                                        \
		if (__builtin_expect(fn == NULL, 0))                            \
			fn = (ret (*) params)fg_crypto(#name);                  \
		return fn args;                                                 \
	}
/* NOLINTEND(bugprone-macro-parentheses) */

FG_LAZY(EVP_MD *, EVP_MD_fetch, (OSSL_LIB_CTX *c, const char *a, const char *p), (c, a, p))
FG_LAZY(EVP_MAC *, EVP_MAC_fetch, (OSSL_LIB_CTX *c, const char *a, const char *p), (c, a, p))
FG_LAZY(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
FG_LAZY(void, EVP_MD_CTX_free, (EVP_MD_CTX *c), (c))
FG_LAZY(EVP_MAC_CTX *, EVP_MAC_CTX_new, (EVP_MAC *m), (m))
FG_LAZY(void, EVP_MAC_CTX_free, (EVP_MAC_CTX *c), (c))
FG_LAZY(int, EVP_DigestInit_ex2, (EVP_MD_CTX *c, const EVP_MD *t, const OSSL_PARAM p[]),
	(c, t, p))
FG_LAZY(int, EVP_DigestInit_ex, (EVP_MD_CTX *c, const EVP_MD *t, ENGINE *e), (c, t, e))
FG_LAZY(const EVP_MD *, EVP_sha256, (void), ())
FG_LAZY(int, EVP_DigestUpdate, (EVP_MD_CTX *c, const void *d, size_t n), (c, d, n))
FG_LAZY(int, EVP_DigestFinal_ex, (EVP_MD_CTX *c, unsigned char *md, unsigned int *n),
	(c, md, n))
FG_LAZY(int, EVP_Digest, (const void *d, size_t n, unsigned char *md, unsigned int *len,
			  const EVP_MD *t, ENGINE *e), (d, n, md, len, t, e))
FG_LAZY(int, EVP_MAC_init, (EVP_MAC_CTX *c, const unsigned char *k, size_t n,
			    const OSSL_PARAM p[]), (c, k, n, p))
FG_LAZY(int, EVP_MAC_update, (EVP_MAC_CTX *c, const unsigned char *d, size_t n), (c, d, n))
FG_LAZY(int, EVP_MAC_final, (EVP_MAC_CTX *c, unsigned char *out, size_t *n, size_t size),
	(c, out, n, size))
FG_LAZY(OSSL_PARAM, OSSL_PARAM_construct_utf8_string, (const char *k, char *b, size_t n),
	(k, b, n))
FG_LAZY(OSSL_PARAM, OSSL_PARAM_construct_end, (void), ())

/* audit/checkpoint.c: Ed25519 checkpoint keys and signatures */
FG_LAZY(int, EVP_DigestSignInit, (EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *t, ENGINE *e,
				  EVP_PKEY *k), (c, pc, t, e, k))
FG_LAZY(int, EVP_DigestSign, (EVP_MD_CTX *c, unsigned char *sig, size_t *n,
			      const unsigned char *tbs, size_t len), (c, sig, n, tbs, len))
FG_LAZY(int, EVP_DigestVerifyInit, (EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *t,
				    ENGINE *e, EVP_PKEY *k), (c, pc, t, e, k))
FG_LAZY(int, EVP_DigestVerify, (EVP_MD_CTX *c, const unsigned char *sig, size_t n,
				const unsigned char *tbs, size_t len), (c, sig, n, tbs, len))
FG_LAZY(void, EVP_PKEY_free, (EVP_PKEY *k), (k))
FG_LAZY(int, EVP_PKEY_get_base_id, (const EVP_PKEY *k), (k))
FG_LAZY(int, EVP_PKEY_get_raw_public_key, (const EVP_PKEY *k, unsigned char *pub, size_t *n),
	(k, pub, n))
FG_LAZY(EVP_PKEY *, PEM_read_PUBKEY, (FILE *f, EVP_PKEY **x, pem_password_cb *cb, void *u),
	(f, x, cb, u))
FG_LAZY(EVP_PKEY *, PEM_read_PrivateKey, (FILE *f, EVP_PKEY **x, pem_password_cb *cb, void *u),
	(f, x, cb, u))
FG_LAZY(int, PEM_write_PUBKEY, (FILE *f, const EVP_PKEY *x), (f, x))
FG_LAZY(int, PEM_write_PrivateKey, (FILE *f, const EVP_PKEY *x, const EVP_CIPHER *enc,
				    const unsigned char *k, int kl, pem_password_cb *cb, void *u),
	(f, x, enc, k, kl, cb, u))

#ifdef FG_CRYPTO_TOOL
/* tools/run_gateway.c: the system's trust bundle */
FG_LAZY(const char *, X509_get_default_cert_file, (void), ())
#endif

/* Variadic in OpenSSL; fleetguard asks only for "ED25519", which takes no
 * further argument, so nothing past type is passed on. */
EVP_PKEY *EVP_PKEY_Q_keygen(OSSL_LIB_CTX *c, const char *propq, const char *type, ...)
{
	static EVP_PKEY *(*f)(OSSL_LIB_CTX *, const char *, const char *, ...);

	if (__builtin_expect(f == NULL, 0))
		f = (EVP_PKEY * (*)(OSSL_LIB_CTX *, const char *, const char *, ...))
			fg_crypto("EVP_PKEY_Q_keygen");
	return f(c, propq, type);
}
