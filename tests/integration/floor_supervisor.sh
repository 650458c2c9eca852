#!/bin/bash
# floor_supervisor.sh - fleetguard run --floor=supervisor (what a host
# without mount namespaces gets): opens and name changes of a static binary
# and of ctypes.CDLL("libc.so.6") reach a supervisor outside the domain,
# which refuses a deny inside the write tree, records it "via":"kernel",
# cannot be raced by a thread flipping the path, and lets the workspace work.
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
plan 20
ll_setup
mkdir -p "$WS/secrets"
echo "workspace secret" > "$WS/secrets/a.txt"
echo "key material" > "$WS/token"
echo data > "$WS/data.txt"
cp "$STATIC" "$WS/static_openat"
STATIC="$WS/static_openat"
ll_policy "$POL" auto "deny = \${root}/secrets, \${root}/token"
NO_FLOOR="$FG_TOP_BUILDDIR/tests/no_floor"
sup() { fgrun --floor=supervisor --policy "$POL" -- "$@"; }
cd "$WS" || exit 1

out=$(sup "$STATIC" "$WS/secrets/a.txt" 2> "$TMP/err"); rc=$?
check "static openat in the denied directory: EACCES from the supervisor ($out)" [ $rc -eq 3 ]
check "run names the supervisor in one line" \
	grep -q "floor: supervisor with seccomp user notification" "$TMP/err"
out=$(sup "$STATIC" "$WS/token" 2>/dev/null); rc=$?
check "static openat of the denied file: EACCES ($out)" [ $rc -eq 3 ]
out=$(sup "$STATIC" "$WS/data.txt" 2>/dev/null); rc=$?
check "static openat of a workspace file reads it ($out)" [ $rc -eq 0 ]
out=$(sup "$PYTHON3" -c "$RAW_OPEN" "$WS/secrets/a.txt" 2>/dev/null); rc=$?
check "ctypes openat in the denied directory: EACCES ($out)" [ $rc -eq 3 ]

NAMES='
import ctypes, os, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
ws = sys.argv[1]
def t(name, r):
    print(name, "ok" if r == 0 else os.strerror(ctypes.get_errno()))
t("rename", libc.rename((ws + "/secrets").encode(), (ws + "/public").encode()))
t("link", libc.link((ws + "/token").encode(), (ws + "/token2").encode()))
t("unlink", libc.unlink((ws + "/token").encode()))
t("symlink-into", libc.symlink(b"/etc/hostname", (ws + "/secrets/x").encode()))
'
out=$(sup "$PYTHON3" -c "$NAMES" "$WS" 2>/dev/null | tr '\n' ' ')
check "ctypes rename, link, unlink, symlink on denied names: all EACCES ($out)" \
	sh -c "[ \$(echo '$out' | grep -o 'Permission denied' | wc -l) -eq 4 ]"
check "and from outside: the secret is where it was, no new name exists" \
	sh -c "[ -f '$WS/secrets/a.txt' -a -f '$WS/token' -a ! -e '$WS/public' -a ! -e '$WS/token2' -a ! -e '$WS/secrets/x' ]"

WORK='
import os, subprocess, sys
ws = sys.argv[1]
os.mkdir(ws + "/d"); open(ws + "/d/f", "w").write("x")
os.rename(ws + "/d/f", ws + "/d/g"); os.link(ws + "/d/g", ws + "/d/h")
os.truncate(ws + "/d/h", 0); os.symlink("g", ws + "/d/s")
assert open(ws + "/d/s").read() == "" and os.stat(ws + "/d/g").st_nlink == 2
os.unlink(ws + "/d/g"); os.unlink(ws + "/d/h"); os.unlink(ws + "/d/s"); os.rmdir(ws + "/d")
print(subprocess.run(["sh", "-c", "echo hi > " + ws + "/n && cat " + ws + "/n"], capture_output=True, text=True).stdout.strip())
'
out=$(sup "$PYTHON3" -c "$WORK" "$WS" 2> "$TMP/err"); rc=$?
diag "$(cat "$TMP/err")"
check "the workspace works through the supervisor: make, rename, link, truncate, symlink, remove, spawn ($out)" \
	sh -c "[ $rc -eq 0 ] && [ '$out' = hi ]"
