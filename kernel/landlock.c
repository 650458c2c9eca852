/* landlock.c - build a Landlock ruleset from a policy and apply it.
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
 * The UAPI values are written out here (they are stable kernel ABI) so that
 * older userspace headers, which stop at ABI 2, still build every feature;
 * the kernel tells at run time which ABI it speaks.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/landlock.h"

/* --- UAPI (include/uapi/linux/landlock.h) ------------------------------- */

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)       /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)    /* ABI 3 */
#define LL_NET_BIND_TCP (1ULL << 0)    /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)        /* ABI 6 */

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

#define LL_READ (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR)
/* Block devices are never granted: the right is the probe that tells a
 * process inside a fleetguard domain (fg_ll_confined). */
#define LL_MAKE (LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | \
		 LL_FS_MAKE_FIFO | LL_FS_MAKE_SYM)
#define LL_WRITE (LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_MAKE | \
		  LL_FS_REFER | LL_FS_TRUNCATE)
/* The rights that mean something on a file that is not a directory. */
#define LL_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE)
#define LL_STATE_DIR (LL_FS_READ_DIR | LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_MAKE_REG | \
		      LL_FS_REMOVE_FILE | LL_FS_TRUNCATE)

/* Carving a big directory costs one rule per entry; beyond this, refuse. */
#define LL_MAX_RULES 4096

/* --- the plan ----------------------------------------------------------- */

struct ll_grant {
	char *path;
	uint64_t rights;
};

struct fg_ll_plan {
	int abi;
	uint64_t fs, net, scoped;
	struct ll_grant *g;
	size_t ng, capg;
	uint16_t ports[64];
	uint64_t port_rights[64];
	size_t nports;
	uint64_t h;
	uint64_t withhold;      /* rights granted nowhere (fg_ll_plan_no_sockets) */
	char digest[17];
	int err;
	fg_ll_note_fn note;
	void *ctx;
	const struct fg_policy *pol;
};

static long (*ll_sys)(long nr, ...) = syscall;

void fg_ll_set_syscall(long (*fn)(long nr, ...))
{
	ll_sys = fn != NULL ? fn : syscall;
}

static int ll_errno(long rc)
{
	return rc < 0 ? -errno : (int)rc;
}

int fg_ll_abi(void)
{
#if HAVE_DECL_SYS_LANDLOCK_CREATE_RULESET
	long v = ll_sys(SYS_landlock_create_ruleset, NULL, 0L, (long)LL_CREATE_RULESET_VERSION);

	if (v < 0)
		return -errno;
	return (int)v;
#else
	return -ENOSYS;
#endif
}

static void note(struct fg_ll_plan *pl, bool debug, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct fg_ll_plan *pl, bool debug, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (pl->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pl->note(pl->ctx, debug, msg);
}

/* FNV-1a, 64 bits: the digest only tells plans apart, it protects nothing. */
static void dig(struct fg_ll_plan *pl, const char *s, uint64_t v)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; p != NULL && *p; p++)
		pl->h = (pl->h ^ *p) * 0x100000001b3ULL;
	for (int i = 0; i < 8; i++)
		pl->h = (pl->h ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
}

static void grant(struct fg_ll_plan *pl, const char *path, uint64_t rights)
{
	rights &= pl->fs;
	if (rights == 0 || pl->err)
		return;
	for (size_t i = 0; i < pl->ng; i++) {
		if (strcmp(pl->g[i].path, path) == 0) {
			pl->g[i].rights |= rights;
			return;
		}
	}
	if (pl->ng == LL_MAX_RULES) {
		pl->err = -E2BIG;
		return;
	}
	if (pl->ng == pl->capg) {
		size_t cap = pl->capg ? pl->capg * 2 : 64;
		struct ll_grant *g = realloc(pl->g, cap * sizeof(*g));

		if (g == NULL) {
			pl->err = -ENOMEM;
			return;
		}
		pl->g = g;
		pl->capg = cap;
	}
	pl->g[pl->ng].path = strdup(path);
	if (pl->g[pl->ng].path == NULL) {
		pl->err = -ENOMEM;
		return;
	}
	pl->g[pl->ng++].rights = rights;
}

