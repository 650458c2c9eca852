/* cmd_learn.c - "fleetguard learn": runs a command with everything allowed
 * and recorded, then writes the policy that command needed.
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
 * The learning run goes through "fleetguard run" with a policy written into
 * a private temporary directory: [filesystem] enforce with read = / and
 * write = / carved around the deny trees of --policy BASE (so those stay
 * denied, by Landlock too, where the kernel has it), [network] report, and
 * its own audit log at events = all.  The log is verified and read once the
 * command and the audit daemon are gone; learn/ turns it into the policy.
 *
 * Exit status: 0 when the policy is written and the command exited 0; the
 * command's status (policy still written) when it did not; 1 when a policy
 * has problems; 2 on usage errors; 126 when the run cannot be made.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/verify.h"
#include "learn/learn.h"
#include "policy/policy.h"
#include "tools/tools.h"

struct learn_opts {
	const char *base, *output, *merge;
	char **cmd;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: %s learn [--policy BASE] [--merge FILE] --output FILE -- CMD [ARG...]\n"
		   "\n"
		   "Run CMD with every action allowed and recorded (BASE's deny trees stay\n"
		   "denied), then write the smallest policy that lets the same run through.\n"
		   "\n"
		   "  --policy BASE   keep BASE's deny trees, workspace root and agent id\n"
		   "  --merge FILE    extend the policy FILE instead of writing a new one\n"
		   "  --output FILE   where the policy goes (may be FILE of --merge)\n",
		fg_prog);
}

static void on_diag(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	if (line)
		fprintf(stderr, "%s:%u: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
}

static struct fg_policy *load(const char *path)
{
	struct fg_policy *p;

	if (fg_policy_load(path, &p, on_diag, NULL) != 0) {
		fprintf(stderr, "%s: '%s' has problems: fix them first (fleetguard check)\n", fg_prog, path);
		exit(1);
	}
	return p;
}

/* --- the learning policy ------------------------------------------------- */

/* p, or die naming what could not be made. */
static void *need(void *p, const char *what)
{
	if (p == NULL)
		die(126, "cannot make '%s': %s", what, strerror(errno));
	return p;
}

/* Is path in one of the trees left out (strictly: above one of them)? The
 * learning run's own directory is left out as well. */
static bool under_deny(const struct fg_path_list *d, const char *own, const char *path,
		       bool strictly)
{
	for (size_t i = 0; i <= d->n; i++) {
		const char *t = i < d->n ? d->v[i].path : own;
		const char *a = strictly ? path : t, *b = strictly ? t : path;

		if (fg_path_within(a, strlen(a), b, strlen(b)) && (!strictly || strcmp(a, b) != 0))
			return true;
	}
	return false;
}

/* "/" as write trees, leaving the deny trees out: each directory above a
 * deny tree is replaced by its entries.  Names with a comma cannot be
 * listed and stay out too. */
static void carve(FILE *f, const struct fg_path_list *deny, const char *own, const char *dir,
		  unsigned *n)
{
	struct dirent *de;
	DIR *d;

	if (under_deny(deny, own, dir, false))
		return;
	if (!under_deny(deny, own, dir, true)) {
		if (strchr(dir, ',') == NULL)
			fprintf(f, "%s%s", (*n)++ ? ", " : "", dir);
		return;
	}
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char child[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name);
		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
			carve(f, deny, own, child, n);
		else if (!under_deny(deny, own, child, false) && strchr(child, ',') == NULL)
			fprintf(f, "%s%s", (*n)++ ? ", " : "", child);
	}
	closedir(d);
}

static void learning_policy(const char *dir, const char *path, const char *log, const char *root,
			    const struct fg_policy *base)
{
	static const struct fg_path_list none;
	const struct fg_path_list *deny = base ? &base->fs.deny : &none;
	char *w = NULL;
	size_t wl = 0;
	FILE *f = need(fopen(path, "wex"), path), *ws = need(open_memstream(&w, &wl), path);
	unsigned n = 0;

	carve(ws, deny, dir, "/", &n);
	fclose(ws);
	fprintf(f, "; the policy of a learning run (fleetguard learn): everything allowed\n"
		   "; and recorded but the deny trees\n[workspace]\nroot = %s\n", root);
	if (base && base->agent_id)
		fprintf(f, "agent_id = %s\n", base->agent_id);
	fprintf(f, "[filesystem]\nmode = enforce\nsystem = yes\nread = /\nwrite = %s\n",
		wl < FG_POLICY_MAX_LINE - 16 ? w : "/");
	free(w);
	for (size_t i = 0; i < deny->n; i++)
		fprintf(f, "%s%s", i ? ", " : "deny = ", deny->v[i].path);
	fprintf(f, "%skernel = %s\nunconfined_exec = allow\n[network]\nmode = report\ndns = yes\n"
		   "[audit]\nlog = %s\nevents = all\nfsync = never\non_failure = deny\n",
		deny->n ? "\n" : "", base && base->fs.kernel == FG_KERNEL_OFF ? "off" : "auto", log);
	if (fclose(f) != 0)
		die(126, "cannot write the learning policy '%s': %s", path, strerror(errno));
}

