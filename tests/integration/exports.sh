#!/bin/bash
# exports.sh - the library exports exactly the interposed names listed in
# docs/ARCHITECTURE.md (so the list cannot drift), and nothing of inih,
# OpenSSL or our internals.
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
plan 3
make_ws
nm -D --defined-only "$FG_LIB" | awk '$2 ~ /^[TWVDBiu]$/ { print $3 }' | sed 's/@.*//' | sort -u > "$TMP/exported"
sed -n '/<!-- exports -->/,/<!-- \/exports -->/p' "$FG_TOP_SRCDIR/docs/ARCHITECTURE.md" |
	grep -o '^- `[^`]*`' | tr -d '` -' | sort -u > "$TMP/documented"
diag "exported but not documented:" $(comm -23 "$TMP/exported" "$TMP/documented")
diag "documented but not exported:" $(comm -13 "$TMP/exported" "$TMP/documented")
check "exported symbols are exactly the documented hooks" cmp -s "$TMP/exported" "$TMP/documented"
check "no inih symbol is exported" sh -c "! grep -q '^ini_' '$TMP/exported'"
check "no fleetguard internal is exported" sh -c "! grep -q '^fg_' '$TMP/exported'"
finish
