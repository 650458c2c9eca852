/* witness.h - delivers checkpoints to their witnesses, records to a collector.
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
 * One thread per daemon does all delivery, so that a slow or unreachable
 * witness never holds up an append.  What cannot be delivered waits in a
 * bounded queue and is tried again every second; the state of every
 * witness shows in fg_wit_status().
 *
 * The witness list is words separated by commas or blanks:
 *   file             the default witness file (<state>/audit/<log>.witness)
 *   file:PATH        another file
 *   syslog           syslog(3), LOG_AUTHPRIV
 *   journald[:SOCK]  the journal's native protocol (default socket
 *                    /run/systemd/journal/socket)
 *   https://URL      a POST of each checkpoint as JSON to a collector,
 *                    its certificate checked against the system roots
 *   ca:/PATH         a PEM file of CAs trusted beside the system roots
 *                    for every https witness of the list
 * With no list: file, and syslog when /dev/log exists.
 * forward = syslog+tcp://HOST:PORT sends every record as an RFC 5424
 * message (APP-NAME fg-auditd, MSGID audit, the record as MSG) with
 * octet-counted framing (RFC 6587).
 */
#ifndef FLEETGUARD_AUDIT_WITNESS_H
#define FLEETGUARD_AUDIT_WITNESS_H

#include <stddef.h>

struct fg_wit;

/* How https witnesses are delivered (fg_https_post() in https.c), given
 * by the program that links libssl before fg_wit_open(): the library that
 * agents load never does, and a list with an https witness is refused
 * (-EINVAL) where none was given. */
typedef int fg_wit_https_fn(const char *url, const char *ca, const char *body, char *err,
			    size_t errlen);
void fg_wit_set_https(fg_wit_https_fn *fn);

/* -EINVAL with a message naming the bad entry. */
int fg_wit_open(const char *list, const char *default_file, const char *forward,
		struct fg_wit **out, char *err, size_t errlen);
/* Queue a checkpoint line for every witness. */
void fg_wit_send(struct fg_wit *w, const char *line);
/* Queue a record (with its newline) for the collector, if any. */
void fg_wit_forward(struct fg_wit *w, const char *line, size_t len);
void fg_wit_status(struct fg_wit *w, char *out, size_t cap);
/* Give delivery up to wait_ms, then stop and free. */
void fg_wit_close(struct fg_wit *w, int wait_ms);

#endif /* FLEETGUARD_AUDIT_WITNESS_H */
