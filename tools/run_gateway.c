/* run_gateway.c - `fleetguard run` starts the gateway and makes its agents trust its CA.
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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "breaker/breaker.h"
#include "gateway/rendezvous.h"
#include "policy/policy.h"
#include "tools/tools.h"

/* The gateway next to this build of fleetguard, else the installed one. */
static void gateway_prog(char *out, size_t len)
{
	snprintf(out, len, "%s/fleetguard-gateway", fg_in_build_tree() ? FG_BUILDDIR : FG_BINDIR);
}

static int append_file(int out, const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			close(fd);
			return -EIO;
		}
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The bundle: the roots the agent's clients use now (the user's bundle if
 * one is set, else the system's), any extra Node roots, then the CA. */
static int write_bundle(const char *path, const char *ca)
{
	const char *roots = getenv("SSL_CERT_FILE"), *extra = getenv("NODE_EXTRA_CA_CERTS");
	char tmp[PATH_MAX + 16];
	int fd, rc;

	if (roots == NULL || roots[0] == '\0')
		roots = getenv("REQUESTS_CA_BUNDLE");
	if (roots == NULL || roots[0] == '\0')
		roots = X509_get_default_cert_file();
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	rc = append_file(fd, roots);
	if (rc == -ENOENT)
		rc = append_file(fd, "/etc/ssl/certs/ca-certificates.crt");
	if (rc == 0 && extra != NULL && extra[0] != '\0' && strcmp(extra, path) != 0)
		rc = append_file(fd, extra);
	if (rc == 0)
		rc = append_file(fd, ca);
	return fg_gw_commit(fd, rc, tmp, path);
}

void fg_run_gateway(struct fg_policy *p, bool quiet)
{
	char dir[PATH_MAX], prog[PATH_MAX], key[FG_GW_KEY_LEN + 1], ca[PATH_MAX], bundle[PATH_MAX];
	struct fg_gw_ports ports;
	bool any = false, tls = false;
	int lockfd, rc;

	for (size_t i = 0; i < p->nep; i++) {
		any |= p->ep[i].gateway;
		tls |= p->ep[i].gateway && p->ep[i].https;
	}
	if (!any)
		return;
	if (fg_bk_state_dir(&p->breaker, dir, sizeof(dir)) < 0 || fg_gw_key(p->file, key) < 0)
		die(126, "no state directory for the gateway of '%s'", p->file);
	gateway_prog(prog, sizeof(prog));
	/* register first: a gateway found running stays for this tree */
	fg_gw_root_add(dir, key, getpid());
	rc = fg_gw_find(prog, p->file, dir, key, 1, &ports, &lockfd);
	if (rc < 0) {
		if (!quiet)
			fprintf(stderr, "%s: cannot start '%s': %s (see %s/fleetguard-gw-%s.log); LLM calls go out directly\n",
				fg_prog, prog, strerror(-rc), dir, key);
		return;
	}
	close(lockfd);
	if (fg_gw_allow_ports(p, &ports) < 0)
		die(126, "out of memory");
	if (!tls || fg_gw_ca_dir(ca, sizeof(ca) - 8) < 0)
		return;
	strcat(ca, "/ca.pem");
	fg_gw_path(dir, key, ".bundle.pem", bundle, sizeof(bundle));
	rc = write_bundle(bundle, ca);
	if (rc < 0)
		die(126, "cannot write the trust bundle '%s': %s", bundle, strerror(-rc));
	setenv("SSL_CERT_FILE", bundle, 1);
	setenv("REQUESTS_CA_BUNDLE", bundle, 1);
	setenv("CURL_CA_BUNDLE", bundle, 1);
	setenv("NODE_EXTRA_CA_CERTS", bundle, 1);
}
