/* shim.h - internals of the preloaded library, shared by its hook files.
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
 * The libc-named functions in shim/hooks_*.c only gather arguments and call
 * the fg_* functions here.  Those live in the convenience library libfgshim
 * (linked by libfleetguard.so and by the unit tests) and use policy/ to
 * decide and audit/ to record.
 */
#ifndef FLEETGUARD_SHIM_H
#define FLEETGUARD_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>

#include "audit/audit.h"
#include "policy/policy.h"

#define FG_EXPORT __attribute__((visibility("default")))
/* Large zero-initialised tables most processes never touch: kept after
 * .bss (an .lbss section, still zero-filled anonymous memory) so that the
 * small variables every process writes share a few pages instead of being
 * spread between them (each first touch of a page is a fault, about 26 us
 * on a paravirtualised guest: docs/PERFORMANCE.md). */
#define FG_COLD __attribute__((section(".lbss.fleetguard")))

/* --- real symbols ------------------------------------------------------- */

/* The one symbol resolver.  Resolve name with dlsym(RTLD_NEXT); when that
 * finds nothing (or self, our own hook), in each of sonames (NULL-ended, or
 * NULL for none) that is already loaded: a library dlopen()ed with
 * RTLD_LOCAL, such as libssl under Python's _ssl, is reached that way.
 * Never loads anything.  Missing: one line on stderr and exit status 126
 * (never a call through NULL). */
void *fg_real_in(const char *name, void *self, const char *const *sonames);
/* fg_real_in(name, self, NULL): a libc function. */
void *fg_real(const char *name, void *self);

