/* witness.c - sends checkpoints to witnesses and records to a collector, retrying.
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
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit/daemon.h"
#include "audit/wire.h"
#include "audit/witness.h"

#define MAX_SINKS 8
#define SINK_QUEUE 1024
#define FWD_QUEUE 65536
#define RETRY_MS 1000
#define JOURNAL_SOCK "/run/systemd/journal/socket"

enum kind { W_FILE, W_SYSLOG, W_JOURNALD, W_HTTPS };

/* set by the program that links libssl (fg-auditd): https.c */
static fg_wit_https_fn *https_post;

void fg_wit_set_https(fg_wit_https_fn *fn)
{
	https_post = fn;
}

/* A ring of owned strings; full: the oldest goes (and is counted). */
struct queue {
	char **v;
	size_t cap, head, n;
	uint64_t dropped;
};

struct sink {
	enum kind kind;
	char target[PATH_MAX];
	const char *ca;        /* https: the list's ca:/PATH, or "" */
	struct queue q;
	int fd;
	uint64_t sent;
	bool failing;
	char err[160];
	char detail[160];      /* what deliver() said went wrong, if more than errno */
	int64_t retry_at;
};

struct fwd {
	bool on;
	char spec[300], host[256], port[16], hostname[256];
	struct queue q;
	int fd;
	uint64_t sent;
	bool failing;
	char err[128];
	int64_t retry_at;
};

struct fg_wit {
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	int64_t deadline;
	struct sink s[MAX_SINKS];
	size_t n;
	struct fwd f;
	char ca[PATH_MAX];     /* ca:/PATH: trusted beside the system roots */
};

static int64_t now_ms(void)
{
	return fg_audit_now_ns(CLOCK_MONOTONIC) / 1000000;
}

static int q_init(struct queue *q, size_t cap)
{
	q->v = calloc(cap, sizeof(*q->v));
	q->cap = cap;
	return q->v ? 0 : -ENOMEM;
}

static void q_push(struct queue *q, char *s)
{
	if (!s) {
		q->dropped++;
		return;
	}
	if (q->n == q->cap) {
		free(q->v[q->head]);
		q->head = (q->head + 1) % q->cap;
		q->n--;
		q->dropped++;
	}
	q->v[(q->head + q->n) % q->cap] = s;
	q->n++;
}

