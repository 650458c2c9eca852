#!/bin/bash
# sandbox_deny_probe.sh - a name that is denied as written is refused at
# once only when the kernel shows that no symlink is on its way (the fast
# denial's probe); names whose symlinks lead into an allowed tree are judged
# by their target, and every kind of object answers a refusal the same way.
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
plan 14
make_ws
O="$TMP/outside"
mkdir -p "$O/dir" "$WS/sub"
echo "SECRET-OUTSIDE" > "$O/secret.txt"
echo "SECRET-TWO" > "$O/secret2.txt"
echo "inside" > "$WS/sub/inside.txt"
ln -s "$WS/sub/inside.txt" "$O/to-inside"          # outside name, inside file
ln -s "$WS" "$O/ws-dir"                            # outside directory name, inside tree
ln -s "$O/to-inside" "$O/chain"                    # two hops, both outside names
ln -s "$O/secret2.txt" "$O/to-secret"              # outside name, outside file
mkfifo "$O/fifo"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
INI

cat > "$WS/probe.py" <<PY
import errno, os
O, WS = "$O", "$WS"
def tryit(name, fn):
    try:
        r = fn()
        print(name, "ok:" + (r if isinstance(r, str) else "done"))
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, str(e.errno)))
read = lambda p: lambda: open(p).read().strip()
tryit("to-inside", read(O + "/to-inside"))
tryit("ws-dir", read(O + "/ws-dir/sub/inside.txt"))
tryit("chain", read(O + "/chain"))
tryit("to-secret", read(O + "/to-secret"))
tryit("file", read(O + "/secret.txt"))
tryit("dir", lambda: os.close(os.open(O + "/dir", os.O_RDONLY | os.O_DIRECTORY)))
tryit("file-as-dir", read(O + "/secret.txt/x"))
tryit("fifo", lambda: os.close(os.open(O + "/fifo", os.O_RDONLY)))
tryit("create", lambda: open(O + "/new.txt", "w").close())
PY
fg "$WS/fleetguard.ini" timeout 20 "$PYTHON3" "$WS/probe.py" > "$TMP/out" 2> "$TMP/err"
diag "$(cat "$TMP/out")"
result() { sed -n "s/^$1 //p" "$TMP/out"; }

check "an outside symlink to an inside file is judged by its target" [ "$(result to-inside)" = ok:inside ]
check "an outside symlink to the workspace directory is followed" [ "$(result ws-dir)" = ok:inside ]
check "a chain of outside symlinks ending inside is followed" [ "$(result chain)" = ok:inside ]
check "an outside symlink to an outside file is refused" [ "$(result to-secret)" = EACCES ]
check "an outside file is refused with EACCES" [ "$(result file)" = EACCES ]
check "an outside directory is refused with EACCES" [ "$(result dir)" = EACCES ]
check "an outside file used as a directory is refused with EACCES" [ "$(result file-as-dir)" = EACCES ]
check "an outside fifo is refused without blocking" [ "$(result fifo)" = EACCES ]
created_nothing() { [ "$(result create)" = EACCES ] && [ ! -e "$O/new.txt" ]; }
check "a create outside is refused and creates nothing" created_nothing

rule="(policy $WS/fleetguard.ini:1)"
check "the refusal of an outside file is one stderr line" \
	[ "$(grep -cxF "fleetguard: denied open $O/secret.txt: not in an allowed tree $rule" "$TMP/err")" = 1 ]
by_target() {
	grep -q "^fleetguard: denied open $O/secret2.txt: not in an allowed tree" "$TMP/err" &&
		! grep -q "to-secret" "$TMP/err"
}
check "a refused symlink is reported by its target" by_target

log="$WS/.fleetguard/audit.log"
check "each refused open is one deny record" \
	[ "$(grep '"op":"open"' "$log" | grep -c '"decision":"deny"')" = "$(grep -c ' EACCES$' "$TMP/out")" ]
check "the deny record names the file, the flags and the rule" \
	grep -q "\"op\":\"open\",\"path\":\"$O/dir\",\"flags\":[0-9]*,\"decision\":\"deny\",\"rule\":\"$WS/fleetguard.ini:1\",\"result\":\"EACCES\"" "$log"
verifies() { "$FG_BIN/fleetguard-verify" "$log" > /dev/null; }
check "the audit log verifies" verifies
finish
