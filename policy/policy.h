/* policy.h - the workspace policy: parsing fleetguard.ini and deciding.
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
 * This module knows nothing of interposition.  The shim, the tools and the
 * tests all use it.  A policy is loaded once, is immutable afterwards and may
 * be read from any thread without locking.
 *
 * Every rule remembers the line of the policy file it came from, so that a
 * decision can name "<file>:<line>".
 */
#ifndef FLEETGUARD_POLICY_H
#define FLEETGUARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum fg_mode { FG_MODE_ENFORCE = 0, FG_MODE_REPORT, FG_MODE_OFF };
enum fg_kernel { FG_KERNEL_AUTO = 0, FG_KERNEL_ON, FG_KERNEL_OFF };
enum fg_events { FG_EVENTS_ALL = 0, FG_EVENTS_WRITES, FG_EVENTS_DENIED };
enum fg_fsync { FG_FSYNC_BATCH = 0, FG_FSYNC_ALWAYS, FG_FSYNC_NEVER };
enum fg_on_failure { FG_ONFAIL_DENY = 0, FG_ONFAIL_ALLOW };

/* Access wanted on a path.  Exec and metadata reads count as FG_ACC_READ;
 * create, remove, rename, link, chmod, chown, utimes and truncate count as
 * FG_ACC_WRITE. */
enum fg_access { FG_ACC_READ = 1, FG_ACC_WRITE = 2, FG_ACC_MOVE = 8 };

/* FG_ACC_MOVE (implies FG_ACC_WRITE): the call removes or renames this name
 * (unlink, rmdir, rename source and target).  Such a call on a strict ancestor
 * of a deny tree is denied too, or "mv .git x; edit x/hooks; mv x .git" would
 * walk around "deny = ${root}/.git/hooks". */

enum fg_rule_origin { FG_ORIGIN_POLICY = 0, FG_ORIGIN_SYSTEM, FG_ORIGIN_DEFAULT };

/* A tree: an absolute, lexically normalised path ("/" or no trailing '/'). */
struct fg_path_rule {
	char *path;
	size_t len;
	unsigned line;           /* line in the policy file, 0 for built-in defaults */
	enum fg_rule_origin origin;
};

struct fg_path_list {
	struct fg_path_rule *v;
	size_t n;
};

enum fg_net_kind { FG_NET_HOST = 0, FG_NET_CIDR, FG_NET_UNIX };

struct fg_net_rule {
	enum fg_net_kind kind;
	char *host;              /* FG_NET_HOST: lower-case DNS name */
	int family;              /* FG_NET_CIDR: AF_INET or AF_INET6 */
	uint8_t addr[16];        /* FG_NET_CIDR: network address, host bits zero */
	unsigned prefix;         /* FG_NET_CIDR: 0..32 or 0..128 (literal IP: 32/128) */
	char *unix_path;         /* FG_NET_UNIX: path, or "@name" for abstract */
	int port;                /* 1..65535, or -1 for '*' (FG_NET_UNIX: -1) */
	unsigned line;
	enum fg_rule_origin origin;  /* FG_ORIGIN_SYSTEM: dns = yes (resolv.conf servers, nscd) */
};

/* [breaker] keys, and the same keys as overridden per [endpoint]. */
struct fg_breaker_conf {
	unsigned threshold;               /* default 5, 1..1000000 */
	unsigned open_seconds;            /* default 60 */
	unsigned max_open_seconds;        /* default 600, >= open_seconds */
	unsigned probes;                  /* default 1, 1..1000 */
	uint8_t failure_status[600 / 8];  /* bit s set: HTTP status s (100..599) is a failure; default 429, 500-599 */
	char *state_dir;                  /* default /run/fleetguard, else $XDG_RUNTIME_DIR, else /tmp */
	bool state_dir_set;               /* given in the policy: the breaker must not fall back */
	unsigned slow_first_byte_seconds; /* 0 = off */
	unsigned min_processes;           /* default 1, 1..16 (the breaker tracks at most 16 pids) */
};

static inline bool fg_status_is_failure(const struct fg_breaker_conf *c, unsigned status)
{
	return status >= 100 && status < 600 &&
	       (c->failure_status[status / 8] >> (status % 8)) & 1u;
}

