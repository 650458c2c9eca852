/* wire.h - the messages between the audit daemon and its clients.
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
 * Wire (one host, native byte order; every message is one packet of a
 * SOCK_SEQPACKET UNIX socket, <log>.sock):
 *
 *   hello   'H' u8 flags(ROOT|FOLLOW)  cstr agent  cstr exe
 *           [u8 fsync  u64 max_size  cstr key file]  [record]  -> answer
 *           (a record, 'R' and its body, may follow in the same message,
 *           as after a rename: a vfork child's exec record rides with the
 *           hello of the connection it hands to the new image)
 *           (when given, key file and max_size must be the daemon's own:
 *           one log, one chain; with fsync = always each of the client's
 *           records is synced before its answer; FOLLOW: a process
 *           that serves agents without being one, the gateway: it does
 *           not keep the daemon from making way for other settings, is
 *           hung up when it does, and is never registered as a root)
 *   record  'R' u8 flags(SYNC, DRAIN)  i32 result  cstr op  cstr decision
 *           cstr rule  u16 nf  nf x { u8 type  cstr key  value }
 *                                          -> answer if SYNC or failed
 *           (SYNC|DRAIN: before the record and its answer the daemon
 *           appends every message queued on any connection, accepted or
 *           not, and every ring entry; an 'E' before the answer tells of
 *           a record of another connection that failed since the last
 *           such answer: docs/AUDIT.md)
 *   flush   'F'                            -> answer
 *   barrier 'B'                            -> answer ('F' without the
 *           disk sync, and with the 'E' of SYNC|DRAIN below: the end of a
 *           process that waits for no exit record, docs/AUDIT.md)
 *   renamed 'N' cstr agent  cstr exe  [record]  -> answer
 *           (after the hello only: the process exec'd a new image on
 *           the connection its old image handed over; the new image's
 *           first record, 'R' and its body, may follow in the same
 *           message: one send and one wake-up of the daemon fewer)
 *   status  'S'                            -> answer, then one packet of
 *                                             text (the daemon's witnesses)
 *   ring    'M' + a memfd (SCM_RIGHTS)     -> answer
 *           (after the hello, from the process that said it: from here
 *           on its pipelined records go through the ring below)
 *   doorbell 'D'                           (the daemon may be asleep: look
 *                                           at the ring)
 *   wait    'W'                            -> answer once the ring is empty
 *   pool    'P'                            (a connection's first message,
 *           from fleetguard run's launcher: the connection becomes its
 *           tree's pool.  The daemon keeps FG_AUDITW_POOL_SPARES spares
 *           queued on it: each a packet 'C' carrying (SCM_RIGHTS) one end
 *           of a socket pair whose other end it serves as a connection
 *           not greeted yet; a spare's first message, or its end, makes it
 *           queue another.  Nothing may come up a pool: it ends it.)
 *
 * The ring: FG_AUDITW_RING_MAP bytes of a memfd sealed against shrinking,
 * mapped by the client and the daemon.  The client appends entries
 * (u32 length, then an 'R' message without SYNC, byte-wrapped modulo
 * FG_AUDITW_RING_DATA) and publishes them by advancing head with a
 * compare-and-swap; the daemon copies each entry out before reading it,
 * advances tail, and on closing the connection sets FG_AUDITW_RING_CLOSED
 * in head with a compare-and-swap too, so that an entry is either seen by
 * its last drain or refused to the client (which sends it again on a new
 * connection).  Everything in the ring is the client's to scribble on:
 * the daemon keeps its own tail and bounds-checks every length, and a bad
 * entry ends that connection only.  Before any message on the socket the
 * daemon drains the ring, so a message never overtakes a record.  A
 * daemon about to sleep sets `sleeping` and wakes within
 * FG_AUDITW_RING_NAP_MS anyway (up to FG_AUDITW_RING_NAP_MAX_MS while its
 * rings stay empty); a client rings the doorbell ('D') only when the
 * records waiting reach FG_AUDITW_RING_BELL bytes.
 *   answer  'A' | 'E' (a failed record sent without SYNC)  i32 -errno
 *
 *   cstr  u32 length with the NUL (0: NULL), the bytes, NUL
 *   value STR: u32 length (UINT32_MAX: NULL) and bytes; INT, OCT: i64;
 *         STRV: u16 count, count x cstr; NULL: nothing
 *
 * Nothing here needs libcrypto: the client side of audit/ (wire.c,
 * client.c) links without it.  Functions return 0 or a negative errno.
 */
