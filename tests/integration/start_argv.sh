#!/bin/bash
# start_argv.sh - a start record carries the process's argv as the kernel
# gave it, cut as its page was (at most 255 arguments and 8 KiB): the
# constructor reads argv in place and copies it only when it must cut.
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
plan 4
make_ws
mkdir -p "$WS/work" "$TMP/audit"
export FLEETGUARD_QUIET=1
cat > "$WS/p.ini" <<INI
[filesystem]
write = \${root}/work
[audit]
log = $TMP/audit/a.log
INI

# the start records of /bin/true, in order, one JSON argv per line
starts() {
	"$PYTHON3" - "$TMP/audit/a.log" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("op") == "start" and r.get("argv", [""])[0] == "/bin/true":
        print(json.dumps(r["argv"]))
PY
}

long=$(head -c 10000 /dev/zero | tr '\0' x)
fg "$WS/p.ini" /bin/sh -c '
/bin/true a "b c" ""
/bin/true $(seq 1 300)
/bin/true "$1"' sh "$long" 2> "$TMP/err"
starts > "$TMP/argv"
check "three start records of /bin/true ($(wc -l < "$TMP/argv"))" [ "$(wc -l < "$TMP/argv")" = 3 ]
check "a short argv is recorded whole, empty argument included ($(sed -n 1p "$TMP/argv"))" \
	[ "$(sed -n 1p "$TMP/argv")" = '["/bin/true", "a", "b c", ""]' ]
why=$("$PYTHON3" -c '
import json, sys
a = json.loads(sys.argv[1])
want = ["/bin/true"] + [str(i) for i in range(1, 255)]
print("" if a == want else "%d arguments, last %r" % (len(a), a[-1]))' "$(sed -n 2p "$TMP/argv")")
check "301 arguments are cut to the first 255 ($why)" [ -z "$why" ]
why=$("$PYTHON3" -c '
import json, sys
a = json.loads(sys.argv[1])
ok = len(a) == 2 and a[1] == "x" * (8192 - 1 - len("/bin/true") - 1)
print("" if ok else "%d arguments, %s bytes" % (len(a), [len(s) for s in a]))' "$(sed -n 3p "$TMP/argv")")
check "a 10000-byte argument is cut so that argv fits 8 KiB ($why)" [ -z "$why" ]
finish