out=$(sup sh -c 'umask 077; echo x > m; stat -c %a m' 2>/dev/null)
check "created files get the agent's umask ($out)" [ "$out" = 600 ]
sup sh -c 'exit 7' 2>/dev/null
check "run exits with the agent's status" [ $? -eq 7 ]

grep '"op":"open"' "$LOG" | grep '"via":"kernel"' | grep -q '"path":"'"$WS"'/secrets/a.txt".*"decision":"deny","rule":"'"$POL"':4"'
check "the supervisor's refusal is in the chain with its rule, via kernel" [ $? -eq 0 ]
grep '"op":"landlock"' "$LOG" | tail -1 | grep -q '"floor":"supervisor","masked":2'
check "the landlock record names the supervisor" [ $? -eq 0 ]
"$VERIFY" "$LOG" > /dev/null 2>&1
check "the log verifies" [ $? -eq 0 ]

# a thread flips the path between an allowed and a denied name while the
# main thread opens it: the supervisor reads the name once, so no open can
# ever return the secret's bytes
RACE='
import ctypes, os, sys, threading
libc = ctypes.CDLL("libc.so.6", use_errno=True)
ws = sys.argv[1]
a = (ws + "/data.txt").encode().ljust(200, b"\0")
b = (ws + "/secrets/a.txt").encode().ljust(200, b"\0")
buf = ctypes.create_string_buffer(a, 256)
stop = False
def flip():
    while not stop:
        ctypes.memmove(buf, b, 200); ctypes.memmove(buf, a, 200)
threading.Thread(target=flip, daemon=True).start()
leaks = opened = 0
out = ctypes.create_string_buffer(64)
for i in range(3000):
    fd = libc.open(buf, os.O_RDONLY)
    if fd >= 0:
        opened += 1
        n = libc.read(fd, out, 64); libc.close(fd)
        if out.raw[:n].startswith(b"workspace secret"): leaks += 1
stop = True
print(opened, leaks)
'
out=$(sup "$PYTHON3" -c "$RACE" "$WS" 2>/dev/null)
check "3000 opens raced by a flipping thread: some open, none reads the secret ($out)" \
	sh -c "set -- $out; [ \"\$1\" -gt 0 ] && [ \"\$2\" -eq 0 ]"

# what a raw openat2(RESOLVE_NO_SYMLINKS) of an absolute name gets (the
# library's own open: the supervisor opens such a name in one step) is what
# it gets natively: the descriptor's flags (no O_NONBLOCK left over, O_APPEND
# kept), a FIFO without a writer opened at once, the errors of the walk
FLAGS='
import ctypes, os, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
ws = sys.argv[1]
class How(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]
def t(name, path, flags):
    how = How(flags | os.O_CLOEXEC, 0, 4)
    fd = libc.syscall(ctypes.c_long(437), ctypes.c_long(-100), path.encode(), ctypes.byref(how),
                      ctypes.c_long(ctypes.sizeof(how)))
    if fd < 0:
        print(name, os.strerror(ctypes.get_errno()).replace(" ", "_")); return
    fl = libc.fcntl(fd, 3)
    print(name, "acc%d" % (fl & 3), "nonblock" if fl & os.O_NONBLOCK else "-",
          "append" if fl & os.O_APPEND else "-", "read%d" % len(os.read(fd, 64)) if name.startswith("file-r") else "")
    os.close(fd)
