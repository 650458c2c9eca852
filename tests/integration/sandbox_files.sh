#!/bin/bash
# sandbox_files.sh - every file family from a real CPython, coreutils and
# git: inside the workspace they work; outside they raise PermissionError
# with the spec's message and nothing changes on disk.
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
plan 9
make_ws
mkdir -p "$TMP/outside"
echo "outside" > "$TMP/outside/file.txt"
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
system = yes
write = \${root}
INI
snapshot() { (cd "$TMP/outside" && find . -printf '%p %s %m %T@\n' | sort); }
before=$(snapshot)

cat > "$WS/inside.py" <<'PY'
import os, pathlib, shutil, tempfile
os.chdir(os.path.dirname(os.path.abspath(__file__)))
with open("a.txt", "w") as f: f.write("one")
with open("a.txt", "a") as f: f.write("+two")
assert open("a.txt").read() == "one+two"
p = pathlib.Path("p.txt"); p.write_text("path"); assert p.read_text() == "path"
os.mkdir("d"); open("d/x", "w").write("x")
shutil.copytree("d", "d2"); assert open("d2/x").read() == "x"
os.rename("a.txt", "b.txt"); os.replace("b.txt", "c.txt")
os.link("c.txt", "hard.txt"); os.symlink("c.txt", "soft.txt")
assert open("soft.txt").read() == "one+two"
os.remove("hard.txt"); os.unlink("soft.txt")
shutil.rmtree("d2"); os.remove("d/x"); os.rmdir("d")
fd, name = tempfile.mkstemp(dir="."); os.write(fd, b"t"); os.close(fd); os.remove(name)
with tempfile.TemporaryDirectory(dir=".") as td: open(os.path.join(td, "f"), "w").write("f")
os.chmod("c.txt", 0o600); os.utime("c.txt"); os.truncate("c.txt", 1)
assert os.stat("c.txt").st_size == 1
print("inside ok")
PY
fg "$WS/fleetguard.ini" "$PYTHON3" "$WS/inside.py" > "$TMP/out" 2> "$TMP/err"
diag "$(cat "$TMP/err")"
check "python: every file family works inside the workspace" grep -qx "inside ok" "$TMP/out"

cat > "$WS/outside.py" <<PY
import os, pathlib, shutil, tempfile
O = "$TMP/outside"
W = "$WS"
tries = {
    "open-read": lambda: open(O + "/file.txt"),
    "open-write": lambda: open(O + "/new.txt", "w"),
    "open-append": lambda: open(O + "/file.txt", "a"),
    "pathlib-write": lambda: pathlib.Path(O + "/p.txt").write_text("x"),
    "copytree": lambda: shutil.copytree(W, O + "/copy"),
    "copy-in": lambda: shutil.copy(O + "/file.txt", W + "/stolen.txt"),
    "rename-out": lambda: os.rename(W + "/inside.py", O + "/moved.py"),
    "rename-in": lambda: os.rename(O + "/file.txt", W + "/moved.txt"),
    "replace": lambda: os.replace(O + "/file.txt", W + "/replaced.txt"),
    "link-in": lambda: os.link(O + "/file.txt", W + "/hard.txt"),
    "symlink-out": lambda: os.symlink("/etc/passwd", O + "/sym"),
    "mkdir": lambda: os.mkdir(O + "/dir"),
    "rmdir": lambda: os.rmdir(O),
    "remove": lambda: os.remove(O + "/file.txt"),
    "chmod": lambda: os.chmod(O + "/file.txt", 0o777),
    "truncate": lambda: os.truncate(O + "/file.txt", 0),
    "utime": lambda: os.utime(O + "/file.txt", (0, 0)),
    "mkstemp": lambda: tempfile.mkstemp(dir=O),
    "listdir": lambda: os.listdir(O),
    # chown to one's own ids changes nothing, so only the policy refuses it
    "chown": lambda: os.chown(O + "/file.txt", os.getuid(), os.getgid()),
    "lchown": lambda: os.lchown(O + "/file.txt", os.getuid(), os.getgid()),
    "fchownat": lambda: os.chown("../outside/file.txt", os.getuid(), os.getgid(),
                                 dir_fd=os.open(W, os.O_RDONLY | os.O_DIRECTORY)),
}
for name, fn in tries.items():
    try:
        fn()
        print(name, "ALLOWED")
    except PermissionError as e:
        print(name, "denied", e.errno)
PY
fg "$WS/fleetguard.ini" "$PYTHON3" "$WS/outside.py" > "$TMP/out" 2> "$TMP/err"
diag "$(grep -v ' denied 13$' "$TMP/out")"
check "python: every family outside raises PermissionError (errno 13)" \
	sh -c "[ \$(grep -c ' denied 13\$' '$TMP/out') -eq 22 ]"
check "python: each refusal printed the spec's line" \
	sh -c "[ \$(grep -c '^fleetguard: denied .* (policy $WS/fleetguard.ini' '$TMP/err') -ge 22 ]"
check "nothing changed outside the workspace" [ "$(snapshot)" = "$before" ]
check "no file was copied or moved into the workspace" \
	sh -c "! ls '$WS' | grep -qE 'stolen|moved|replaced|hard'"

cd "$WS" || exit 1
fg "$WS/fleetguard.ini" sh -c 'echo hi > c1 && cp c1 c2 && mv c2 c3 && mkdir dd && ln -s ../c3 dd/l && ln c1 c4 && touch c5 && rm c1 c4 && cat dd/l' > "$TMP/out" 2> "$TMP/err"
check "coreutils cat cp mv rm mkdir ln touch work inside" [ "$(cat "$TMP/out")" = hi ]
fg "$WS/fleetguard.ini" sh -c "cp $TMP/outside/file.txt $WS/x; mv $WS/c3 $TMP/outside/; rm $TMP/outside/file.txt; touch $TMP/outside/t" 2> "$TMP/err"
check "coreutils cp mv rm touch across the boundary are refused" \
	sh -c "[ \$(grep -c 'Permission denied' '$TMP/err') -eq 4 ] && [ \"\$(cd '$TMP/outside' && find . -printf '%p %s %m %T@\n' | sort)\" = \"$before\" ]"

export GIT_CONFIG_NOSYSTEM=1 HOME="$WS"
fg "$WS/fleetguard.ini" sh -c 'git init -q repo && cd repo && echo x > f && git add f &&
	git -c user.name=t -c user.email=t@t commit -qm first && git log --oneline | wc -l' > "$TMP/out" 2> "$TMP/err"
diag "$(cat "$TMP/err")"
check "git init, add and commit work inside the workspace" [ "$(cat "$TMP/out")" = 1 ]
"$FG_BIN/fleetguard-verify" "$WS/.fleetguard/audit.log" > /dev/null 2>&1
check "the audit log of all this verifies" [ $? -eq 0 ]
finish