static void add_port(struct fg_ll_plan *pl, int port, uint64_t rights)
{
	for (size_t i = 0; i < pl->nports; i++) {
		if (pl->ports[i] == port) {
			pl->port_rights[i] |= rights;
			return;
		}
	}
	if (pl->nports == sizeof(pl->ports) / sizeof(pl->ports[0])) {
		pl->err = -E2BIG;
		return;
	}
	pl->ports[pl->nports] = (uint16_t)port;
	pl->port_rights[pl->nports++] = rights;
	dig(pl, "port", (uint64_t)port << 8 | rights);
}

static bool strictly_within(const char *tree, const char *path)
{
	size_t t = strlen(tree), n = strlen(path);

	return n > t && fg_path_within(tree, t, path, n);
}

static bool within(const char *tree, const char *path)
{
	return fg_path_within(tree, strlen(tree), path, strlen(path));
}

/* The write tree holding path, or NULL. */
static const char *write_tree_of(const struct fg_policy *p, const char *path)
{
	for (size_t i = 0; i < p->fs.write.n; i++)
		if (within(p->fs.write.v[i].path, path))
			return p->fs.write.v[i].path;
	return NULL;
}

static bool denied(const struct fg_policy *p, const char *path)
{
	for (size_t i = 0; i < p->fs.deny.n; i++)
		if (within(p->fs.deny.v[i].path, path))
			return true;
	return false;
}

static bool deny_below(const struct fg_policy *p, const char *dir)
{
	for (size_t i = 0; i < p->fs.deny.n; i++)
		if (strictly_within(dir, p->fs.deny.v[i].path))
			return true;
	return false;
}

/*
 * Grant a read-only tree except the deny paths below it: the directories on
 * the way down get read-dir only; every other entry the tree's rights.
 * Symbolic links are left out (their targets are judged where they lie).
 */
static void carve(struct fg_ll_plan *pl, const char *dir, uint64_t rights)
{
	const struct fg_policy *p = pl->pol;
	char child[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (!deny_below(p, dir)) {
		grant(pl, dir, rights);
		return;
	}
	grant(pl, dir, rights & LL_FS_READ_DIR);
	d = opendir(dir);
	if (d == NULL) {
		note(pl, true, "cannot list '%s' to carve its deny rules out: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL && !pl->err) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", strcmp(dir, "/") ? dir : "",
				     de->d_name) >= sizeof(child))
			continue;
		if (denied(p, child) || lstat(child, &st) < 0 || S_ISLNK(st.st_mode))
			continue;
		if (S_ISDIR(st.st_mode) && deny_below(p, child))
			carve(pl, child, rights);
		else
			grant(pl, child, rights);
	}
	closedir(d);
}

/* Rules under /proc/self follow the inode of the builder's /proc/<pid>;
 * children have other pids, so the rule goes on /proc itself. */
static const char *proc_map(const char *path)
{
	if (within("/proc/self", path) || within("/proc/thread-self", path))
		return "/proc";
	return path;
}

/*
 * The digest names system-set rules as one item: the set is fixed code, but
 * its /etc/python3.N entries come from listing /etc, which a child loading
 * the policy inside the domain must also be able to do (hence read-dir on
 * /etc: names only, no file contents).
 */
