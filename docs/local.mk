# docs/: design and security notes.
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

dist_doc_DATA += docs/ARCHITECTURE.md docs/SECURITY.md docs/PERFORMANCE.md docs/BREAKER.md \
	docs/AUDIT.md docs/LEARN.md docs/TESTING.md