/* Declare and fetch the next definition of a libc function, cached. */
#define FG_REAL(ret, name, ...)                                                 \
	static ret (*real_##name)(__VA_ARGS__);                                 \
	if (__builtin_expect(real_##name == NULL, 0))                           \
		real_##name = (ret(*)(__VA_ARGS__))fg_real(#name, (void *)name)

/* The kernel, directly: never through the exported syscall() hook.
 * Returns like syscall(2): -1 with errno set on failure. */
long fg_syscall(long nr, ...);

/* --- reentrancy guard --------------------------------------------------- */

/* Non-zero while this thread is inside fleetguard's own code: hooks then
 * pass straight through to libc (our policy reads, audit writes and OpenSSL
 * calls are never policed or recorded). */
extern __thread int fg_in_guard;
/* Set once the constructor (shim/start.c) has finished. */
extern int fg_ready;

static inline bool fg_passthrough(void)
{
	return fg_in_guard || !fg_ready;
}

/* --- state -------------------------------------------------------------- */

struct fg_state {
	struct fg_policy *pol;
	struct fg_audit *audit;
	const char *policy_file;   /* as given in FLEETGUARD_POLICY (first process only) */
	char policy_sha[65];       /* the policy file's SHA-256 at launch, "" if unknown */
	char agent[128];
	char exe[4096];
	bool quiet;
	bool debug;
	bool landlock_active;      /* the process is confined by Landlock */
	bool inherited;            /* the sealed policy came from an ancestor */
	pid_t waiter;              /* the process of this tree that started this
				    * one (fork, or exec in a vfork child) and
				    * that waits for its own exit record after
				    * ours; 0: none known (docs/AUDIT.md) */
};

extern struct fg_state fg_g;

/* --- decisions and records ---------------------------------------------- */

/* What a record's first operand names. */
enum fg_obj {
	FG_OBJ_PATH = 0,         /* a file system path ("path", "path2") */
	FG_OBJ_ADDR,             /* a socket address ("addr", and "name" when known) */
	FG_OBJ_NAME,             /* a host name to look up ("name") */
};

/* One intercepted action. */
struct fg_act {
	const char *op;          /* "open", "unlink", ... */
	const char *path;        /* as the caller gave it (may be relative) */
	const char *path2;       /* second path (rename, link), host name, or NULL */
	int flags;               /* -1 when not applicable */
	int mode;                /* -1 when not applicable */
	unsigned access;         /* FG_ACC_READ and/or FG_ACC_WRITE */
	enum fg_obj obj;
	bool meta;               /* a metadata probe (stat, access, readlink) */
	bool barrier;            /* the process image ends here (exec): the
				  * record is in the log before the call goes on */
	struct fg_audit_handover *handover; /* an exec that hands the audit
				  * connection to its image (audit.h); NULL: none */
	bool lsm_only;           /* an EACCES from this call can only come from
				  * a security module (a TCP connect, an
				  * unprivileged TCP bind) */
};

/* The outcome recorded for an action. */
enum fg_decision {
	FG_D_ALLOW = 0,
	FG_D_REPORT,             /* denied by the policy, allowed by mode = report */
	FG_D_DENY,
};

/* "allow", "report", "deny": the audit record's decision field. */
const char *fg_decision_text(enum fg_decision d);

/*
 * Record an action and its outcome as the [audit] events setting asks.
 * Returns 0, or -EIO when the record could not be written and on_failure =
 * deny (the caller must then fail the call).
 */
int fg_record(const struct fg_act *act, enum fg_decision d, const struct fg_verdict *v,
	      int result);

/* Record any event (breaker transitions, start, exit) with its own fields. */
int fg_record_fields(const char *op, const struct fg_audit_field *f, size_t nf,
		     const char *decision, const char *rule, int result);
/* The same for a record that waits for its answer (the exit record: every
 * record of the process is in the log when it returns). */
int fg_record_waited(const char *op, const struct fg_audit_field *f, size_t nf);
/* The exit record: waited for as a barrier for the whole log (every
 * record any process sent before it is in the log when it returns) when
 * wait is set, else pipelined like any record. */
int fg_record_exit(const struct fg_audit_field *f, size_t nf, bool wait);
/* Does this process wait at its end for a barrier over the whole log?
 * Yes unless its waiter (fg_g.waiter) is still its parent. */
bool fg_exit_waits(void);
/* _exit(): that barrier, without a record, when fg_exit_waits(). */
void fg_exit_barrier(void);

/* Print the spec's denial line (unless FLEETGUARD_QUIET=1). */
void fg_say_denied(const char *op, const char *what, const struct fg_verdict *v);

/* Print "fleetguard: <fmt>" on stderr, even when quiet, and exit with
 * status 126: for start-up failures (the shim never guesses). */
void fg_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Print "fleetguard: <fmt>" on stderr (unless quiet) with the real write. */
void fg_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- fleetguard's own files (shim/own.c) --------------------------------- */

/* One owner of files the agent must never reach: the audit writer, the
 * breaker.  owns: is path (absolute, normalised) one of its files?  above:
 * is path a directory on the way to them, which a rename or removal would
 * take along (NULL: none)?  ctx is passed to both. */
struct fg_owner {
	bool (*owns)(const void *ctx, const char *path, size_t len);
	bool (*above)(const void *ctx, const char *path, size_t len);
	const void *ctx;
};

/* Add an owner (copied); 0, or -ENOSPC when the table is full. */
int fg_own_register(const struct fg_owner *o);
/* Is path one of the registered owners' files? */
bool fg_own_file(const char *path, size_t len);
/* Is path a directory above a registered owner's files? */
bool fg_own_above(const char *path, size_t len);
/* Is path (trailing '/' ignored) a directory on the way to file, "/"
 * included?  For owners' above(). */
bool fg_own_dir_above(const char *file, const char *path, size_t len);
/* Forget every owner (for the unit tests). */
void fg_own_reset(void);

/* --- file opens --------------------------------------------------------- */

/*
 * The open family: decide on the object the kernel resolves (never on the
 * path string alone), then open it.  Returns the descriptor, or -1 with
 * errno set exactly as the real call would, or EACCES when denied.
 */
int fg_openat_checked(const char *op, int dirfd, const char *path, int flags, mode_t mode);

/* Cache our pid for the /proc/self mapping (renewed in fork children,
 * whose fg_g.waiter becomes the parent). */
void fg_fs_init(void);
/* The cached pid: in a vfork child, its parent's. */
pid_t fg_cached_pid(void);

/* The absolute path of what fd refers to (/proc/<pid> shown as /proc/self):
 * its length, 0 when fd is no file system object (pipe, socket), or -errno. */
long fg_fd_path(int fd, char *out, size_t len);

/* The lexical absolute form of (dirfd, path): its length or -errno. */
long fg_abs_lexical(int dirfd, const char *path, char *out, size_t len);

/* Judge an absolute normalised path: the policy, and fleetguard's own files
 * (audit log, keys, state) which are never the agent's. */
bool fg_judge(const char *path, size_t len, unsigned access, struct fg_verdict *v);

/* Apply a verdict under mode: record it, print the denial line; 0 to go on,
 * -1 with errno (EACCES, or EIO when the audit record failed) to refuse.
 * fg_refuse(), then fg_outcome() of a call that returned 0. */
int fg_enforce(const struct fg_act *act, const char *shown, const struct fg_verdict *v,
	       enum fg_mode mode);
/* Before the call: a denial is printed, recorded and refused (-1, EACCES);
 * report mode prints its line; 0 to make the call. */
int fg_refuse(const struct fg_act *act, const char *shown, const struct fg_verdict *v,
	      enum fg_mode mode);
/* After the call, which returned rc with errno: the record carries its real
 * result, and an EACCES on an allowed call under Landlock gets the denial
 * line naming the kernel.  Returns rc with errno kept, or -1 with errno
 * (EIO) when the record of a successful call could not be written under
 * on_failure = deny. */
int fg_outcome(const struct fg_act *act, const char *shown, const struct fg_verdict *v,
	       enum fg_mode mode, int rc);

/* --- other path operations (shim/fs.c) ----------------------------------- */

/* Metadata reads (stat, access, readlink): read rules, recorded only at
 * events = all, and allowed on the directories leading to an allowed tree. */
#define FG_ACC_META 4u

enum fg_target {
	FG_T_OBJECT_FOLLOW = 0,  /* the object, a final symlink followed */
	FG_T_OBJECT_NOFOLLOW,    /* the object, a final symlink itself */
	FG_T_NAME,               /* a name in its parent: to create or remove */
};

/* A resolved operand: fd is an O_PATH descriptor of the object, or of the
 * parent directory when base is not NULL; path is what was judged (room for
 * a name below the deepest path the kernel can name: see fg_resolve). */
#define FG_NAME_PATH_MAX (4096 + 4 + 256)
struct fg_name {
	int fd;
	const char *base;
	char path[FG_NAME_PATH_MAX];
};

struct fg_pathop {
	const char *op;
	unsigned access;          /* FG_ACC_* for path2 (and path1 unless access1) */
	unsigned access1;         /* 0: same as access */
	int dirfd1;
	const char *path1;
	enum fg_target t1;
	int dirfd2;
	const char *path2;        /* NULL for one-operand operations */
	enum fg_target t2;
	int flags, mode;          /* for the record; -1 when not applicable */
	/* Perform the operation on the resolved operands (b NULL for one). */
	int (*run)(const struct fg_name *a, const struct fg_name *b, void *ctx);
	/* Perform it on the caller's arguments ([filesystem] mode = off). */
	int (*direct)(const struct fg_pathop *op, void *ctx);
};

/*
 * The resolver every hook uses: what the kernel will see for (dirfd, path).
 * FG_T_NAME: n->fd is the parent directory (O_PATH) and n->base the last
 * component (the name to create or remove); otherwise n->fd is the object
 * itself (O_PATH) and n->base NULL.  n->path is the absolute path to judge.
 * The fast path (no "..", no symlink: openat2 RESOLVE_NO_SYMLINKS on the
 * lexical form) costs one system call; anything else is resolved by the
 * kernel and its real path read back.  A directory deeper than the kernel
 * can name (over 4 KB, reached with chdir or a dirfd) is judged as the
 * contents of its nearest ancestor that has a name: n->path is then
 * "<ancestor>/.../<base>".  Returns 0, or -errno from the
 * kernel with n->fd = -1 and n->path the lexical absolute form (empty if
 * none).  The caller closes n->fd.
 */
int fg_resolve(struct fg_name *n, int dirfd, const char *path, enum fg_target t);

/* Resolve, judge, record and run a path operation.  Returns what run
 * returns (errno set), or -1 with EACCES when denied. */
int fg_path_op(const struct fg_pathop *op, void *ctx);

/* --- exec (shim/exec.c) ------------------------------------------------ */

/* Remember LD_PRELOAD and FLEETGUARD_* as this process started with them. */
void fg_exec_init(char **envp);
/* Judge the program (dirfd, path) is about to execute: 0 to go on, -1 with
 * errno (EACCES) to refuse. */
int fg_exec_check(const char *op, int dirfd, const char *path, int atflags);
/* fg_exec_check for an exec this process makes itself (execve and
 * family): the record hands the audit connection to the new image, h
 * says which (h->fd -1: none); fg_exec_handback() after a failed exec. */
int fg_exec_check_h(const char *op, int dirfd, const char *path, int atflags,
		    struct fg_audit_handover *h);
void fg_exec_handback(struct fg_audit_handover *h);
/* Room on the caller's stack for a child's environment: most fit, so an
 * exec (often in a vfork child, its parent suspended) maps nothing. */
#define FG_ENV_ROOM 160
struct fg_env_room {
	char hint[64];                 /* the FG_AUDIT_HANDOVER_ENV entry */
	char *slot[FG_ENV_ROOM];
};
/* The child's environment as fg_env_build, plus FG_AUDIT_HANDOVER_ENV for
 * h. */
char **fg_env_build_h(char *const *envp, const struct fg_audit_handover *h,
		      struct fg_env_room *room);
/* Judge the program open at fd (execveat with AT_EMPTY_PATH, fexecve): a
 * file whose name still leads to it is judged by that name; a memfd or a
 * deleted file is refused unless unconfined_exec = allow. */
int fg_exec_check_fd(const char *op, int fd);
/* The exec judged and recorded last on this thread (by fg_exec_check or
 * fg_exec_check_fd) failed with err: a second record carries that errno
 * (nothing when no exec was recorded since), and errno is left as err.
 * With err 0 (a spawn that succeeded, a search that found nothing) the
 * exec is only forgotten, errno untouched. */
void fg_exec_failed(int err);
/* The file execvp() would run for name (PATH search): 0, or -1 if none. */
int fg_exec_search(const char *name, char *out, size_t len);
/* A new environment array for a child, in room when it fits (room may be
 * NULL), else mmap'ed (vfork-safe, unlike malloc); NULL when out of memory. */
char **fg_env_build(char *const *envp, struct fg_env_room *room);
void fg_env_free(char **env);

/* --- posix_spawn file actions (shim/spawn.c) ---------------------------- */

/* Remember an open (path, oflag) or, with path NULL, a change of directory
 * that the file actions fa will make in the child.  0 or -ENOMEM. */
int fg_spawn_note(const void *fa, const char *path, int oflag);
/* Forget what was noted for fa (destroyed or re-initialised). */
void fg_spawn_forget(const void *fa);
/* Judge every open noted for fa, in order: 0 to spawn, -1 with errno
 * (EACCES, with the denial line and record) to refuse. */
int fg_spawn_check(const void *fa);

/* --- the sealed policy descriptor (shim/seal_fd.c) ----------------------- */

/* True (errno EBADF, denial line and record) when fd is the sealed policy's
 * descriptor and the caller is the agent: close, dup2/dup3 onto it and
 * FD_CLOEXEC on it are refused. */
bool fg_seal_fd_refuse(const char *op, int fd);
/* close(2) of the sealed descriptor by the agent: true, errno EBADF, the
 * descriptor kept, and no line or record (bulk closers hit it by design). */
bool fg_seal_fd_keep(int fd);
/* FG_AUDIT_POOL_FD holds this tree's pool of spare audit connections. */
bool fg_pool_fd_here(void);
/* close_range(first, last, flags) through real, leaving FG_SEAL_FD open. */
int fg_seal_fd_close_range(unsigned first, unsigned last, int flags,
			   int (*real)(unsigned, unsigned, int));

/* --- network (shim/net.c) ----------------------------------------------- */

/* Read /etc/resolv.conf's name servers (for [network] dns = yes). */
void fg_net_init(void);

/* --- learned names (shim/names.c) ------------------------------------------ */

/* Keeps the table usable in fork children (constructor). */
void fg_names_init(void);
/* Remember that sa (len bytes) came from resolving host. */
void fg_names_add(const char *host, const struct sockaddr *sa, socklen_t len);
/* Call fn(ctx, host) for each name learned for address d (any port),
 * until fn returns true; returns whether one did.  fn runs under the
 * table's lock: it must not add names. */
bool fg_names_each(const struct fg_sockaddr *d, bool (*fn)(void *ctx, const char *host), void *ctx);
/* "1.2.3.4:443", "[::1]:80", "unix:/path", "unix:@abstract" into out. */
void fg_addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen);
/* A call to a socket address, judged before it is made and recorded after,
 * with what it returned. */
struct fg_net_call {
	struct fg_act act;
	struct fg_verdict v;
	bool judged;             /* false: not fleetguard's to judge or record */
	char text[160];          /* the address as shown and recorded */
	char host[256];          /* the name learned for it, or "" */
};
/* Judge a destination for op ("connect", "sendto", "bind") on socket fd:
 * 0 to make the call, then fg_net_done(); -1 with errno EACCES (or EIO) to
 * refuse (recorded). */
int fg_net_judge(struct fg_net_call *c, const char *op, int fd, const struct sockaddr *sa,
		 socklen_t len);
/* After the call, which returned rc (< 0: failed with errno): its record,
 * through fg_outcome().  Returns rc, errno kept, or -1 with EIO when the
 * record of a call that succeeded could not be written (on_failure = deny). */
int fg_net_done(struct fg_net_call *c, int rc);
/* fg_net_judge() then fg_net_done() of a call that returned 0: the verdict
 * and its record without a call of its own (tests/unit/check_shim.c). */
int fg_net_check(const char *op, const struct sockaddr *sa, socklen_t len);
/* Judge a host name before it is looked up: 0 to go on, -1 to refuse. */
int fg_resolve_check(const char *op, const char *host);

/* --- kernel enforcement glue (shim/kernel_glue.c) ----------------------- */

/* Called by the constructor after the policy is loaded and before the
 * audit log is attached: applies the Landlock ruleset when [filesystem]
 * kernel = on|auto and the process is not already confined by
 * `fleetguard run`, and sets fg_g.landlock_active.  May stop the process
 * (status 126) when kernel = on and Landlock is unavailable. */
void fg_kernel_init(void);
/* The audit writer fg_kernel_init's bring-up opened and kept, once; NULL
 * when there is none. */
struct fg_audit *fg_kernel_take_audit(void);

/* --- circuit breaker glue (shim/circuit*.c) ----------------------------- */

struct addrinfo;

/* Called by the constructor once policy and audit are ready. */
void fg_circuit_init(void);
/* connect() of an allowed destination: admits or fails fast (ECONNREFUSED),
 * may redirect to the endpoint's fallback, and tracks the outcome.  Returns
 * what connect() returns, errno set. */
int fg_circuit_connect(int fd, const struct sockaddr *sa, socklen_t len,
		  int (*real_connect)(int, const struct sockaddr *, socklen_t));
/* n bytes were sent on fd by sendto/sendmsg. */
void fg_circuit_sent(int fd, ssize_t n);

#endif /* FLEETGUARD_SHIM_H */