static void plan_fs(struct fg_ll_plan *pl)
{
	const struct fg_policy *p = pl->pol;

	dig(pl, "system", p->fs.system);
	if (p->fs.system)
		grant(pl, "/etc", LL_FS_READ_DIR);

	for (size_t i = 0; i < p->fs.write.n; i++) {
		const char *w = p->fs.write.v[i].path;

		if (denied(p, w))
			continue;
		if (p->fs.write.v[i].origin != FG_ORIGIN_SYSTEM)
			dig(pl, w, LL_READ | LL_WRITE);
		grant(pl, w, LL_READ | LL_WRITE);
		for (size_t k = 0; k < p->fs.deny.n; k++)
			if (strictly_within(w, p->fs.deny.v[k].path))
				note(pl, false,
				     "deny '%s' (line %u) lies in write tree '%s': the kernel cannot take it back, so only the preloaded library enforces it",
				     p->fs.deny.v[k].path, p->fs.deny.v[k].line, w);
	}
	for (size_t i = 0; i < p->fs.read.n; i++) {
		const char *r = p->fs.read.v[i].path;
		const char *m = proc_map(r);

		if (denied(p, r) || write_tree_of(p, r) != NULL)
			continue;
		if (m != r) {
			grant(pl, m, LL_FS_READ_FILE | LL_FS_READ_DIR);
			continue;
		}
		if (p->fs.read.v[i].origin != FG_ORIGIN_SYSTEM)
			dig(pl, r, LL_READ);
		for (size_t k = 0; k < p->fs.deny.n; k++)
			if (strictly_within(r, p->fs.deny.v[k].path) &&
			    write_tree_of(p, p->fs.deny.v[k].path) == NULL)
				dig(pl, p->fs.deny.v[k].path, 0);
		carve(pl, r, LL_READ);
	}
}

static void plan_own(struct fg_ll_plan *pl, const struct fg_ll_own *own, size_t nown)
{
	for (size_t i = 0; i < nown; i++) {
		const char *path = own[i].path;
		const char *w;
		uint64_t r;

		if (path == NULL || path[0] != '/')
			continue;
		switch (own[i].kind) {
		case FG_LL_OWN_AUDIT_DIR:
			/* no right at all: the audit daemon, outside the
			 * domain, appends for the confined processes */
			w = write_tree_of(pl->pol, path);
			if (w != NULL)
				note(pl, false,
				     "the audit log's directory '%s' lies in write tree '%s': the kernel cannot stop raw system calls from truncating or removing the log; move [audit] log outside the write trees",
				     path, w);
			dig(pl, path, 0);
			continue;
		case FG_LL_OWN_STATE_DIR:
			r = LL_STATE_DIR;
			break;
		default:
			r = LL_FS_READ_FILE | LL_FS_EXECUTE;
			break;
		}
		dig(pl, path, r);
		grant(pl, path, r);
	}
}

static void plan_net(struct fg_ll_plan *pl)
{
	const struct fg_policy *p = pl->pol;

	for (size_t i = 0; i < p->net.nallow; i++) {
		const struct fg_net_rule *r = &p->net.allow[i];

		if (r->kind != FG_NET_UNIX && r->port < 0) {
			note(pl, true, "[network] allow at line %u takes any port: TCP ports are left to the preloaded library",
			     r->line);
			return;
		}
	}
	pl->net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	dig(pl, "net", pl->net);
	for (size_t i = 0; i < p->net.nallow; i++)
		if (p->net.allow[i].kind != FG_NET_UNIX)
			add_port(pl, p->net.allow[i].port, pl->net);
	for (size_t i = 0; i < p->nep; i++) {
		add_port(pl, p->ep[i].port, LL_NET_CONNECT_TCP);
		if (p->ep[i].has_fallback)
			add_port(pl, p->ep[i].fallback_port, LL_NET_CONNECT_TCP);
	}
	add_port(pl, 0, LL_NET_BIND_TCP);      /* an ephemeral port */
}