/* gateway = auto | yes | no of an [endpoint] (docs/BREAKER.md, "When the
 * gateway is on"). */
enum fg_gw_mode { FG_GWM_AUTO = 0, FG_GWM_YES, FG_GWM_NO };

struct fg_endpoint {
	char *name;              /* from [endpoint NAME] */
	char *host;              /* lower-case name or literal address */
	uint16_t port;
	bool https;              /* protocol = https (default) | http */
	bool has_fallback;
	char *fallback_host;
	uint16_t fallback_port;
	/* The gateway (fleetguard-gateway, docs/BREAKER.md): */
	enum fg_gw_mode gateway_mode;   /* gateway = auto (default) | yes | no */
	bool gateway;            /* in effect: requests go through the gateway
				  * (fg_policy_gateway_resolve; sealed as decided) */
	bool fallback_tls;       /* fallback = https://... */
	char *fallback_path;     /* the fallback URL's path ("" for none), put before
				  * the request's; NULL for host:port */
	char *api_key_file;      /* the gateway sets the provider's credential from it */
	bool api_key_x;          /* api_key_header = x-api-key (else authorization: Bearer) */
	char *ca_file;           /* more roots to verify the provider (and fallback) by */
	char *fallback_model;    /* the JSON body's top-level "model" on the fallback, or NULL */
	struct fg_breaker_conf breaker;   /* [breaker] with this section's overrides applied */
	unsigned line;           /* line of the section header */
};

struct fg_policy {
	char *file;              /* absolute path of the policy file */
	char *root;              /* [workspace] root, default: the file's directory */
	bool root_defaulted;     /* root not given: a copy of the file elsewhere has another root */
	char *agent_id;          /* [workspace] agent_id, $FLEETGUARD_AGENT_ID, else NULL (caller uses program name) */

	struct {
		enum fg_mode mode;
		bool system;
		struct fg_path_list read;    /* includes the system set when system = yes (origin FG_ORIGIN_SYSTEM) */
		struct fg_path_list write;
		struct fg_path_list deny;
		enum fg_kernel kernel;
		bool unconfined_exec;        /* unconfined_exec = allow */
		unsigned line;               /* line of [filesystem], 0 if absent */
	} fs;

	struct {
		enum fg_mode mode;
		struct fg_net_rule *allow;
		size_t nallow;
		bool dns;                    /* default yes */
		unsigned line;
	} net;

	struct fg_breaker_conf breaker;
	struct fg_endpoint *ep;
	size_t nep;

	struct {
		char *log;                   /* default ${root}/.fleetguard/audit.log */
		bool log_defaulted;          /* log not given */
		bool log_canonical;          /* its directory was resolved (realpath) when the
					      * policy was sealed: not resolved again */
		enum fg_events events;
		enum fg_fsync fsync;
		enum fg_on_failure on_failure;
		char *key_file;              /* NULL: plain SHA-256 chain */
		uint64_t max_size;           /* bytes, default 64 MiB; 0 = never rotate */
		/* the audit daemon's (issue 13): NULL / 0 for its defaults */
		char *state_dir;             /* signing key, default witness file */
		char *witness;               /* witness list, checked word by word */
		char *forward;               /* syslog+tcp://HOST:PORT */
		unsigned checkpoint_every;   /* records per checkpoint */
		/* a user of its own for the daemon (root starts it so), or
		 * NULL / -1: the spawner's */
		char *daemon_user;
		long daemon_uid;
	} audit;

	struct fg_path_index *index;         /* private to policy/match.c: the fast path lookup */
};

/* Longest line accepted in a policy file, in bytes without the line end. */
#define FG_POLICY_MAX_LINE 8192
/* Most [endpoint] sections, longest name and "host:port" (the breaker's
 * shared state has room for that many, that long). */
#define FG_POLICY_MAX_ENDPOINTS 64
#define FG_POLICY_MAX_EP_NAME 63
#define FG_POLICY_MAX_EP_ADDR 127
/* Longest fallback_model value. */
#define FG_POLICY_MAX_MODEL 256
/* Largest policy file accepted by fg_policy_load. */
#define FG_POLICY_MAX_SIZE (1024 * 1024)

/* Called once per problem found, in file order.  line is 0 for problems of
 * the file as a whole (cannot open it, I/O error). */
