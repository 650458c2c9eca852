/* auditconf.h - the audit writer's settings from a loaded policy.
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
 * The one place where the policy's [audit] section meets audit/'s
 * configuration (neither module knows the other): used by the shim's
 * constructor, the Landlock glue and `fleetguard run`.
 */
#ifndef FLEETGUARD_AUDITCONF_H
#define FLEETGUARD_AUDITCONF_H

#include "audit/audit.h"
#include "policy/policy.h"

static inline struct fg_audit_conf fg_audit_conf_of(const struct fg_policy *p, const char *agent,
						    const char *exe)
{
	struct fg_audit_conf conf = {
		.path = p->audit.log,
		.canonical = p->audit.log_canonical,
		.fsync = p->audit.fsync == FG_FSYNC_ALWAYS ? FG_AUDIT_FSYNC_ALWAYS :
			 p->audit.fsync == FG_FSYNC_NEVER ? FG_AUDIT_FSYNC_NEVER :
			 FG_AUDIT_FSYNC_BATCH,
		.key_file = p->audit.key_file,
		.max_size = p->audit.max_size,
		.agent = agent,
		.exe = exe,
		.state_dir = p->audit.state_dir,
		.witness = p->audit.witness,
		.forward = p->audit.forward,
		.checkpoint_every = p->audit.checkpoint_every,
		.daemon_user = p->audit.daemon_user,
		.daemon_uid = p->audit.daemon_uid,
	};

	return conf;
}

#endif /* FLEETGUARD_AUDITCONF_H */