static void plan_degraded(struct fg_ll_plan *pl)
{
	const struct fg_policy *p = pl->pol;
	char what[256] = "";
	size_t o = 0;

#define ADD(s) (o += (size_t)snprintf(what + o, sizeof(what) - o, "%s%s", o ? ", " : "", s))
	if (pl->abi < 2 && p->fs.mode == FG_MODE_ENFORCE)
		ADD("renames and links across directories (refused)");
	if (pl->abi < 3 && p->fs.mode == FG_MODE_ENFORCE)
		ADD("truncate");
	if (pl->abi < 4 && p->net.mode == FG_MODE_ENFORCE)
		ADD("TCP ports");
	if (pl->abi < 6)
		ADD("signal and abstract socket scoping");
#undef ADD
	if (o > 0)
		note(pl, false, "landlock ABI %d is older than %d: the kernel does not enforce %s", pl->abi,
		     FG_LL_ABI_KNOWN, what);
}

void fg_ll_plan_no_sockets(struct fg_ll_plan *pl)
{
	if (!(pl->fs & LL_FS_MAKE_SOCK))
		return;
	/* not in the digest: the library's processes compare it with the
	 * plan they build, which knows no floor ("floor" in the record says) */
	pl->withhold |= LL_FS_MAKE_SOCK;
}

int fg_ll_plan_new(const struct fg_policy *p, int abi, const struct fg_ll_own *own,
		   size_t nown, fg_ll_note_fn notefn, void *ctx, struct fg_ll_plan **out)
{
	struct fg_ll_plan *pl = calloc(1, sizeof(*pl));
	int rc;

	*out = NULL;
	if (pl == NULL)
		return -ENOMEM;
	if (abi > FG_LL_ABI_KNOWN)
		abi = FG_LL_ABI_KNOWN;
	pl->abi = abi;
	pl->pol = p;
	pl->note = notefn;
	pl->ctx = ctx;
	pl->h = 0xcbf29ce484222325ULL;
	if (p->fs.mode == FG_MODE_ENFORCE) {
		pl->fs = LL_READ | LL_WRITE | LL_FS_MAKE_BLOCK;
		if (abi < 2)
			pl->fs &= ~LL_FS_REFER;
		if (abi < 3)
			pl->fs &= ~LL_FS_TRUNCATE;
	} else {
		note(pl, true, "[filesystem] mode is not enforce: files are left to the preloaded library");
	}
	dig(pl, "abi", (uint64_t)abi);
	dig(pl, "fs", pl->fs);
	if (pl->fs) {
		plan_fs(pl);
		plan_own(pl, own, nown);
#ifdef FG_COVERAGE_DIR
		/* gcov's data, coverage builds only: not in the digest */
		grant(pl, FG_COVERAGE_DIR, LL_READ | LL_WRITE);
#endif
	}
	if (p->net.mode == FG_MODE_ENFORCE && abi >= 4)
		plan_net(pl);
	if (abi >= 6 && (pl->fs || pl->net)) {
		bool abstract_allowed = false;

		for (size_t i = 0; i < p->net.nallow; i++)
			if (p->net.allow[i].kind == FG_NET_UNIX && p->net.allow[i].unix_path[0] == '@')
				abstract_allowed = true;
		pl->scoped = LL_SCOPE_SIGNAL;
		if (p->net.mode == FG_MODE_ENFORCE && !abstract_allowed)
			pl->scoped |= LL_SCOPE_ABSTRACT_UNIX;
		dig(pl, "scoped", pl->scoped);
	}
	if (pl->fs || pl->net)
		plan_degraded(pl);
	snprintf(pl->digest, sizeof(pl->digest), "%016llx", (unsigned long long)pl->h);
	rc = pl->err;
	if (rc < 0) {
		fg_ll_plan_free(pl);
		return rc;
	}
	*out = pl;
	return 0;
}

void fg_ll_plan_free(struct fg_ll_plan *pl)
{
	if (pl == NULL)
		return;
	for (size_t i = 0; i < pl->ng; i++)
		free(pl->g[i].path);
	free(pl->g);
	free(pl);
}