typedef void (*fg_diag_fn)(void *ctx, const char *file, unsigned line, const char *msg);

/*
 * Load and validate the policy at path (relative paths are taken against the
 * current directory and stored absolute).  Every problem is reported through
 * diag (which may be NULL).  Returns 0 and sets *out on success, otherwise
 * the number of problems found (> 0) and *out is NULL.  Never returns a
 * partial or weakened policy.
 */
int fg_policy_load(const char *path, struct fg_policy **out, fg_diag_fn diag, void *ctx);

/* The same, and when it loads, seen(sctx, bytes, len) with the file's
 * bytes exactly as parsed (the caller hashes them: reading the file a
 * second time for its digest cost an open and two reads, and could hash
 * other bytes than those parsed). */
typedef void (*fg_policy_seen_fn)(void *sctx, const void *bytes, size_t len);
int fg_policy_load_seen(const char *path, struct fg_policy **out, fg_diag_fn diag, void *ctx,
			fg_policy_seen_fn seen, void *sctx);

/* The same from a buffer; name is used as the file name in diagnostics and,
 * if root is not given in the text, its directory is the root. */
int fg_policy_parse(const char *name, const char *buf, size_t len,
		    struct fg_policy **out, fg_diag_fn diag, void *ctx);

void fg_policy_free(struct fg_policy *p);

/* Appends a copy of r to p's [network] allow rules (p parsed or sealed);
 * -ENOMEM leaves p as it was. */
int fg_policy_add_net(struct fg_policy *p, const struct fg_net_rule *r);

/* Does endpoint e use something only the gateway provides (api_key_file,
 * api_key_header, ca_file, fallback_model, a fallback URL, a fallback of an
 * https endpoint)?  Then gateway = auto turns it on in every mode. */
bool fg_endpoint_needs_gateway(const struct fg_endpoint *e);

/*
 * Decide gateway = auto for every endpoint of p (sets fg_endpoint.gateway):
 * yes is on, no is off; auto is on for protocol = http, on for https when
 * under_run (`fleetguard run` makes its agents trust the gateway's CA), and
 * for https in library-only mode only when fg_endpoint_needs_gateway.
 * fg_policy_load decides for library-only mode; `fleetguard run` decides
 * again with under_run before it seals.
 */
void fg_policy_gateway_resolve(struct fg_policy *p, bool under_run);

/* Why a decision went the way it did: one code per reason, its text in one
 * table (fg_reason_text).  The policy gives the FG_R_POL_* codes; the shim
 * adds its own (fleetguard's own files, mode = off, exec checks). */
enum fg_reason {
	FG_R_NONE = 0,
	FG_R_ALLOWED_BY_RULE,       /* a rule allowed it */
	FG_R_NOT_ABSOLUTE,
	FG_R_NOT_IN_TREE,           /* no read or write tree covers the path */
	FG_R_DENIED_BY_RULE,
	FG_R_MOVES_DENIED_TREE,
	FG_R_READ_ONLY,
	FG_R_BAD_ADDRESS,
	FG_R_UNNAMED_SOCKET,
	FG_R_RELATIVE_SOCKET,
	FG_R_BAD_SOCKET_PATH,
	FG_R_NO_SOCKET_RULE,
	FG_R_UNSUPPORTED_FAMILY,
	FG_R_NO_ADDRESS_RULE,       /* an address (or a literal) no rule covers */
	FG_R_NO_HOST,
	FG_R_NO_HOST_RULE,          /* a host name no rule names */
	/* decided by the shim, not by a rule */
	FG_R_OWN_FILE,              /* fleetguard's own files: never the agent's */
	FG_R_ABOVE_OWN_FILES,       /* moving or removing it takes them along */
	FG_R_MODE_OFF,
	FG_R_ANCESTOR,              /* a metadata read on the way to an allowed tree */
	FG_R_NAME_SERVER,
	FG_R_EXEC_SETID,
	FG_R_EXEC_CAPS,
	FG_R_EXEC_STATIC,
	FG_R_EXEC_STATIC_INTERP,
	FG_R_EXEC_BAD_INTERP,
	FG_R_EXEC_DEEP_CHAIN,
	FG_R_EXEC_NO_NAME,          /* exec of a descriptor with no path (memfd) */
	FG_R_UNCONFINED_EXEC,       /* allowed by unconfined_exec = allow */
	FG_R_SPAWN_RELATIVE_OPEN,   /* posix_spawn file actions the shim cannot judge */
	FG_R_KERNEL_REFUSED,        /* allowed here, refused by Landlock */
	FG_R_GATEWAY_BUNDLE,        /* the trust bundle fleetguard run hands out: read-only */
#ifdef FG_COVERAGE_DIR
	FG_R_COVERAGE_DATA,         /* gcov's data directory: coverage builds only */
#endif
	FG_R_COUNT
};

