/* daemon.h - audit/ internals between the writer (log.c), the audit daemon
 * (server.c, fg-auditd.c) and its client (client.c, wire.c).
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
 * Not part of the contract in audit.h.
 */
#ifndef FLEETGUARD_AUDIT_DAEMON_H
#define FLEETGUARD_AUDIT_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "audit/audit.h"
#include "audit/record.h"

/* How long a daemon with no live root and no client waits before it goes. */
#define FG_AUDITD_LINGER_MS 2000

/* Append r as if written by process pid with identity id (the daemon
 * stamps what the kernel told it about the sender). */
int fg_audit_append_as(struct fg_audit *a, const struct fg_rec_ident *id, pid_t pid,
		       const struct fg_audit_rec *r);

/* A batch of appends by one thread of the only writer (the daemon): the
 * chain is held from begin to end, the lines go out in one write at end
 * (fsync as for single appends).  add returns -EAGAIN when the batch is
 * full or the record must wait for a rotation, or the record's own error:
 * the caller then ends the batch and appends the record alone.  end
 * returns the failure of the whole batch (no line of it is in the chain
 * then, or a torn one that the next append repairs).  fg_audit_append*
 * in between fail with -EBUSY. */
int fg_audit_batch_begin(struct fg_audit *a);
int fg_audit_batch_add(struct fg_audit *a, const struct fg_rec_ident *id, pid_t pid,
		       const struct fg_audit_rec *r);
int fg_audit_batch_end(struct fg_audit *a);

/* Shared with the writer: a monotonic or real clock in nanoseconds, and a
 * long-lived descriptor moved above the numbers programs use (512, or half
 * a lower descriptor limit); the descriptor is kept if that fails. */
int64_t fg_audit_now_ns(clockid_t clk);
int fg_audit_high_fd(int fd);

/* The daemon's socket for the log a is attached to: "<log>.sock". */
void fg_audit_sock_path(const struct fg_audit *a, char *out, size_t cap);

/* The client: one connection per process, made again after fork. */
struct fg_auditc;

/* What a daemon and its clients must agree on: one log, one set of
 * [audit] settings, whichever policy started the daemon. */
struct fg_auditd_settings {
	int fsync;               /* enum fg_audit_fsync */
	uint64_t max_size;
	const char *keypath;     /* canonical key file, or "" / NULL for none */
	/* for the daemon only (a client does not claim them) */
	const char *state_dir;   /* signing key and witness file */
	const char *witness;     /* [audit] witness, NULL: the defaults */
	const char *forward;     /* [audit] forward, NULL: none */
	unsigned checkpoint_every; /* records per checkpoint, 0: the default */
	/* the daemon's own user and its uid, or NULL and -1: the spawner's;
	 * a client accepts a daemon run by that uid, and only root starts
	 * one as it */
	const char *daemon_user;
	long daemon_uid;
};

void fg_audit_settings(const struct fg_audit *a, struct fg_auditd_settings *out);

/* fdatasync the active segment now (a client whose policy says fsync =
 * always shares a daemon started with another mode). */
int fg_audit_sync(struct fg_audit *a);
/* fsync = batch: milliseconds until the records appended but not synced
 * yet are due (0: now), or -1 when none waits.  The audit daemon calls
 * fg_audit_sync_batch() when this reaches 0 (which syncs, or after a
 * failure waits 100 ms more), so no client has to wait for a sync to have
 * its records on disk within 100 ms. */
int fg_audit_sync_due_ms(struct fg_audit *a);
int fg_audit_sync_batch(struct fg_audit *a);

/* A client of the daemon at sockpath.  set: the settings the client's
 * policy gives; the daemon refuses a different key file or max_size
 * (-EINVAL); NULL claims none.  A daemon run by another user (not root)
 * is refused (-EPERM); a daemon other than the one first reached, later
 * (-ENOTRECOVERABLE). */
int fg_auditc_new(const char *sockpath, const char *agent, const char *exe,
		  const struct fg_auditd_settings *set, struct fg_auditc **out, char *err,
		  size_t errlen);
/* fg_auditc_new without waiting for the hello's answer: for a process
 * whose launcher started the daemon with the same settings.  A refused
 * hello comes back from the next append or flush, as the failure of the
 * records sent since (the daemon dropped them with the connection). */
int fg_auditc_attach(const char *sockpath, const char *agent, const char *exe,
		     const struct fg_auditd_settings *set, struct fg_auditc **out, char *err,
		     size_t errlen);
/* Take over the connection hand names (an exec's, audit.h), checking it
 * first; when it is not one, connect as fg_auditc_attach (a NULL) or
 * fg_auditc_start (a: the log's handle, to start a daemon for). */
int fg_auditc_adopt(const char *sockpath, const struct fg_audit *a, const char *agent,
		    const char *exe, const struct fg_auditd_settings *set,
		    const struct fg_audit_handover *hand, struct fg_auditc **out, char *err,
		    size_t errlen);
/* An exec's record, its connection handed to the next image (audit.h);
 * guest: a vfork child.  Returns like fg_auditc_append. */
int fg_auditc_handover(struct fg_auditc *c, const struct fg_audit_rec *r, bool guest,
		       struct fg_audit_handover *h);