bool fg_ll_plan_empty(const struct fg_ll_plan *pl)
{
	return pl->fs == 0 && pl->net == 0;
}

const char *fg_ll_plan_digest(const struct fg_ll_plan *pl)
{
	return pl->digest;
}

int fg_ll_plan_abi(const struct fg_ll_plan *pl)
{
	return pl->abi;
}

size_t fg_ll_plan_rules(const struct fg_ll_plan *pl)
{
	return pl->ng + pl->nports;
}

/* --- applying ----------------------------------------------------------- */

#if HAVE_DECL_SYS_LANDLOCK_CREATE_RULESET
/*
 * The O_PATH descriptors of the rules added are closed a run at a time
 * (close_range) instead of one close each: a run only ever holds numbers
 * this code opened one after the other, never one it did not open, and
 * at most LL_RUN of them are open at once.
 */
#define LL_RUN 64

struct ll_run {
	int lo, hi;     /* -1: none */
};

static void run_close(struct ll_run *r)
{
	if (r->lo < 0)
		return;
#ifdef SYS_close_range
	if (ll_sys(SYS_close_range, (long)r->lo, (long)r->hi, 0L) < 0)
#endif
		for (int fd = r->lo; fd <= r->hi; fd++)
			ll_sys(SYS_close, (long)fd);
	r->lo = r->hi = -1;
}

static void run_keep(struct ll_run *r, int fd)
{
	if (r->lo >= 0 && fd == r->hi + 1 && fd - r->lo < LL_RUN) {
		r->hi = fd;
		return;
	}
	run_close(r);
	r->lo = r->hi = fd;
}

/* One path rule.  No fstat for the object's type: the kernel refuses
 * (EINVAL) rights that mean nothing on a file that is not a directory,
 * and the rule is then added with the file rights alone, as the type
 * would have chosen (docs/SECURITY.md). */
static int add_path(int rfd, const struct ll_grant *g, uint64_t withhold, struct ll_run *run)
{
	struct ll_path_beneath_attr pb;
	int fd, rc = 0;

	fd = (int)ll_sys(SYS_openat, (long)AT_FDCWD, g->path, (long)(O_PATH | O_CLOEXEC));
	if (fd < 0)
		return 0;       /* not there (yet): nothing to grant */
	run_keep(run, fd);
	pb.allowed_access = g->rights & ~withhold;
	pb.parent_fd = fd;
	if (pb.allowed_access == 0)
		return 0;
	if (ll_sys(SYS_landlock_add_rule, (long)rfd, (long)LL_RULE_PATH_BENEATH, &pb, 0L) == 0)
		return 0;
	if (errno == EINVAL && (pb.allowed_access & ~LL_FILE_RIGHTS) != 0) {
		pb.allowed_access &= LL_FILE_RIGHTS;
		if (pb.allowed_access == 0 ||
		    ll_sys(SYS_landlock_add_rule, (long)rfd, (long)LL_RULE_PATH_BENEATH, &pb, 0L) == 0)
			return 0;
	}
	/* EBADFD: the path leads to an object of an internal file system (a
	 * pipe behind /dev/stdin): nothing the kernel can grant on, and
	 * nothing a path could reach but an already-open descriptor. */
	if (errno != EBADFD)
		rc = -errno;
	return rc;
}

