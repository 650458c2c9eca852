# landlock_seal.sh - under fleetguard run the agent cannot swap the policy: the issue 11 attacks with Landlock on.
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

. "$FG_TOP_SRCDIR/tests/integration/landlock_lib.sh"
need_landlock
plan 7
ll_setup
# the agent writes a policy of its own in its workspace
printf '[filesystem]\nwrite = /\nkernel = off\n[audit]\nlog = %s/mine.log\n' "$WS" > "$WS/mine.ini"

out=$(cd "$WS" && fgrun --policy "$POL" -- "$PYTHON3" -c "
import os
os.environ['FLEETGUARD_POLICY'] = '$WS/mine.ini'
os.environ['HOME'] = '/'
print(os.system('cat $SECRET'))
del os.environ['LD_PRELOAD']
print(os.system('cat $SECRET; echo \$FLEETGUARD_SEALED'))
try:
    pid = os.posix_spawn('/bin/cat', ['cat'], os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 0, '$SECRET', os.O_RDONLY, 0)])
    os.waitpid(pid, 0)
except PermissionError:
    print('spawn refused')
try:
    open('$POL', 'a').write('[network]\n')
except PermissionError:
    print('rewrite refused')" 2>"$TMP/err" | tr '\n' ' ')
diag "$(cat "$TMP/err")"
check "run: FLEETGUARD_POLICY and HOME changed, then os.system: the secret is unread" \
	sh -c "! grep -q 'top secret' '$TMP/err' && [ '${out%% *}' = 256 ]"
check "run: del LD_PRELOAD; os.system: the child carries the library and the seal ($out)" \
	sh -c "echo '$out' | grep -q '^256 1 0 '"
check "run: posix_spawn with an open of the secret is refused" sh -c "echo '$out' | grep -q 'spawn refused'"
check "run: the policy file cannot be rewritten" sh -c "echo '$out' | grep -q 'rewrite refused' && ! grep -q network '$POL'"
check "run: the agent's own log was never created" [ ! -e "$WS/mine.log" ]
# the records come through the audit daemon
wait_until 30 sh -c "[ \$(grep -c '\"path\":\"$SECRET\".*\"decision\":\"deny\"' '$LOG') -ge 3 ]"
check "run: the three denials of the secret are in the log" \
	[ "$(grep -c "\"path\":\"$SECRET\".*\"decision\":\"deny\"" "$LOG")" -ge 3 ]
check "run: the log verifies" "$VERIFY" "$LOG"
finish
