/* rendezvous.h - how the library and the launcher find, start and reach the gateway.
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
 * One gateway serves one policy (its path and contents: the key below) on
 * a host.  It is found through two files in the breaker's state directory:
 *
 *   fleetguard-gw-<key>.ports   "fleetguard-gateway 1 <pid>" then one line
 *                               "<endpoint index> <port>" per endpoint it
 *                               serves on 127.0.0.1; replaced whole (rename)
 *   fleetguard-gw-<key>.lock    flock: a client holds it shared from reading
 *                               the ports to the end of its connect(); the
 *                               gateway takes it exclusively to leave (it
 *                               then accepts what is queued, and only if
 *                               nothing was, removes the ports file and
 *                               exits), so a connect never meets a gateway
 *                               that is going away
 *   fleetguard-gw-<key>.log     the gateway's stderr
 *   fleetguard-gw-<key>.roots   pids (one a line) of launchers whose trees
 *                               the gateway must outlive: it leaves only
 *                               when none of them lives
 *   fleetguard-gw-<key>.bundle.pem  the trust bundle `fleetguard run` gives
 *                               its agents (roots + the gateway CA); the
 *                               only one of these files agents may read
 *
 * No libssl here: this file is linked into libfleetguard.so.
 * Functions return 0 or a negative errno.
 */
#ifndef FLEETGUARD_GATEWAY_RENDEZVOUS_H
#define FLEETGUARD_GATEWAY_RENDEZVOUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FG_GW_EP_MAX 64
#define FG_GW_KEY_LEN 16

struct fg_gw_ports {
	pid_t pid;
	unsigned n;                       /* entries in port[] */
	uint16_t port[FG_GW_EP_MAX];      /* by endpoint index; 0: not served */
};

/* The gateway's key for the policy file (absolute path): 16 hex digits and
 * a NUL, from the path and the SHA-256 of the contents. */
int fg_gw_key(const char *policy_file, char key[FG_GW_KEY_LEN + 1]);
/* The same key from the file's SHA-256 already known (sha: 64 hex digits,
 * the sealed policy's): no hashing, so no libcrypto in the agent. */
int fg_gw_key_sha(const char *policy_file, const char *sha, char key[FG_GW_KEY_LEN + 1]);

/* "<dir>/fleetguard-gw-<key><suffix>" into out; -ENAMETOOLONG if it does
 * not fit. */
int fg_gw_path(const char *dir, const char *key, const char *suffix, char *out, size_t cap);

/* Read a ports file: -ENOENT when there is none, -EPROTO when damaged. */
int fg_gw_ports_read(const char *path, struct fg_gw_ports *out);

/* Write it (a temporary renamed over it, mode 0660). */
int fg_gw_ports_write(const char *path, const struct fg_gw_ports *in);

/* Finish a file written to tmp through fd: close fd, then rename tmp over
 * path when rc is 0 and everything went well, else remove tmp.  Returns rc,
 * or the first error met. */
int fg_gw_commit(int fd, int rc, const char *tmp, const char *path);

/*
 * Start `prog --policy POLICY --dir DIR [--root PID]` as a daemon (its own
 * session, stdin and stdout /dev/null, stderr to the .log file), with an
 * environment without LD_PRELOAD, and wait until it says it listens (or
 * fails: -EIO).  root > 0: the gateway stays while that process lives.
 */
int fg_gw_spawn(const char *prog, const char *policy, const char *dir, const char *key,
		pid_t root);

/*
 * Find the gateway for key in dir, starting it with fg_gw_spawn when none
 * runs (spawn = 0: only find).  On success *lockfd is the lock, held shared,
 * for the caller to release (close) after its connect, and out holds the
 * ports.
 */
int fg_gw_find(const char *prog, const char *policy, const char *dir, const char *key,
	       int spawn, struct fg_gw_ports *out, int *lockfd);

struct fg_policy;
/* Add to p's network rules one for each port of the gateway (127.0.0.1),
 * so that a Landlock ruleset built from p lets the agent reach it; the
 * launcher and the library add the same rules, hence the same ruleset. */
int fg_gw_allow_ports(struct fg_policy *p, const struct fg_gw_ports *ports);

/* Add pid to the roots file of key in dir. */
int fg_gw_root_add(const char *dir, const char *key, pid_t pid);

/* Does a process listed in the roots file at path live? */
int fg_gw_roots_alive(const char *path);

/* The gateway CA's directory: $XDG_STATE_HOME/fleetguard/gateway-ca, else
 * $HOME/.local/state/fleetguard/gateway-ca (gateway/tls.h).  It holds
 * ca.pem, the certificate clients must trust, and ca.key. */
int fg_gw_ca_dir(char *out, size_t cap);

#endif /* FLEETGUARD_GATEWAY_RENDEZVOUS_H */
