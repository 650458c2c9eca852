#!/bin/bash
# headers.sh - every source, build, script, page and document carries the
# Apache-2.0 notice (the LICENSE text itself aside), after a first line that
# says what the file is for.
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

. "$FG_TOP_SRCDIR/tests/lib.sh"
plan 2
make_ws
cd "$FG_TOP_SRCDIR" || exit 1
find . -path ./_build -prune -o -path './fleetguard-*' -prune -o -path ./autom4te.cache -prune \
	-o -path ./demo -prune -o -path ./build-aux -prune -o -path ./m4 -prune -o -type f \
	\( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' -o -name '*.mk' \
	-o -name 'Makefile.am' -o -name 'configure.ac' -o -name '*.md' -o -name '*.[15]' \
	-o -name '*.ini' -o -name quickstart -o -name run -o -name '.clang-tidy' \) -print |
	grep -v -e '^./tests/fuzz/corpus/' -e '^./config.h$' -e '^./shim/versions.h$' > "$TMP/files"
missing=$(xargs grep -L 'SPDX-License-Identifier: Apache-2.0' < "$TMP/files")
diag "without the notice:" $missing
check "every file carries the Apache-2.0 notice" [ -z "$missing" ]

# The first line (after a '#!' line) is a comment naming the file's job, not
# the notice: a reader meets the purpose first.
opens_with_purpose() {
	local first
	first=$(sed -n '/^#!/!{p;q}' "$1")
	case $first in
	(*SPDX*|'') return 1 ;;
	('/* '?*|'# '?*|'; '?*|'.\" '?*|'<!-- '?*) return 0 ;;
	(*) return 1 ;;
	esac
}
nopurpose=$(while read -r f; do opens_with_purpose "$f" || echo "$f"; done < "$TMP/files")
diag "not opening with a line on their job:" $nopurpose
check "every file opens with one line on its job, then the notice" [ -z "$nopurpose" ]
finish
