#!/bin/bash
# landlock_run.sh - fleetguard run itself: exit statuses, the environment
# it sets, --agent-id, --report, TCP ports (ABI >= 4) and signal scoping
# (ABI >= 6).
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

. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock 1
plan 13
ll_setup
cd "$WS" || exit 1

fgrun --policy "$POL" -- /bin/sh -c 'exit 7'; rc=$?
check "CMD's exit status is fleetguard run's (7)" [ $rc -eq 7 ]
fgrun --policy "$POL" -- no-such-command-fg 2> "$TMP/err"; rc=$?
check "CMD not found: 127" sh -c "[ $rc -eq 127 ] && grep -q 'cannot run' '$TMP/err'"
printf 'echo hi\n' > "$WS/noexec.sh"
fgrun --policy "$POL" -- "$WS/noexec.sh" 2> "$TMP/err"; rc=$?
check "CMD not executable: 126" [ $rc -eq 126 ]
printf '[filesystem]\nwrtie = /tmp\n' > "$WS/bad.ini"
fgrun --policy "$WS/bad.ini" -- /bin/true 2> "$TMP/err"; rc=$?
check "a broken policy: 1, with file:line" sh -c "[ $rc -eq 1 ] && grep -q '^$WS/bad.ini:2: ' '$TMP/err'"
fgrun --policy "$POL" 2> /dev/null; rc=$?
check "no command: usage error 2" [ $rc -eq 2 ]

out=$(fgrun --policy fleetguard.ini --agent-id coder-9 -- /bin/sh -c 'echo "$FLEETGUARD_POLICY|$FLEETGUARD_AGENT_ID|$LD_PRELOAD|${FLEETGUARD_LANDLOCK:+marked}"')
check "environment: absolute policy, agent id, library, marker ($out)" \
	[ "$out" = "$WS/fleetguard.ini|coder-9|$FG_PRELOAD|marked" ]
check "--agent-id is what the audit log records" grep -q '"agent":"coder-9"' "$LOG"

out=$(fgrun --policy "$POL" --report -- "$PYTHON3" -c "
import os, sys
print(open('$SECRET').read().strip())
print(os.environ['FLEETGUARD_POLICY'])" 2> "$TMP/err"); rc=$?
copy=$(echo "$out" | tail -1)
check "--report: the outside read is allowed ($(echo "$out" | head -1))" \
	sh -c "[ $rc -eq 0 ] && [ \"\$(echo '$out' | head -1)\" = 'top secret' ]"
check "--report: it says what it would deny" grep -q "report: would deny open $SECRET" "$TMP/err"
check "--report: the derived policy ($copy) is gone afterwards" \
	sh -c "[ -n '$copy' ] && [ '$copy' != '$POL' ] && [ ! -e '$copy' ]"

# TCP: the policy allows one port; a listener outside the domain on another
# port is refused by the kernel to a raw connect (libc's connect, looked up
# past the preloaded hook).
if [ "$LL_ABI" -ge 4 ]; then
	"$PYTHON3" - > "$TMP/ports" <<'EOF' &
import socket, time
a = socket.socket(); a.bind(("127.0.0.1", 0)); a.listen(8)
b = socket.socket(); b.bind(("127.0.0.1", 0)); b.listen(8)
print(a.getsockname()[1], b.getsockname()[1], flush=True)
time.sleep(20)
EOF
	lpid=$!
	# python may start slowly on a loaded machine: wait for it, do not guess
	wait_until 60 test -s "$TMP/ports" ||
		{ echo "Bail out! the test listeners did not start"; kill $lpid; exit 1; }
	read -r P1 P2 < "$TMP/ports"
	ll_policy "$WS/net.ini" auto "[network]
allow = 127.0.0.1:$P1"
	CONNECT='
import ctypes, os, socket, struct, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
out = []
for port in map(int, sys.argv[1:]):
    s = socket.socket()
    sa = struct.pack("=HH4s8x", socket.AF_INET, socket.htons(port), socket.inet_aton("127.0.0.1"))
    r = libc.connect(s.fileno(), sa, len(sa))
    out.append("ok" if r == 0 else os.strerror(ctypes.get_errno()))
print(",".join(out))
'
	out=$(fgrun --policy "$WS/net.ini" -- "$PYTHON3" -c "$CONNECT" "$P1" "$P2" 2>&1)
	check "raw TCP connect: allowed port ok, other port refused by the kernel ($out)" \
		[ "$out" = "ok,Permission denied" ]
	kill $lpid 2>/dev/null
else
	ok "# SKIP Landlock ABI $LL_ABI has no TCP rules"
fi

if [ "$LL_ABI" -ge 6 ]; then
	sleep 30 & spid=$!
	fgrun --policy "$POL" -- /bin/sh -c "kill -0 $spid" 2> "$TMP/err"; rc=$?
	check "signal scoping: the agent cannot signal a process outside its domain" [ $rc -ne 0 ]
	fgrun --policy "$POL" -- /bin/sh -c 'sleep 30 & kill $!'; rc=$?
	check "signal scoping: it still signals its own children" [ $rc -eq 0 ]
	kill $spid
else
	ok "# SKIP Landlock ABI $LL_ABI has no signal scoping"
	ok "# SKIP Landlock ABI $LL_ABI has no signal scoping"
fi
finish