static void q_pop(struct queue *q)
{
	free(q->v[q->head]);
	q->v[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

static void q_free(struct queue *q)
{
	while (q->n)
		q_pop(q);
	free(q->v);
}

/* --- delivery (the thread, without the lock) ------------------------------- */

static int to_file(struct sink *s, const char *line)
{
	size_t n = strlen(line);
	char buf[1024];

	if (s->fd < 0) {
		s->fd = open(s->target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (s->fd < 0)
			return -errno;
	}
	if (n + 1 >= sizeof(buf))
		return -E2BIG;
	memcpy(buf, line, n + 1);
	buf[n++] = '\n';
	if (write(s->fd, buf, n) != (ssize_t)n || fdatasync(s->fd) < 0) {
		int r = errno ? -errno : -EIO;
		close(s->fd);
		s->fd = -1;
		return r;
	}
	return 0;
}

static int to_syslog(const char *line)
{
	static bool opened;

	/* syslog(3) says nothing of a message it could not deliver: with no
	 * /dev/log it is not delivered, and the witness is reported failing */
	if (access("/dev/log", W_OK) < 0)
		return -errno;
	if (!opened) {
		openlog("fg-auditd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		opened = true;
	}
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line);
	return 0;
}

static int to_journald(struct sink *s, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[1024];
	int n;

	if (strlen(s->target) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, s->target);
	n = snprintf(msg, sizeof(msg),
		     "MESSAGE=%s\nSYSLOG_IDENTIFIER=fg-auditd\nSYSLOG_FACILITY=10\nPRIORITY=5\n", line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -E2BIG;
	if (s->fd < 0) {
		s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s->fd < 0)
			return -errno;
	}
	if (sendto(s->fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) != n)
		return -errno;
	return 0;
}

/* The checkpoint as one JSON object: its fields (seq and from as
 * numbers) and the signed line itself, which is what verifies. */
static int ckpt_json(const char *line, char *out, size_t cap)
{
	struct fg_auditw_out b = { out, 0, cap, false };
	const char *p = strstr(line, " v1 ");

	fg_auditw_put(&b, "{", 1);
	for (p = p ? p + 4 : line + strlen(line); *p;) {
		size_t n = strcspn(p, " "), k = strcspn(p, "=");
		bool num = (k == 3 && !strncmp(p, "seq", 3)) || (k == 4 && !strncmp(p, "from", 4));

		if (k < n) {
			fg_auditw_put(&b, "\"", 1);
			fg_auditw_put(&b, p, k);
			fg_auditw_put(&b, num ? "\":" : "\":\"", num ? 2 : 3);
			fg_auditw_put(&b, p + k + 1, n - k - 1);
			fg_auditw_put(&b, num ? "," : "\",", num ? 1 : 2);
		}
		p += n + (p[n] == ' ');
	}
	fg_auditw_put(&b, "\"line\":\"", 8);
	for (p = line; *p; p++) {
		if (*p == '"' || *p == '\\')
			fg_auditw_put(&b, "\\", 1);
		fg_auditw_put(&b, p, 1);
	}
	fg_auditw_put(&b, "\"}", 3);
	fg_auditw_put_u8(&b, 0);
	return b.over ? -E2BIG : 0;
}

static int to_https(struct sink *s, const char *line)
{
	char body[4096];
	int r = ckpt_json(line, body, sizeof(body));

	if (r < 0)
		return r;
	return https_post(s->target, s->ca, body, s->detail, sizeof(s->detail));
}

static int deliver(struct sink *s, const char *line)
{
	s->detail[0] = '\0';
	switch (s->kind) {
	case W_FILE:
		return to_file(s, line);
	case W_SYSLOG:
		return to_syslog(line);
	case W_JOURNALD:
		return to_journald(s, line);
	case W_HTTPS:
		return to_https(s, line);
	}
	return -EINVAL;
}

static int fwd_connect(struct fwd *f)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { 5, 0 };
	int fd = -1, r;

	r = getaddrinfo(f->host, f->port, &hints, &res);
	if (r != 0)
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		r = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return r < 0 ? r : -ECONNREFUSED;
	f->fd = fd;
	return 0;
}

/* One record as an octet-counted RFC 5424 message: <85> is authpriv.notice
 * (facility 10 * 8 + severity 5; <86> was authpriv.info, below what a
 * collector selecting authpriv.notice keeps). */
static int fwd_one(struct fwd *f, const char *rec)
{
	char msg[FG_AUDIT_LINE_MAX + 512], ts[40];
	struct timespec now;
	struct tm tm;
	size_t rl = strlen(rec);
	int h, n;

	if (rl && rec[rl - 1] == '\n')
		rl--;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	h = snprintf(msg + 16, sizeof(msg) - 16, "<85>1 %s.%06ldZ %s fg-auditd %d audit - ", ts,
		     now.tv_nsec / 1000, f->hostname, (int)getpid());
	if (h < 0 || (size_t)h + rl + 16 >= sizeof(msg))
		return -E2BIG;
	snprintf(msg + 16 + h, sizeof(msg) - 16 - (size_t)h, "%.*s", (int)rl, rec);
	n = snprintf(ts, sizeof(ts), "%zu ", (size_t)h + rl);
	memcpy(msg + 16 - n, ts, (size_t)n);
	for (size_t off = 0, len = (size_t)n + (size_t)h + rl; off < len;) {
		ssize_t w = send(f->fd, msg + 16 - n + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += (size_t)w;
	}
	return 0;
}

/* --- the thread ---------------------------------------------------------- */

static void note(bool *failing, char *err, size_t cap, int r, int64_t *retry_at,
		 const char *detail)
{
	*failing = r < 0;
	if (r < 0) {
		snprintf(err, cap, "%s", detail && detail[0] ? detail : strerror(-r));
		*retry_at = now_ms() + RETRY_MS;
	} else {
		err[0] = '\0';
	}
}

/* Deliver what one sink has waiting; false if it must wait to retry. */
static void run_sink(struct fg_wit *w, struct sink *s)
{
	while (s->q.n && (!s->failing || now_ms() >= s->retry_at)) {
		char *line = strdup(s->q.v[s->q.head]);
		int r;

		pthread_mutex_unlock(&w->mu);
		r = line ? deliver(s, line) : -ENOMEM;
		free(line);
		pthread_mutex_lock(&w->mu);
		note(&s->failing, s->err, sizeof(s->err), r, &s->retry_at, s->detail);
		if (r < 0)
			return;
		q_pop(&s->q);
		s->sent++;
	}
}

static void run_fwd(struct fg_wit *w, struct fwd *f)
{
	while (f->q.n && (!f->failing || now_ms() >= f->retry_at)) {
		char *rec = strdup(f->q.v[f->q.head]);
		int r;

		pthread_mutex_unlock(&w->mu);
		r = f->fd < 0 ? fwd_connect(f) : 0;
		if (r == 0 && rec)
			r = fwd_one(f, rec);
		else if (!rec)
			r = -ENOMEM;
		if (r < 0 && f->fd >= 0) {
			close(f->fd);
			f->fd = -1;
		}
		free(rec);
		pthread_mutex_lock(&w->mu);
		note(&f->failing, f->err, sizeof(f->err), r, &f->retry_at, NULL);
		if (r < 0)
			return;
		q_pop(&f->q);
		f->sent++;
	}
}

static bool all_sent(const struct fg_wit *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->s[i].q.n)
			return false;
	return !w->f.on || w->f.q.n == 0;
}

static void *wit_main(void *arg)
{
	struct fg_wit *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct timespec until;

		for (size_t i = 0; i < w->n; i++)
			run_sink(w, &w->s[i]);
		if (w->f.on)
			run_fwd(w, &w->f);
		if (w->stop && (all_sent(w) || now_ms() >= w->deadline))
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->cv, &w->mu, &until);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* --- set-up -------------------------------------------------------------- */

static int add_sink(struct fg_wit *w, enum kind kind, const char *target)
{
	struct sink *s;

	if (w->n == MAX_SINKS)
		return -E2BIG;
	s = &w->s[w->n];
	s->kind = kind;
	s->fd = -1;
	if (strlen(target) >= sizeof(s->target))
		return -ENAMETOOLONG;
	strcpy(s->target, target);
	if (q_init(&s->q, SINK_QUEUE) < 0)
		return -ENOMEM;
	w->n++;
	return 0;
}

/* One word of the list. */
static int add_word(struct fg_wit *w, const char *word, const char *deffile)
{
	if (strcmp(word, "file") == 0)
		return add_sink(w, W_FILE, deffile);
	if (strncmp(word, "file:", 5) == 0 && word[5] == '/')
		return add_sink(w, W_FILE, word + 5);
	if (strcmp(word, "syslog") == 0)
		return add_sink(w, W_SYSLOG, "");
	if (strcmp(word, "journald") == 0)
		return add_sink(w, W_JOURNALD, JOURNAL_SOCK);
	if (strncmp(word, "journald:", 9) == 0 && word[9] == '/')
		return add_sink(w, W_JOURNALD, word + 9);
	if (strncmp(word, "https://", 8) == 0 && word[8])
		return https_post ? add_sink(w, W_HTTPS, word) : -EPROTONOSUPPORT;
	if (strncmp(word, "ca:", 3) == 0 && word[3] == '/') {
		if (strlen(word + 3) >= sizeof(w->ca))
			return -ENAMETOOLONG;
		strcpy(w->ca, word + 3);
		return 0;
	}
	return -EINVAL;
}

static int parse_list(struct fg_wit *w, const char *list, const char *deffile, char *err,
		      size_t errlen)
{
	char word[PATH_MAX + 16];

	if (!list) {
		int r = add_sink(w, W_FILE, deffile);
		if (r == 0 && access("/dev/log", W_OK) == 0)
			r = add_sink(w, W_SYSLOG, "");
		return r;
	}
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ", \t");
		int r;

		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "witness '%.40s...': too long", p);
			return -EINVAL;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		r = add_word(w, word, deffile);
		if (r < 0) {
			snprintf(err, errlen,
				 "witness '%s': %s (expected file, file:/PATH, syslog, journald, journald:/SOCKET, https://URL or ca:/PATH)",
				 word, r == -EINVAL ? "unknown" : r == -EPROTONOSUPPORT ? "only fg-auditd delivers https" : strerror(-r));
			return -EINVAL;
		}
		p += n;
	}
	/* ca:/PATH anywhere in the list holds for every https witness */
	for (size_t i = 0; i < w->n; i++)
		w->s[i].ca = w->ca;
	return 0;
}

