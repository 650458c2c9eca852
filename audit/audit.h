/* audit.h - the hash-chained audit log: encode, append, rotate.
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
 * This module knows nothing of policy or interposition.  One struct fg_audit
 * is a writer attached to one log; many processes and threads may append to
 * the same log at once.  A record is one JSON line:
 *
 *   {"seq":N,"ts":"...","host":"...","pid":N,"uid":N,"agent":"...","exe":"...",
 *    "op":"...", <operands in the order given>, "decision":"...","rule":...,
 *    "result":...,"prev":"<64 hex>","hash":"<64 hex>"}
 *
 * hash = SHA-256 (HMAC-SHA256 when a key is set) over the line's bytes
 * before ',"hash":'.  Path bytes that are not valid UTF-8 are written as
 * "\udcXX" (a lone low surrogate per byte, as Python's surrogateescape), so
 * the original bytes are recoverable exactly.
 *
 * Files (added by the audit module): for a log DIR/audit.log, rotated
 * segments are DIR/audit.log.1, .2, ... oldest first, the chain running
 * .1, .2, ..., audit.log; DIR/audit.log.head is the end of the chain and the
 * writers' lock (a robust process-shared mutex inside it; flock on it only
 * to create or rebuild it and for vfork children), mapped shared.  A writer
 * killed part way (even holding the lock) leaves at most one torn last
 * line; the next append ends it with a newline and adds a "repair" record
 * (offset, length, sha256 of the torn bytes).  fsync batch: at most one
 * fdatasync per 100 ms for all writers of the log, and one at
 * fg_audit_flush.  A full disk fails the append before any byte is written
 * (space is reserved ahead with fallocate).
 *
 * The descriptors are O_CLOEXEC and opened by path again in a new process
 * (fork or vfork child), so a child that closed or reused the inherited
 * numbers is still fine; a process that closes them itself (close_range in
 * a daemon) is not: the shim should keep the agent's calls off them.
 *
 * Functions return 0 or a negative errno unless said otherwise.
 */
#ifndef FLEETGUARD_AUDIT_H
#define FLEETGUARD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fg_audit_fsync { FG_AUDIT_FSYNC_BATCH = 0, FG_AUDIT_FSYNC_ALWAYS, FG_AUDIT_FSYNC_NEVER };

struct fg_audit_conf {
	const char *path;        /* the log; its directory is created (0700) if missing */
	bool canonical;          /* path's directory is canonical already (sealed so:
				  * policy/seal.h): not resolved again */
	enum fg_audit_fsync fsync;
	const char *key_file;    /* NULL: plain SHA-256; else HMAC-SHA256 with this key */
	uint64_t max_size;       /* rotate when the log would exceed this; 0 = never */
	const char *agent;       /* "agent" field of every record */
	const char *exe;         /* "exe" field of every record */
	/* Added for the audit daemon (NULL / 0: defaults): where it keeps its
	 * signing key and witness file, the witnesses of its checkpoints,
	 * where it forwards records, and records per checkpoint. */
	const char *state_dir;
	const char *witness;
	const char *forward;
	unsigned checkpoint_every;
	/* The daemon's own user (its uid daemon_uid), or NULL: the spawner's.
	 * Only root starts a daemon as another user; a client accepts a
	 * daemon run by that uid. */
	const char *daemon_user;
	long daemon_uid;
	/* fg_audit_open_remote only: send the hello without waiting for its
	 * answer (see fg_auditc_attach); a refusal comes back from the next
	 * append. */
	bool owe_hello;
	/* fg_audit_open_client only: the hello also registers this process
	 * as one the daemon must outlive, as fg_auditd_ensure() does: for a
	 * process about to confine itself, so that it needs no second
	 * connection (and no second wait) for that. */
	bool root;
	/* fg_audit_open_client only: when a daemon answers the connect, the
	 * answer to the hello is read by fg_audit_settle(), which the caller
	 * must call before its first record (it works meanwhile instead of
	 * waiting a round trip); a refusal is dealt with there. */
	bool settle_later;
	/* fg_audit_open_client only: this process serves agents without
	 * being one (fleetguard-gateway): its connection does not keep a
	 * lingering daemon from making way for a spawner with other settings,
	 * and that daemon hangs it up when it goes (fg_audit_daemon_gone). */
	bool follower;
	/* a connection handed over by the image before this one, and the
	 * answers owed on it (FG_AUDIT_HANDOVER_ENV); handed_fd < 3: none */
	int handed_fd, handed_owed;
};