#ifndef FLEETGUARD_AUDIT_WIRE_H
#define FLEETGUARD_AUDIT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "audit/audit.h"
#include "audit/record.h"

#define FG_AUDITW_MSG_MAX FG_AUDIT_LINE_MAX
#define FG_AUDITW_ROOT 1
#define FG_AUDITW_FOLLOW 2
#define FG_AUDITW_POOL_SPARES 4
#define FG_AUDITW_SYNC 1
#define FG_AUDITW_DRAIN 2
#define FG_AUDITW_MAX_FIELDS 32
#define FG_AUDITW_MAX_STRV 4096

#define FG_AUDITW_RING_OFF 4096
#define FG_AUDITW_RING_DATA (128 * 1024)
#define FG_AUDITW_RING_MAP (FG_AUDITW_RING_OFF + FG_AUDITW_RING_DATA)
#define FG_AUDITW_RING_CLOSED (1ULL << 63)
/* A sleeping daemon looks at its rings at least this often, so a client
 * rings the doorbell only once a quarter of its ring is full (docs/AUDIT.md,
 * "The doorbell"). */
#define FG_AUDITW_RING_NAP_MS 10
#define FG_AUDITW_RING_NAP_MAX_MS 80
#define FG_AUDITW_RING_BELL (FG_AUDITW_RING_DATA / 4)

/* The ring's first page (the entries start at FG_AUDITW_RING_OFF). */
struct fg_auditw_ring {
	uint64_t head;          /* bytes published by the client (+ CLOSED) */
	char pad1[56];
	uint64_t tail;          /* bytes the daemon has taken */
	char pad2[56];
	uint32_t sleeping;      /* the daemon may sleep: ring the doorbell */
	uint32_t errs;          /* 'E' answers the daemon sent for ring records */
};

/* A UNIX address for path; a path longer than sun_path goes through an
 * O_PATH descriptor of its directory (*dirfd, to close after use). */
int fg_auditw_sock_addr(const char *path, struct sockaddr_un *sa, socklen_t *len, int *dirfd);

/* An output buffer: writes past cap set over and are dropped. */
struct fg_auditw_out {
	char *p;
	size_t len, cap;
	bool over;
};

void fg_auditw_put(struct fg_auditw_out *b, const void *s, size_t n);
void fg_auditw_put_u8(struct fg_auditw_out *b, uint8_t v);
void fg_auditw_put_cstr(struct fg_auditw_out *b, const char *s);

/* 'R' message for r; -EINVAL for a record the wire cannot carry, -E2BIG. */
int fg_auditw_encode_rec(struct fg_auditw_out *b, const struct fg_audit_rec *r, bool sync);

/* An input buffer: reads past len set bad and return NULL. */
struct fg_auditw_in {
	const char *p;
	size_t len, off;
	bool bad;
};

const void *fg_auditw_take(struct fg_auditw_in *b, size_t n);
/* A NUL-terminated string without NULs inside, or NULL (also on error). */
const char *fg_auditw_get_cstr(struct fg_auditw_in *b, bool *null);

struct fg_auditw_rec {
	struct fg_audit_rec rec;
	struct fg_audit_field f[FG_AUDITW_MAX_FIELDS];
	const char *v[FG_AUDITW_MAX_STRV + FG_AUDITW_MAX_FIELDS];
	bool sync;
	bool drain;            /* with sync: the whole log's barrier */
};

/* The body of an 'R' message (after the kind byte), pointing into b;
 * -EBADMSG for anything the library would not send. */
int fg_auditw_decode_rec(struct fg_auditw_in *b, struct fg_auditw_rec *d);

#endif /* FLEETGUARD_AUDIT_WIRE_H */
