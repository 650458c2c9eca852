#!/bin/bash
# sandbox_modes.sh - [filesystem] and [network] mode = report allows and
# records "would deny"; mode = off judges and records nothing.
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
plan 8
make_ws
mkdir -p "$TMP/outside"
echo "outside" > "$TMP/outside/f.txt"
for m in report off; do
	cat > "$WS/$m.ini" <<INI
[filesystem]
mode = $m
system = yes
write = \${root}
kernel = off

[network]
mode = $m
allow = 127.0.0.1:1

[audit]
log = \${root}/$m.log
INI
done
read_outside="print(open('$TMP/outside/f.txt').read().strip())"

out=$(fg "$WS/report.ini" "$PYTHON3" -c "$read_outside" 2>"$TMP/err")
check "report: the outside read is allowed" [ "$out" = outside ]
check "report: stderr says it would have been denied" \
	grep -q "^fleetguard: report: would deny open $TMP/outside/f.txt" "$TMP/err"
check "report: the audit record says report" \
	grep -q "\"path\":\"$TMP/outside/f.txt\".*\"decision\":\"report\"" "$WS/report.log"
out=$(fg "$WS/report.ini" "$PYTHON3" -c "
import socket
try:
    socket.getaddrinfo('not-allowed.example', 80)
except socket.gaierror:
    pass
print('ran')" 2>"$TMP/err")
check "report: a refused name lookup is only reported" \
	sh -c "[ '$out' = ran ] && grep -q 'report: would deny resolve not-allowed.example' '$TMP/err'"

out=$(fg "$WS/off.ini" "$PYTHON3" -c "$read_outside" 2>"$TMP/err")
check "off: the outside read is allowed and nothing is printed" sh -c "[ '$out' = outside ] && [ ! -s '$TMP/err' ]"
check "off: no file decision is recorded" sh -c "! grep -q '\"op\":\"open\"' '$WS/off.log'"

# [audit] events = denied: the refusals are recorded, the allowed calls not
cat > "$WS/denied.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off

[audit]
log = \${root}/denied.log
events = denied
INI
echo inside > "$WS/in.txt"
fg "$WS/denied.ini" "$PYTHON3" -c "
import os
open('$WS/in.txt').read(); open('$WS/new.txt', 'w').write('x'); os.mkdir('$WS/d')
try:
    open('$TMP/outside/f.txt')
except PermissionError:
    pass" 2> /dev/null
check "events = denied: the refused open is recorded" \
	grep -q "\"path\":\"$TMP/outside/f.txt\".*\"decision\":\"deny\"" "$WS/denied.log"
check "events = denied: no allowed read, write or mkdir is" \
	sh -c "! grep -q '\"decision\":\"allow\"' '$WS/denied.log'"
finish