/* --- the run ----------------------------------------------------------------- */

static int run_learning(const char *policy, char **cmd)
{
	int argc = 0, status = 0;
	char **argv;
	pid_t pid;

	while (cmd[argc])
		argc++;
	argv = need(calloc((size_t)argc + 5, sizeof(*argv)), "the command line");
	argv[0] = (char *)"run";
	argv[1] = (char *)"--policy";
	argv[2] = (char *)policy;
	argv[3] = (char *)"--";
	memcpy(argv + 4, cmd, (size_t)argc * sizeof(*argv));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die(126, "cannot fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fg_cmd_run(argc + 4, argv));
	free(argv);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* The audit daemon appends for the confined run: wait until it has gone,
 * so that the log is whole (it leaves 2 s after its last client). */
static void wait_daemon(const char *log)
{
	char sock[PATH_MAX + 32];
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	snprintf(sock, sizeof(sock), "%s.sock", log);
	for (int i = 0; i < 1200 && access(sock, F_OK) == 0; i++)
		nanosleep(&ts, NULL);
}

static void remove_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
			fprintf(stderr, "%s: cannot remove '%s/%s': %s\n", fg_prog, dir, de->d_name,
				strerror(errno));
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* The command as execvp finds it (run executes it before the library is
 * loaded, so the log does not name it). */
static void add_command(struct fg_learn *l, const char *name)
{
	const char *p = getenv("PATH"), *end;
	char cand[PATH_MAX];

	if (strchr(name, '/') != NULL) {
		if (fg_learn_add_exec(l, name) == -ENOMEM)
			die(126, "out of memory");
		return;
	}
	for (p = p ? p : "/bin:/usr/bin"; ; p = end + 1) {
		end = strchrnul(p, ':');
		snprintf(cand, sizeof(cand), "%.*s/%s", (int)(end - p), end > p ? p : ".", name);
		if (access(cand, X_OK) == 0) {
			if (fg_learn_add_exec(l, cand) == -ENOMEM)
				die(126, "out of memory");
			return;
		}
		if (*end == '\0')
			return;
	}
}

/* --- reading the log and writing the policy ------------------------------------ */

struct reader {
	struct fg_learn *l;
	int err;
};

static void on_record(void *arg, const char *file, uint64_t lineno, const char *line, size_t len)
{
	struct reader *r = arg;
	int rc = fg_learn_add(r->l, line, len);

	if (rc < 0 && r->err == 0) {
		fprintf(stderr, "%s: %s:%llu: %s\n", fg_prog, file, (unsigned long long)lineno,
			strerror(-rc));
		r->err = rc;
	}
}

static void read_log(const char *log, struct fg_learn *l)
{
	static struct fg_verify_result verdict;        /* read once per run */
	struct fg_verify_result *res = &verdict;
	struct reader r = { .l = l };
	struct fg_verify_opts vo = { .on_record = on_record, .arg = &r };
	char **files = NULL;
	size_t n = 0;
	int rc;

	rc = fg_verify_discover(log, 0, &files, &n, res);
	if (rc < 0)
		die(126, "the learning run left no audit log '%s': %s", log, strerror(-rc));
	rc = fg_verify_files((const char *const *)files, n, &vo, res);
	if (rc < 0)
		die(126, "cannot read the learning run's log '%s': %s", res->file, strerror(-rc));
	if (res->status != FG_VERIFY_INTACT)
		die(126, "the learning run's log does not verify: %s:%llu: %s", res->file,
		    (unsigned long long)res->line, fg_verify_reason(res->status));
	if (r.err < 0)
		die(126, "cannot learn from the log '%s'", log);
	free(files);
}

static char *read_text(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = need(fopen(path, "re"), path), *m = need(open_memstream(&buf, &len), path);
	char chunk[4096];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, k, m);
	fclose(f);
	fclose(m);
	return buf;
}

static char *command_text(char **cmd)
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	if (m == NULL)
		die(126, "out of memory");
	for (size_t i = 0; cmd[i]; i++)
		fprintf(m, "%s%s", i ? " " : "", cmd[i]);
	fclose(m);
	for (char *p = s; p && *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return s;
}

/* Write the learned policy next to the output, check it loads, then put it
 * in place. */
static void write_output(struct fg_learn *l, const struct fg_learn_out *o, const char *output)
{
	char tmp[PATH_MAX];
	struct fg_policy *p;
	FILE *f;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.learn-XXXXXX", output);
	rc = mkstemp(tmp);
	f = need(rc < 0 ? NULL : fdopen(rc, "w"), tmp);
	rc = fg_learn_write(l, o, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		die(126, "cannot write '%s': %s", output, strerror(-rc));
	}
	chmod(tmp, 0644);
	if (fg_policy_load(tmp, &p, on_diag, NULL) != 0) {
		fprintf(stderr, "%s: the learned policy does not load; left in '%s'\n", fg_prog, tmp);
		exit(1);
	}
	fg_policy_free(p);
	if (rename(tmp, output) != 0) {
		unlink(tmp);
		die(126, "cannot put '%s' in place: %s", output, strerror(errno));
	}
}

static void parse_args(int argc, char **argv, struct learn_opts *o)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "merge", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->base = optarg; break;
		case 'o': o->output = optarg; break;
		case 'm': o->merge = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (o->output == NULL || optind >= argc) {
		fprintf(stderr, "%s learn: %s\n", fg_prog,
			o->output == NULL ? "no --output FILE given" : "no command given");
		usage(stderr);
		exit(2);
	}
	o->cmd = argv + optind;
}