static int parse_forward(struct fwd *f, const char *spec, char *err, size_t errlen)
{
	const char *hp = spec + strlen("syslog+tcp://"), *colon;
	size_t hl;

	if (strncmp(spec, "syslog+tcp://", 13) != 0 || !(colon = strrchr(hp, ':')) ||
	    colon == hp || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5) {
		snprintf(err, errlen, "forward '%s': expected syslog+tcp://HOST:PORT", spec);
		return -EINVAL;
	}
	hl = (size_t)(colon - hp);
	if (hp[0] == '[' && hl >= 2 && hp[hl - 1] == ']') {
		hp++;
		hl -= 2;
	}
	if (hl >= sizeof(f->host) || strlen(spec) >= sizeof(f->spec)) {
		snprintf(err, errlen, "forward '%s': host name too long", spec);
		return -EINVAL;
	}
	memcpy(f->host, hp, hl);
	f->host[hl] = '\0';
	strcpy(f->port, colon + 1);
	strcpy(f->spec, spec);
	if (gethostname(f->hostname, sizeof(f->hostname)) < 0 || !f->hostname[0])
		strcpy(f->hostname, "-");
	f->hostname[sizeof(f->hostname) - 1] = '\0';
	f->fd = -1;
	f->on = true;
	return q_init(&f->q, FWD_QUEUE);
}