enum fg_audit_ftype {
	FG_AF_STR = 0,   /* s, len: bytes written as a JSON string (non-UTF-8 escaped) */
	FG_AF_INT,       /* i: JSON integer */
	FG_AF_OCT,       /* i: written as a JSON string of octal digits, e.g. "0644" */
	FG_AF_STRV,      /* v: NULL-terminated array of strings, a JSON array */
	FG_AF_NULL,      /* JSON null */
};

struct fg_audit_field {
	const char *key;
	enum fg_audit_ftype type;
	const char *s;
	size_t len;
	int64_t i;
	const char *const *v;
};

struct fg_audit_rec {
	const char *op;                    /* "open", "connect", "start", ... */
	const struct fg_audit_field *f;    /* operands, written in this order */
	size_t nf;
	const char *decision;              /* "allow" | "deny" | "report", or NULL (null) */
	const char *rule;                  /* "file:line" or NULL (null) */
	int result;                        /* 0, or an errno value written by name ("EACCES") */
	bool barrier;                      /* when append returns, this record and every one
					    * before it from this process are in the log (always
					    * so in process; a client of the daemon waits) */
	bool drain;                        /* with barrier: a barrier for the whole log, every
					    * record any process had sent before this one is in
					    * the log when append returns (the daemon drains
					    * every connection first: docs/AUDIT.md) */
	struct fg_audit_handover *handover; /* an exec's record: see below */
};

/*
 * An exec hands its connection to the daemon over to the image it starts:
 * the record goes down the connection without waiting (the new image's
 * records follow it on the same connection, so they cannot overtake it),
 * the descriptor loses close-on-exec, and its number and the answers
 * still owed on it reach the new image in FG_AUDIT_HANDOVER_ENV
 * ("<fd>:<owed>").  The new image checks the descriptor (a socket of this
 * user's daemon, connected to this log's socket) before it uses it, and
 * connects anew otherwise.  fd is -1 when nothing was handed over (the
 * record then waited, as a barrier).  After a failed exec,
 * fg_audit_handback() takes the connection back (or closes a vfork
 * child's).
 */
#define FG_AUDIT_HANDOVER_ENV "FLEETGUARD_AUDIT_FD"

struct fg_audit_handover {
	int fd;
	int owed;
	bool guest;             /* a vfork child's own connection */
};


struct fg_audit;

/* Attach to the log described by conf.  On error, a message naming the file
 * is written to err (size errlen).  Nothing is written to the log yet. */
int fg_audit_open(const struct fg_audit_conf *conf, struct fg_audit **out,
		  char *err, size_t errlen);

/* Append one record to the chain.  Thread-safe; after fork() the child keeps
 * appending to the same chain.  On failure (disk full, I/O error) returns the
 * negative errno and nothing partial stays unrepaired.  A client of the audit
 * daemon may return a positive errno: this record is in the log, but an
 * earlier, pipelined record of this process could not be written (the caller
 * must say so: its call has already gone ahead). */
int fg_audit_append(struct fg_audit *a, const struct fg_audit_rec *r);

/* Flush a pending batch fsync.  Safe to call at exit. */
int fg_audit_flush(struct fg_audit *a);
/* A client of the daemon: wait until every record any process sent so far
 * is in the log (docs/AUDIT.md), without a disk sync; 0 for a writer.
 * Returns 0 or the first failure (positive: a record sent earlier). */
int fg_audit_barrier(struct fg_audit *a);

void fg_audit_close(struct fg_audit *a);
/* Take back a connection handed over for an exec that failed (above). */
void fg_audit_handback(struct fg_audit *a, struct fg_audit_handover *h);
/* fg_audit_close without the flush, for a caller whose last record waited
 * for its answer (.barrier): its records are in the log, and waiting for
 * the daemon's disk sync on top cost every launch a sync. */
void fg_audit_close_sent(struct fg_audit *a);

/* A client of the daemon only, on the connection this process made and
 * with no other answer owed (but its hello's, when fg_audit_settle is
 * still to come: the daemon appends while the caller works, and settle
 * says whether r must be sent again): send r as a record that waits (.barrier) but
 * read its answer later, with fg_audit_owed_wait(), which returns the
 * record's failure (or 0) once the daemon answered: the caller works
 * while the daemon appends (a launcher builds its Landlock ruleset). */
int fg_audit_append_owed(struct fg_audit *a, const struct fg_audit_rec *r);
int fg_audit_owed_wait(struct fg_audit *a);

