#!/bin/bash
# open_coreutils.sh - real coreutils under the library.
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
plan 7
make_ws
echo "inside" > "$WS/a.txt"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
INI

out=$(fg "$WS/fleetguard.ini" cat "$WS/a.txt")
check "cat reads a workspace file" [ "$out" = inside ]

fg "$WS/fleetguard.ini" cp "$WS/a.txt" "$WS/b.txt"
check "cp copies inside the workspace" cmp -s "$WS/a.txt" "$WS/b.txt"

fg "$WS/fleetguard.ini" cat /etc/shadow > /dev/null 2> "$TMP/err"
rc=$?
check "cat /etc/shadow exits 1 (not a crash)" [ "$rc" -eq 1 ]
check "cat reports Permission denied" grep -q "cat: /etc/shadow: Permission denied" "$TMP/err"
check "the shim's line comes first" sh -c "head -1 '$TMP/err' | grep -q '^fleetguard: denied open /etc/shadow'"
out=$(fg "$WS/fleetguard.ini" sh -c 'echo to-stderr > /dev/stderr; echo to-stdout > /dev/stdout' 2>&1 | sort | tr '\n' ' ')
check "writing to /dev/stdout and /dev/stderr by name works (pipes)" [ "$out" = "to-stderr to-stdout " ]
fg "$WS/fleetguard.ini" sh -c 'echo via-fd > /dev/fd/1' > "$WS/fd-out.txt" 2> "$TMP/err"
check "a file behind /dev/fd/1 is judged by its own path" grep -qx via-fd "$WS/fd-out.txt"
finish
