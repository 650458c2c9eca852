#!/bin/bash
# startup.sh - fail closed before main: no policy, a missing one, a broken one.
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
plan 6
make_ws

env -u FLEETGUARD_POLICY LD_PRELOAD="$FG_PRELOAD" true 2> "$TMP/err"
rc=$?
check "no FLEETGUARD_POLICY: exit 126" [ "$rc" -eq 126 ]
check "no FLEETGUARD_POLICY: says so" grep -q "^fleetguard: FLEETGUARD_POLICY is not set" "$TMP/err"

fg "$TMP/nope.ini" /bin/true 2> "$TMP/err"
rc=$?
check "missing policy file: exit 126" [ "$rc" -eq 126 ]
check "missing policy file: names it" grep -q "^fleetguard: $TMP/nope.ini" "$TMP/err"

printf '[filesystem]\nread = /usr\nwrtie = /tmp\n' > "$WS/bad.ini"
fg "$WS/bad.ini" "$PYTHON3" -c 'print("main ran")' > "$TMP/out" 2> "$TMP/err"
rc=$?
check "typo in a key: exit 126 before main" sh -c "[ $rc -eq 126 ] && [ ! -s '$TMP/out' ]"
check "typo in a key: file and line named" grep -q "^fleetguard: $WS/bad.ini:3: " "$TMP/err"
finish