/*
 * fleetguard run's launcher, a client of the daemon: open its tree's pool
 * at FG_AUDIT_POOL_FD, open across exec.  The daemon keeps spare
 * connections queued on it; a process of the tree that needs a new
 * connection (a vfork child about to exec, a fork child) takes one instead
 * of connecting, a connect that the seccomp floor's supervisor would
 * otherwise trap (docs/AUDIT.md, "Spare connections").  Any failure leaves
 * the tree connecting as before.
 */
#define FG_AUDIT_POOL_FD 1020
int fg_audit_pool_open(struct fg_audit *a);
/* fd holds a socket connected to this log's daemon (the pool, in a tree
 * that has one): bulk closes in the shim leave it open. */
bool fg_audit_is_pool(struct fg_audit *a, int fd);

/* A client of the daemon only: a new connection for the image this
 * process is about to exec (a launcher's child, before a seccomp filter
 * would trap its connect), its hello sent and owed, open across the exec;
 * h says which (the caller puts it into FG_AUDIT_HANDOVER_ENV, and the
 * image adopts it, checked, as after any exec). */
int fg_audit_handover_new(struct fg_audit *a, struct fg_audit_handover *h);

/* The files this writer owns (log, segments' directory prefix, head or lock
 * files): true if path (absolute, normalised) is one of them.  The shim
 * denies the agent's own calls on them. */
bool fg_audit_owns(const struct fg_audit *a, const char *path, size_t len);

/* Added by the audit module (not in the first contract):
 * true if path (absolute, normalised, trailing slashes ignored) is a
 * directory on the way to the log ("/", ..., the log's own directory), so
 * renaming or removing it would move the writer's files away.  The shim
 * denies the agent's rename, rmdir and similar calls on these. */
bool fg_audit_owns_below(const struct fg_audit *a, const char *path, size_t len);

/* The log's canonical absolute path (its directory resolved at open). */
const char *fg_audit_path(const struct fg_audit *a);

/* --- the audit daemon (kernel enforcement) --------------------------------
 *
 * A process about to confine itself with Landlock, whose domain will hold
 * no right on the log's directory, first calls fg_auditd_ensure() with a
 * writer attached to the log: unless a daemon already serves the log, it
 * forks one (outside the domain to come) that appends for every confined
 * process, and registers the caller as a process the daemon must outlive.
 * Confined processes then attach with fg_audit_open_remote(): their
 * fg_audit_append() sends the record over <log>.sock; the daemon stamps
 * pid and uid from the kernel.  With fsync = always each append waits for
 * its record to be in the log; otherwise it returns once the record is
 * sent, and a failure the daemon reports comes back from the next append
 * or fg_audit_flush() (which waits for everything sent). */
int fg_auditd_ensure(struct fg_audit *a, const char *agent, const char *exe, char *err,
		     size_t errlen);
int fg_audit_open_remote(const struct fg_audit_conf *conf, struct fg_audit **out,
			 char *err, size_t errlen);
/* Without kernel enforcement (library only) the daemon is still the only
 * writer: fg_audit_open_client() attaches like fg_audit_open_remote() but
 * first starts a daemon (fg-auditd, exec'd) when none serves the log.  The
 * process then holds no descriptor of the log, only its connection. */
int fg_audit_open_client(const struct fg_audit_conf *conf, struct fg_audit **out,
			 char *err, size_t errlen);
/* The hello of fg_audit_open_client(settle_later) answered, the daemon
 * started or replaced if it refused.  0; 1 when the hello was refused and
 * a record sent behind it (fg_audit_append_owed) went with the refused
 * connection: send it again on the new one; or the failure with err. */
int fg_audit_settle(struct fg_audit *a, char *err, size_t errlen);
/* A client's daemon hung up its connection: it crashed, or it made way for
 * a spawner with other settings and let its followers go (.follower). */
bool fg_audit_daemon_gone(const struct fg_audit *a);

/* What the daemon serving conf's log says of its witnesses and forwarder,
 * one line each, into out.  Returns the daemon's pid, or -ECONNREFUSED /
 * -ENOENT when none serves the log. */
int fg_audit_daemon_status(const struct fg_audit_conf *conf, char *out, size_t cap);

/* "EACCES" for EACCES; "E<number>" for unknown values. */
const char *fg_errno_name(int err);

/* SHA-256 of a file's contents as 64 lower-case hex digits plus NUL. */
int fg_sha256_file(const char *path, char hex[65]);
/* The same of n bytes at p (no libcrypto: audit/sha256.c). */
void fg_sha256_bytes(const void *p, size_t n, char hex[65]);

#endif /* FLEETGUARD_AUDIT_H */