t("file-read", ws + "/data.txt", os.O_RDONLY)
t("file-rnonblock", ws + "/data.txt", os.O_RDONLY | os.O_NONBLOCK)
t("file-append", ws + "/data.txt", os.O_WRONLY | os.O_APPEND)
t("fifo-read", ws + "/fifo", os.O_RDONLY | os.O_NONBLOCK)
t("fifo-write", ws + "/fifo", os.O_WRONLY | os.O_NONBLOCK)
t("fifo-rdwr", ws + "/fifo", os.O_RDWR)
t("dir", ws, os.O_RDONLY | os.O_DIRECTORY)
t("dir-write", ws, os.O_WRONLY)
t("notdir", ws + "/data.txt", os.O_RDONLY | os.O_DIRECTORY)
t("missing", ws + "/nothing", os.O_RDONLY)
t("link", ws + "/link", os.O_RDONLY)
t("link-nofollow", ws + "/link", os.O_RDONLY | os.O_NOFOLLOW)
t("null", "/dev/null", os.O_WRONLY)
'
mkfifo "$WS/fifo"; ln -s data.txt "$WS/link"
native=$("$PYTHON3" -c "$FLAGS" "$WS" 2>&1 | tr '\n' ' ')
out=$(sup "$PYTHON3" -c "$FLAGS" "$WS" 2>/dev/null | tr '\n' ' ')
diag "natively: $native"
check "raw openat2 of files, a FIFO, directories, missing names, links: flags and errors as natively ($out)" \
	[ "$out" = "$native" ]
# natively this open waits for a writer; the supervisor serves one call at
# a time and the writer's open is a call too, so it opens at once (as
# docs/SECURITY.md says) and hands over a blocking descriptor
FIFO='
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print("nonblock" if os.get_blocking(fd) is False else "blocking", len(os.read(fd, 16)))
'
out=$(sup "$PYTHON3" -c "$FIFO" "$WS/fifo" 2>/dev/null)
check "a FIFO opened for reading with no writer: at once, and blocking after ($out)" \
	[ "$out" = "blocking 0" ]
rm -f "$WS/fifo" "$WS/link"

# chosen by itself where no mount namespace can be had
out=$("$NO_FLOOR" --no-userns "$FG_TOOL" run --policy "$POL" -- "$STATIC" "$WS/secrets/a.txt" 2> "$TMP/err"); rc=$?
check "without mount namespaces run picks the supervisor ($out)" \
	sh -c "[ $rc -eq 3 ] && grep -q 'floor: supervisor' '$TMP/err'"

# an unprivileged agent: the supervisor reads its memory as its ancestor
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$TMP"; mkdir -p "$TMP/state-nobody"
	chown -R 65534 "$WS" "$TMP/audit" "$TMP/state-nobody"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		env XDG_STATE_HOME="$TMP/state-nobody" "$FG_TOOL" run --floor=supervisor \
		--policy "$POL" -- sh -c "\"$STATIC\" '$WS/secrets/a.txt'; \"$STATIC\" '$WS/data.txt'" 2>/dev/null)
	check "as an unprivileged user: the denied file refused, the workspace read ($out)" \
		sh -c "echo '$out' | grep -q 'Permission denied' && echo '$out' | grep -q '^read'"
else
	skip_check "as an unprivileged user" "the tests do not run as root"
fi

# io_uring opens with no system call a filter sees: the path trap refuses
# it even where [network] (whose filter refuses it too) is not enforced
cp "$FG_TOP_BUILDDIR/tests/uring_openat" "$WS/uring_openat"
ll_policy "$WS/nonet.ini" auto "deny = \${root}/secrets
[network]
mode = off"
out=$(fgrun --floor=supervisor --policy "$WS/nonet.ini" -- "$WS/uring_openat" \
	"$WS/secrets/a.txt" 2>/dev/null); rc=$?
check "io_uring openat of the denied file, [network] off: io_uring refused ($out)" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q '^io_uring_setup:'"

# no trap where the policy has no deny inside a tree
ll_policy "$WS/plain.ini" auto ""
out=$(FLEETGUARD_DEBUG=1 fgrun --floor=supervisor --policy "$WS/plain.ini" -- true 2>&1)
check "no deny inside a tree: no supervisor at all ($out)" \
	sh -c "! echo '$out' | grep -q 'floor: supervisor'"
finish