void fg_auditc_handback(struct fg_auditc *c, struct fg_audit_handover *h);
/* The same for the log of handle a (paths and settings), starting a
 * daemon (fg_auditd_program()) when none answers; root: the hello also
 * registers the caller as a process the daemon must outlive (what
 * fg_auditd_ensure() does, on this one connection); owe: when a daemon
 * answers the connect, its answer to the hello is read later, by
 * fg_auditc_settle(), which the caller must call before it relies on the
 * daemon (the caller works meanwhile instead of waiting a round trip);
 * follow: the hellos say the caller follows agents without being one
 * (wire.h FG_AUDITW_FOLLOW). */
int fg_auditc_start(const char *sockpath, const struct fg_audit *a, const char *agent,
		    const char *exe, const struct fg_auditd_settings *set, bool root, bool owe,
		    bool follow, struct fg_auditc **out, char *err, size_t errlen);
/* The daemon hung up this process's connection (it crashed, or made way
 * for a daemon with other settings and let its followers go). */
bool fg_auditc_gone(const struct fg_auditc *c);
/* The answer to the hello fg_auditc_start(owe) sent; a refusal is dealt
 * with as fg_auditc_start deals with one it waited for (the daemon started
 * or replaced, for a), on a new connection.  0, 1 when a record sent
 * behind the hello (fg_auditc_append_owed) was lost with the refused
 * connection (send it again), or the failure with err. */
int fg_auditc_settle(struct fg_auditc *c, const struct fg_audit *a, char *err, size_t errlen);
/* Send one record.  sync: wait until it is in the log and return the
 * result; else return at once (a failure the daemon reports later comes
 * back from the next call).  guest: a vfork child, which must not touch
 * the parent's connection.  The caller serialises calls. */
int fg_auditc_append(struct fg_auditc *c, const struct fg_audit_rec *r, bool sync, bool guest);
/* The same for a caller that knows its pid (self: getpid()). */
int fg_auditc_append_from(struct fg_auditc *c, const struct fg_audit_rec *r, bool sync,
			  pid_t self, bool guest);
/* Wait until every record sent so far is in the log; the first failure. */
int fg_auditc_flush(struct fg_auditc *c);
/* Wait until every record any process sent so far is in the log (the
 * daemon drains every connection: 'B'), without the flush's disk sync;
 * the first failure, ours or one nobody else may have heard of. */
int fg_auditc_barrier(struct fg_auditc *c);
/* fg_audit_append_owed, fg_audit_owed_wait, fg_audit_handover_new
 * (audit.h) on the client. */
int fg_auditc_append_owed(struct fg_auditc *c, const struct fg_audit_rec *r);
int fg_auditc_owed_wait(struct fg_auditc *c);
int fg_auditc_handover_new(struct fg_auditc *c, struct fg_audit_handover *h);
int fg_auditc_pool_open(struct fg_auditc *c);
bool fg_auditc_is_pool(const struct fg_auditc *c, int fd);
void fg_auditc_free(struct fg_auditc *c);
/* How long a client waits for the daemon (connect, answers, a full send
 * buffer) before the append fails with -ETIMEDOUT; 30 s unless a test
 * sets it (<= 0: back to 30 s).  Applies to connections made after. */
void fg_auditc_set_timeout(int seconds);

/* Called by the writer, under the log's lock, after each record it
 * appended: its seq, hash (64 hex) and the line with its newline. */
typedef void fg_audit_tap_fn(void *arg, uint64_t seq, const char *hash, const char *line,
			     size_t len);
void fg_audit_set_tap(struct fg_audit *a, fg_audit_tap_fn *fn, void *arg);

/* A handle with the log's canonical paths and settings only (no
 * descriptor, no connection), to close with fg_audit_close(). */
int fg_audit_open_paths(const struct fg_audit_conf *conf, struct fg_audit **out, char *err,
			size_t errlen);

/* The fg-auditd program to exec: the build tree's when this code runs
 * from there, else the installed one. */
int fg_auditd_program(char *out, size_t cap);

/* The default state directory: $XDG_STATE_HOME/fleetguard, else
 * ~/.local/state/fleetguard (home from $HOME, else the password file). */
void fg_audit_default_state(char *out, size_t cap);

/* uid's home directory from the passwd file (the password database's
 * "files" source), into out, when the nsswitch file names "files" first
 * for passwd, so that getpwuid() would take the same entry from it; false
 * otherwise (no such entry, another source first, a line that is not
 * read the way glibc reads it), and the caller asks getpwuid(). */
bool fg_audit_passwd_home(const char *nsswitch, const char *passwd, uid_t uid, char *out,
			  size_t cap);

/* The daemon: serve the log a is a writer of on sockpath (dir: the log's
 * directory, locked while leaving), telling the ready pipe when it
 * listens; ck: checkpoints to sign (checkpoint.h), or NULL.  Returns
 * the exit status once it has no client left. */
struct fg_ckpt;
int fg_auditd_serve(struct fg_audit *a, const char *sockpath, const char *dir, int ready,
		    struct fg_ckpt *ck);

#endif /* FLEETGUARD_AUDIT_DAEMON_H */
