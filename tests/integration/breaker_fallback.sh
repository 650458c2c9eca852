#!/bin/bash
# breaker_fallback.sh - the library's own breaker (gateway = no) with fallbacks it cannot use on an IPv4 call: a host name, and an IPv6 literal.
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

# A fallback is used only when it is a literal address of the call's
# family.  A host name is announced once at start and never used; an IPv6
# literal ([::1]) cannot serve a call made on an IPv4 socket: while the
# circuit is open, such calls are refused at once (ECONNREFUSED) and the
# fallback server sees nothing.
. "$FG_TOP_SRCDIR/tests/lib.sh"
. "$FG_TOP_SRCDIR/tests/integration/breaker_lib.sh"
plan 8
make_ws
start_server
spawn_server "$TMP/fb"
FBPORT=$(cat "$TMP/fb/port")
URL="http://127.0.0.1:$PORT/v1/chat"
fb_requests() { if [ -f "$TMP/fb/requests" ]; then wc -l < "$TMP/fb/requests"; else echo 0; fi; }

# --- a host name as fallback ----------------------------------------------------
BK_THRESHOLD=1 BK_STATE="$TMP/state-name" BK_FALLBACK="localhost:$FBPORT" write_policy http
mode 503
client --count 3 "$URL"
check "host-name fallback: the open circuit refuses, no fallback" expect_outcomes "503 refused refused"
check "host-name fallback: said not to be used" \
	stderr_has "^fleetguard: fallback 'localhost' of endpoint llm is not a literal address; not used$"
check "host-name fallback: the fallback saw nothing" [ "$(fb_requests)" -eq 0 ]
check "host-name fallback: the refusal names the probe" \
	stderr_has "^fleetguard: circuit open for 127\.0\.0\.1:$PORT \(1 consecutive failures\), next probe in [0-9]+ s$"

# --- an IPv6 literal as fallback, calls on IPv4 ---------------------------------
BK_THRESHOLD=1 BK_STATE="$TMP/state-v6" BK_FALLBACK="[::1]:$FBPORT" write_policy http
client --count 3 "$URL"
check "[::1] fallback: an IPv4 call is refused while open" expect_outcomes "503 refused refused"
check "[::1] fallback: taken as a literal (no 'not a literal' line)" \
	sh -c "! grep -q 'not a literal' '$TMP/err'"
check "[::1] fallback: the fallback saw nothing" [ "$(fb_requests)" -eq 0 ]
n=$(grep -c '"decision":"deny"' "$TMP/audit.log")
check "the refused calls are recorded ($n deny records)" [ "$n" -ge 4 ]
finish