/* The reason's text for the denial line and the report line ("read-only
 * tree"); never NULL. */
const char *fg_reason_text(enum fg_reason r);

/* The outcome of a decision.  file and line name the rule that decided
 * (file is the policy's own file; line 0 for the default deny or a system
 * rule, file NULL when no policy rule decided). */
struct fg_verdict {
	bool allow;
	enum fg_reason why;
	const char *file;
	unsigned line;
	enum fg_rule_origin origin;  /* of the rule that decided; POLICY when none did */
};

/*
 * Decide access to an absolute, lexically normalised path (no "//", "/./",
 * "/../" or trailing '/').  deny beats write beats read; trees match by
 * whole components.  Pure and thread-safe; no allocation, no system call.
 * The decision ignores fs.mode (report/off are the caller's business).
 * "/proc/self" rules are matched literally: a caller that resolved a path
 * to "/proc/<its own pid>/..." maps it back to "/proc/self/..." first.
 */
bool fg_policy_path(const struct fg_policy *p, const char *path, size_t len,
		    unsigned access, struct fg_verdict *v);

/* A socket address as fleetguard judges it: an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is its IPv4 address everywhere (policy, learned names,
 * name servers, the breaker's endpoints, records). */
struct fg_sockaddr {
	int family;              /* AF_INET or AF_INET6 */
	uint8_t a[16];           /* IPv4 in the first 4 bytes, the rest zero */
	uint16_t port;           /* host order */
};

/* The one socket address decoder: true for AF_INET and AF_INET6 of full
 * length (out filled), false for anything else (out zeroed). */
bool fg_sockaddr_decode(const struct sockaddr *sa, socklen_t len, struct fg_sockaddr *out);

/* Decide a connection to sa (AF_INET, AF_INET6, AF_UNIX).  host, when not
 * NULL, is the name the address was resolved from (matched against
 * FG_NET_HOST rules). */
bool fg_policy_addr(const struct fg_policy *p, const struct sockaddr *sa, socklen_t salen,
		    const char *host, struct fg_verdict *v);

/* May this host name be looked up at all?  True when some allow rule names
 * it (any port), or it is a literal address covered by a rule. */
bool fg_policy_host(const struct fg_policy *p, const char *host, struct fg_verdict *v);

/* Which endpoint is host:port (name or literal)?  Returns the index or -1. */
int fg_policy_endpoint(const struct fg_policy *p, const char *host, uint16_t port);

/*
 * Lexical normalisation of an absolute path into out (size outlen): folds
 * "//", "/./", "/../" (never above "/") and a trailing '/'.  Returns the
 * length, or -ENAMETOOLONG / -EINVAL (not absolute).
 */
long fg_path_normalize(const char *in, char *out, size_t outlen);

/* Does tree (normalised, length tlen) contain path (normalised) by whole
 * components?  "/srv/ws" contains "/srv/ws" and "/srv/ws/a", not "/srv/ws-evil". */
bool fg_path_within(const char *tree, size_t tlen, const char *path, size_t plen);

/*
 * A --enable-coverage build only: FG_COVERAGE_DIR (the build tree's
 * gcov-data, where GCOV_PREFIX sends every process's counters) may be read
 * and written by any process whatever the policy, unrecorded, so that
 * preloaded and confined processes can write their coverage data.  In any
 * other build the macro is undefined, this is constant false, and no trace
 * of the directory is compiled in (tests/integration/coverage_switch.sh).
 */
#ifdef FG_COVERAGE_DIR
bool fg_coverage_path(const char *path, size_t len);
#else
static inline bool fg_coverage_path(const char *path, size_t len)
{
	(void)path;
	(void)len;
	return false;
}
#endif

#endif /* FLEETGUARD_POLICY_H */
