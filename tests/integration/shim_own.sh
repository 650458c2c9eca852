#!/bin/bash
# shim_own.sh - the folders above the audit log cannot be renamed or
# removed by the agent (that would take the log along), in enforce and in
# report mode, while its other folders still can.
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
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
INI
mkdir "$WS/a"
fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import os, sys
ws = sys.argv[1]
def t(f):
    try:
        f(); return 'ok'
    except OSError as e:
        return type(e).__name__ + ' ' + str(e.errno)
print(t(lambda: os.rename(ws + '/.fleetguard', ws + '/moved')))
print(t(lambda: os.rmdir(ws + '/.fleetguard')))
print(t(lambda: os.rename(ws + '/a', ws + '/b')))
" "$WS" > "$TMP/out" 2> "$TMP/err"
diag "$(cat "$TMP/out" "$TMP/err")"
check "os.rename of the log's folder raises PermissionError" \
	[ "$(sed -n 1p "$TMP/out")" = "PermissionError 13" ]
check "the folder and the log stay where they were" \
	sh -c "[ -f '$WS/.fleetguard/audit.log' ] && [ ! -e '$WS/moved' ]"
check "the refusal says why and names the policy" \
	grep -q "^fleetguard: denied rename $WS/.fleetguard: would move or remove fleetguard's own files (policy $WS/fleetguard.ini)$" "$TMP/err"
check "the refusal is recorded as deny" \
	grep -q "\"op\":\"rename\",\"path\":\"$WS/.fleetguard\",\"path2\":\"$WS/moved\".*\"decision\":\"deny\"" "$WS/.fleetguard/audit.log"
check "os.rmdir of the log's folder raises PermissionError" \
	[ "$(sed -n 2p "$TMP/out")" = "PermissionError 13" ]
check "another folder of the workspace is renamed as usual" \
	sh -c "[ '$(sed -n 3p "$TMP/out")' = ok ] && [ -d '$WS/b' ]"

# report mode lets the policy's denials through, never these
cat > "$WS/report.ini" <<INI
[filesystem]
mode = report
system = yes
kernel = off
INI
out=$(fg "$WS/report.ini" "$PYTHON3" -c "
import os, sys
try:
    os.rename(sys.argv[1] + '/.fleetguard', sys.argv[1] + '/moved'); print('moved')
except PermissionError as e:
    print('denied', e.errno)" "$WS" 2> "$TMP/err")
check "under mode = report the log's folder is still not renamed" \
	sh -c "[ '$out' = 'denied 13' ] && [ -d '$WS/.fleetguard' ]"
"$FG_BIN/fleetguard-verify" "$WS/.fleetguard/audit.log" > "$TMP/verify" 2>&1
check "the log verifies intact" [ $? -eq 0 ]
finish