int fg_ll_prepare(const struct fg_ll_plan *pl)
{
	struct ll_ruleset_attr attr = {
		.handled_access_fs = pl->fs,
		.handled_access_net = pl->net,
		.scoped = pl->scoped,
	};
	struct ll_run run = { -1, -1 };
	int rfd, rc = 0;

	rfd = ll_errno(ll_sys(SYS_landlock_create_ruleset, &attr, (long)sizeof(attr), 0L));
	if (rfd < 0)
		return rfd;
	for (size_t i = 0; i < pl->ng && rc == 0; i++)
		rc = add_path(rfd, &pl->g[i], pl->withhold, &run);
	run_close(&run);
	for (size_t i = 0; i < pl->nports && rc == 0; i++) {
		struct ll_net_port_attr np = { .allowed_access = pl->port_rights[i],
					       .port = pl->ports[i] };

		if (ll_sys(SYS_landlock_add_rule, (long)rfd, (long)LL_RULE_NET_PORT, &np, 0L) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		ll_sys(SYS_close, (long)rfd);
		return rc;
	}
	return rfd;
}

int fg_ll_restrict(int rfd)
{
	int rc = 0;

	if (rfd < 0)
		return rfd;
	if (ll_sys(SYS_prctl, (long)PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
		rc = -errno;
	if (rc == 0 && ll_sys(SYS_landlock_restrict_self, (long)rfd, 0L) < 0)
		rc = -errno;
	ll_sys(SYS_close, (long)rfd);
	return rc;
}
#else
int fg_ll_prepare(const struct fg_ll_plan *pl)
{
	(void)pl;
	return -ENOSYS;
}

int fg_ll_restrict(int rfd)
{
	(void)rfd;
	return -ENOSYS;
}
#endif

int fg_ll_apply(const struct fg_ll_plan *pl)
{
	return fg_ll_restrict(fg_ll_prepare(pl));
}

/*
 * Making a block device in sysfs fails for everyone (EPERM: no capability,
 * or sysfs has no mknod), but a domain that handles make-block and grants
 * it nowhere refuses it first, with EACCES.  No side effect either way.
 */
int fg_ll_confined(void)
{
	long rc = ll_sys(SYS_mknodat, (long)AT_FDCWD, "/sys/fleetguard-probe",
			 (long)(S_IFBLK | 0600), 0L);

	return rc < 0 && errno == EACCES;
}

/* --- write trees made at launch ---------------------------------------- */

/* mkdir -p path, each missing directory mode 0777 less the umask. */
static int make_tree(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (ll_sys(SYS_mkdirat, (long)AT_FDCWD, buf, 0777L) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

int fg_ll_make_write_trees(const struct fg_policy *p, fg_ll_note_fn say, void *ctx)
{
	int bad = 0;

	if (p->fs.mode != FG_MODE_ENFORCE)
		return 0;
	for (size_t i = 0; i < p->fs.write.n; i++) {
		const struct fg_path_rule *w = &p->fs.write.v[i];
		struct stat st;
		int rc;

		if (w->origin == FG_ORIGIN_SYSTEM || denied(p, w->path) || lstat(w->path, &st) == 0)
			continue;
		rc = make_tree(w->path);
		if (rc < 0 && say != NULL) {
			char msg[PATH_MAX + 160];

			snprintf(msg, sizeof(msg),
				 "write tree '%s' (line %u) does not exist and cannot be made: %s; the kernel will refuse writes in it",
				 w->path, w->line, strerror(-rc));
			say(ctx, false, msg);
		}
		bad += rc < 0;
	}
	return bad;
}

/* --- fleetguard's own paths -------------------------------------------- */

size_t fg_ll_own_list(const struct fg_policy *p, const char *audit_dir, const char *library,
		      const char *state_dir, struct fg_ll_own *own)
{
	size_t n = 0;

	if (audit_dir != NULL)
		own[n++] = (struct fg_ll_own){ audit_dir, FG_LL_OWN_AUDIT_DIR };
	own[n++] = (struct fg_ll_own){ p->file, FG_LL_OWN_READ };
	if (library != NULL)
		own[n++] = (struct fg_ll_own){ library, FG_LL_OWN_READ };
	if (p->nep > 0) {
		own[n++] = (struct fg_ll_own){ "/proc/sys/kernel/random/boot_id", FG_LL_OWN_READ };
		if (state_dir != NULL)
			own[n++] = (struct fg_ll_own){ state_dir, FG_LL_OWN_STATE_DIR };
	}
	return n;
}