/* The workspace root: --merge's, else BASE's, else the output's directory. */
static char *pick_root(const struct fg_policy *merge, const struct fg_policy *base,
		       const char *output, char **outdir)
{
	char *abs = realpath(".", NULL), *d, *slash;

	if (abs == NULL || asprintf(&d, "%s%s%s", output[0] == '/' ? "" : abs,
				    output[0] == '/' ? "" : "/", output) < 0)
		die(126, "cannot find the current directory: %s", strerror(errno));
	free(abs);
	slash = strrchr(d, '/');
	*slash = '\0';
	abs = realpath(d[0] ? d : "/", NULL);
	if (abs == NULL)
		die(2, "the directory of '%s' does not exist", output);
	free(d);
	*outdir = abs;
	return strdup(merge ? merge->root : base ? base->root : abs);
}

int fg_cmd_learn(int argc, char **argv)
{
	struct learn_opts o = { 0 };
	struct fg_policy *base = NULL, *merge = NULL, *ref = NULL;
	char dir[PATH_MAX], pol[PATH_MAX + 16], log[PATH_MAX + 16], *root, *outdir, *rl = NULL;
	const char *tmp = getenv("TMPDIR");
	struct fg_learn_conf conf;
	struct fg_learn_stats st;
	struct fg_learn *l;
	int status;

	parse_args(argc, argv, &o);
	if (o.base)
		base = load(o.base);
	if (o.merge)
		merge = load(o.merge);
	root = pick_root(merge, base, o.output, &outdir);
	if (root == NULL)
		die(126, "out of memory");
	if (merge == NULL) {
		static const char ref_text[] = "[filesystem]\nsystem = yes\nwrite =\n";

		if (fg_policy_parse("/fleetguard-learn-reference.ini", ref_text, sizeof(ref_text) - 1,
				    &ref, on_diag, NULL) != 0)
			die(126, "the reference policy does not load");
	}
	snprintf(dir, sizeof(dir), "%s/fleetguard-learn.XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die(126, "cannot make a directory for the learning run: %s", strerror(errno));
	snprintf(pol, sizeof(pol), "%s/learn.ini", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	learning_policy(dir, pol, log, root, base ? base : merge);
	status = run_learning(pol, o.cmd);
	wait_daemon(log);
	conf = (struct fg_learn_conf){ .root = root, .home = getenv("HOME"), .ref = merge ? merge : ref };
	if (fg_learn_new(&conf, &l) < 0)
		die(126, "out of memory");
	read_log(log, l);
	add_command(l, o.cmd[0]);
	remove_dir(dir);
	if (merge == NULL && strcmp(root, outdir) != 0 && asprintf(&rl, "root = %s", root) < 0)
		die(126, "out of memory");
	{
		char *cmd = command_text(o.cmd), *text = o.merge ? read_text(o.merge) : NULL;
		struct fg_learn_out out = { .command = cmd, .merge_text = text, .root_line = rl,
					    .deny = merge == NULL && base ? &base->fs.deny : NULL };

		write_output(l, &out, o.output);
		free(cmd);
		free(text);
	}
	fg_learn_stats(l, &st);
	fprintf(stderr, "%s: wrote '%s': %zu read and %zu write trees, %zu network rules, %zu endpoint suggestions "
		"from %zu records (%zu actions on system files, %zu not learnable)\n", fg_prog, o.output,
		st.read_trees, st.write_trees, st.net_rules, st.endpoints, st.records, st.system, st.skipped);
	if (status != 0)
		fprintf(stderr, "%s: note: the command exited with status %d; what it did until then is learned\n",
			fg_prog, status);
	fg_learn_free(l);
	fg_policy_free(ref);
	fg_policy_free(base);
	fg_policy_free(merge);
	free(root);
	free(outdir);
	free(rl);
	return status;
}