int fg_wit_open(const char *list, const char *default_file, const char *forward,
		struct fg_wit **out, char *err, size_t errlen)
{
	struct fg_wit *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	r = parse_list(w, list, default_file, err, errlen);
	if (r == 0 && forward && forward[0])
		r = parse_forward(&w->f, forward, err, errlen);
	if (r == 0) {
		r = -pthread_create(&w->th, NULL, wit_main, w);
		w->started = r == 0;
	}
	if (r < 0) {
		fg_wit_close(w, 0);
		return r;
	}
	*out = w;
	return 0;
}

void fg_wit_send(struct fg_wit *w, const char *line)
{
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->n; i++)
		q_push(&w->s[i].q, strdup(line));
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void fg_wit_forward(struct fg_wit *w, const char *line, size_t len)
{
	if (!w->f.on)
		return;
	pthread_mutex_lock(&w->mu);
	q_push(&w->f.q, strndup(line, len));
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static const char *kind_name(enum kind k)
{
	return k == W_FILE ? "file" : k == W_SYSLOG ? "syslog" : k == W_JOURNALD ? "journald" : "https";
}

void fg_wit_status(struct fg_wit *w, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->n && n < cap; i++) {
		const struct sink *s = &w->s[i];
		int k = snprintf(out + n, cap - n, "witness %s%s%s: %s%s%s, %llu sent, %zu waiting, %llu dropped\n",
				 kind_name(s->kind), s->target[0] ? " " : "", s->target,
				 s->failing ? "failing (" : "ok", s->failing ? s->err : "",
				 s->failing ? ")" : "", (unsigned long long)s->sent, s->q.n,
				 (unsigned long long)s->q.dropped);
		n += k > 0 ? (size_t)k : 0;
	}
	if (w->f.on && n < cap)
		snprintf(out + n, cap - n, "forward %s: %s%s%s, %llu sent, %zu waiting, %llu dropped\n",
			 w->f.spec, w->f.failing ? "failing (" : "ok", w->f.failing ? w->f.err : "",
			 w->f.failing ? ")" : "", (unsigned long long)w->f.sent, w->f.q.n,
			 (unsigned long long)w->f.q.dropped);
	pthread_mutex_unlock(&w->mu);
}

void fg_wit_close(struct fg_wit *w, int wait_ms)
{
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		w->deadline = now_ms() + wait_ms;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
	}
	for (size_t i = 0; i < w->n; i++) {
		q_free(&w->s[i].q);
		if (w->s[i].fd >= 0)
			close(w->s[i].fd);
	}
	if (w->f.on) {
		q_free(&w->f.q);
		if (w->f.fd >= 0)
			close(w->f.fd);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
