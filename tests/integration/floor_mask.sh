#!/bin/bash
# floor_mask.sh - under fleetguard run, a deny inside the write tree is
# hidden by a mount: a static binary and ctypes.CDLL("libc.so.6") read
# nothing there, the library still answers with its line and record, the
# workspace stays writable, the masks cannot be unmounted; as root (a
# mount namespace) and as an unprivileged user (user + mount namespace).
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
plan 21
ll_setup
mkdir -p "$WS/secrets"
echo "workspace secret" > "$WS/secrets/a.txt"
echo "key material" > "$WS/token"
echo data > "$WS/data.txt"
cp "$STATIC" "$WS/static_openat"
STATIC="$WS/static_openat"
cat > "$POL" <<EOF2
[filesystem]
write  = \${root}
deny   = \${root}/secrets, \${root}/token
kernel = on
EOF2
cat > "$WS/off.ini" <<EOF2
[filesystem]
write  = \${root}
deny   = \${root}/secrets, \${root}/token
kernel = off
EOF2
LOG="$WS/.fleetguard/audit.log"
UMOUNT='
import ctypes, os, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
r = libc.umount2(sys.argv[1].encode(), 2)
print(r, os.strerror(ctypes.get_errno())); sys.exit(0 if r == 0 else 3)
'
cd "$WS" || exit 1

out=$(fg "$WS/off.ini" "$STATIC" "$WS/secrets/a.txt" 2>&1); rc=$?
check "gap: without the floor a static binary reads the denied file ($out)" [ $rc -eq 0 ]

# mask_checks WHO RUNNER...: the classes, each from outside the library.
# Through fgrun (tests/lib.sh), which under --enable-sanitizers puts the ASan
# runtime first in LD_PRELOAD: when it comes after libc, dash's vfork binds
# to libc's, not to ASan's interceptor, the vfork child's stack poison stays
# in the parent's shadow, and the parent's next instrumented call (the
# library's stat64) is reported as a stack overflow write - with no floor
# and no fleetguard run too (docs/TESTING.md).
mask_checks() {
	local who=$1; shift
	local FG_RUN_WRAP="$*"
	out=$(fgrun --policy "$POL" -- "$STATIC" "$WS/secrets/a.txt" 2> "$TMP/err"); rc=$?
	check "$who: static openat of a file in the denied directory reads nothing (rc $rc, $out)" \
		sh -c "[ $rc -ne 0 ] && ! echo '$out' | grep -q '^read'"
	check "$who: run names the floor in one line" \
		grep -q "floor: masking in a mount namespace (3 paths hidden" "$TMP/err"
	out=$(fgrun --policy "$POL" -- "$STATIC" "$WS/token" 2>&1); rc=$?
	check "$who: static openat of the denied file reads nothing (rc $rc, $out)" \
		sh -c "[ $rc -ne 0 ] && ! echo '$out' | grep -q '^read'"
	out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$RAW_OPEN" "$WS/secrets/a.txt" 2>&1); rc=$?
	check "$who: ctypes openat in the denied directory fails ($out)" \
		sh -c "[ $rc -ne 0 ] && ! echo '$out' | grep -q 'opened'"
	out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$RAW_OPEN" "$WS/.fleetguard/audit.log" 2>&1); rc=$?
	check "$who: ctypes openat of the audit log (in the write tree) fails ($out)" \
		sh -c "[ $rc -ne 0 ] && ! echo '$out' | grep -q 'opened'"
	out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$UMOUNT" "$WS/secrets" 2>&1); rc=$?
	check "$who: the mask cannot be unmounted ($out)" [ $rc -eq 3 ]
	out=$(fgrun --policy "$POL" -- sh -c "echo new > '$WS/new-$who.txt' && \"$STATIC\" '$WS/new-$who.txt' && cat '$WS/data.txt'" 2>&1); rc=$?
	check "$who: the workspace stays writable and readable ($out)" [ $rc -eq 0 ]
	fgrun --policy "$POL" -- cat "$WS/secrets/a.txt" > "$TMP/out" 2> "$TMP/err"; rc=$?
	check "$who: the library still answers cat with its line (rc $rc)" \
		sh -c "[ $rc -ne 0 ] && grep -q 'fleetguard: denied open' '$TMP/err' && ! grep -q secret '$TMP/out'"
}

mask_checks root
grep '"op":"landlock"' "$LOG" | tail -1 | grep -q '"floor":"masking","masked":3'
check "the landlock record names the floor and the count" [ $? -eq 0 ]
grep '"op":"open"' "$LOG" | grep -q '"path":"'"$WS"'/secrets/a.txt".*"decision":"deny"'
check "the library's denial is recorded through the masked audit directory" [ $? -eq 0 ]

# The audit log's key file in the workspace is masked like a deny path (the
# agent could otherwise read the key and forge the chain); its own log here,
# as policies sharing a log must share its key.
head -c 32 /dev/urandom > "$WS/audit.key"; chmod 600 "$WS/audit.key"
cat > "$WS/key.ini" <<EOF2
[filesystem]
write  = \${root}
deny   = \${root}/secrets, \${root}/token
kernel = on

[audit]
log = \${root}/.fg-keyed/audit.log
key_file = \${root}/audit.key
EOF2
out=$(fgrun --policy "$WS/key.ini" -- "$STATIC" "$WS/audit.key" 2> "$TMP/err"); rc=$?
check "the audit key file in the workspace is masked: static openat reads nothing (rc $rc, $out)" \
	sh -c "[ $rc -ne 0 ] && ! echo '$out' | grep -q '^read'"
check "run counts it among the hidden paths" \
	grep -q "floor: masking in a mount namespace (4 paths hidden" "$TMP/err"

NOBODY=65534
if [ "$(id -u)" != 0 ]; then
	skip_check "unprivileged: the classes again as a non-root user" "the tests do not run as root"
elif ! setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups unshare -Um true 2>/dev/null; then
	skip_check "unprivileged: the classes again as a non-root user" \
		"unprivileged user namespaces are disabled on this host"
else
	# a fresh log the unprivileged user owns
	rm -rf "$WS/.fleetguard"
	chmod 755 "$TMP"
	chown -R $NOBODY "$WS"
	# and audit daemon state of its own
	mkdir -p "$TMP/state-nobody"; chown $NOBODY "$TMP/state-nobody"
	mask_checks nobody setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		env XDG_STATE_HOME="$TMP/state-nobody"
fi
finish
