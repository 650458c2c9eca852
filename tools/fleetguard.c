/* fleetguard.c - the fleetguard command: dispatches to its subcommands.
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

#include <stdio.h>
#include <string.h>

#include "tools/tools.h"

struct fg_subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
};

static const struct fg_subcommand fg_subcommands[] = {
	{ "check", fg_cmd_check, "check [--json] FILE          validate a policy, print it expanded" },
	{ "run", fg_cmd_run, "run [--policy FILE] [--agent-id ID] [--report] -- CMD [ARG...]" },
	{ "status", fg_cmd_status, "status [--policy FILE] [--json|--prometheus]   circuit breaker state" },
	{ "breaker", fg_cmd_breaker, "breaker reset|open ENDPOINT  force a circuit's state" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: fleetguard <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(fg_subcommands) / sizeof(fg_subcommands[0]); i++)
		fprintf(out, "  fleetguard %s\n", fg_subcommands[i].synopsis);
	fprintf(out, "\n  fleetguard --help | --version\n\nsee fleetguard(1) and fleetguard.ini(5)\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("fleetguard %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(fg_subcommands) / sizeof(fg_subcommands[0]); i++) {
		if (strcmp(argv[1], fg_subcommands[i].name) == 0) {
			return fg_subcommands[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "fleetguard: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
