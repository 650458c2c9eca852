# examples/: the demo agent and its workspace.
#
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The fleetguard Authors
#
# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License. You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

EXTRA_DIST += examples/workspace/secrets/api_key.txt

# The sample policies, installed where fleetguard.ini(5) says: under
# $(docdir)/examples/policies (tests/integration/install.sh checks it with
# DESTDIR).
examplepoliciesdir = $(docdir)/examples/policies
dist_examplepolicies_DATA = examples/policies/coding-agent.ini \
	examples/policies/readonly-analysis.ini
exampleworkspacedir = $(docdir)/examples/workspace
dist_exampleworkspace_DATA = examples/workspace/fleetguard.ini examples/workspace/task.txt
examplenotesdir = $(docdir)/examples/workspace/notes
dist_examplenotes_DATA = examples/workspace/notes/README.txt
examplesdir = $(docdir)/examples
dist_examples_DATA = examples/agent.py examples/fleet_agent.py examples/llm_standin.py

TESTS += tests/integration/install.sh
EXTRA_DIST += tests/integration/install.sh
