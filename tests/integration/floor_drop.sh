#!/bin/bash
# floor_drop.sh - under a root `fleetguard run --floor=supervisor`, an agent
# that drops to nobody (or drops groups, or capabilities, in one thread or
# all) meets the kernel's own file permissions on everything the supervisor
# does for it, exactly as natively: judged from outside against the same
# program run without fleetguard, and by the owners of what it made.
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
[ "$(id -u)" = 0 ] || skip_all "dropping credentials needs a root agent"
plan 26
ll_setup
chmod 755 "$TMP"        # the agent drops to nobody and still walks in
mkdir -p "$TMP/bin"
AGENT="$TMP/bin/floor_drop.py"
cp "$FG_TOP_SRCDIR/tests/integration/floor_drop.py" "$AGENT"
cp "$FG_TOP_BUILDDIR/tests/bin/cred_probe" "$TMP/bin/cred_probe"
chmod -R a+rX "$TMP/bin"

# fixture DIR: what the agent acts on, owned and moded as a system would have it
fixture() {
	mkdir -p "$1/rootdir" "$1/sticky" "$1/secrets"
	chmod 777 "$1"
	echo root-only > "$1/rootfile"; chmod 600 "$1/rootfile"
	echo nobody-only > "$1/nobodyfile"; chown 65534:65534 "$1/nobodyfile"
	chmod 600 "$1/nobodyfile"
	echo group > "$1/grpfile"; chown 0:4242 "$1/grpfile"; chmod 640 "$1/grpfile"
	echo f > "$1/rootdir/f"; chmod 755 "$1/rootdir"
	chmod 1777 "$1/sticky"; echo r > "$1/sticky/rootowned"
	echo denied > "$1/secrets/s.txt"; chmod 755 "$1/secrets"; chmod 644 "$1/secrets/s.txt"
	env -u LD_PRELOAD "$PYTHON3" -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])' \
		"$1/rootsock"
	chmod 600 "$1/rootsock"
}
# policy DIR: write DIR, deny DIR/secrets (so the supervisor has paths to take)
policy() {
	cat > "$TMP/$(basename "$1").ini" <<EOF
[filesystem]
write  = $1
read   = $TMP/bin
deny   = $1/secrets
kernel = on
[network]
allow  = unix:$1/rootsock
[audit]
log = $LOG
EOF
}
# agent HOW MODE: run the agent natively (native) or under a floor; its
# lines without the denied read (the policy's, not the kernel's) in OUT.MODE.HOW
agent() {
	local d="$TMP/$1-$2"
	fixture "$d"
	if [ "$1" = native ]; then
		(cd "$d" && env -u LD_PRELOAD "$PYTHON3" "$AGENT" "$2" "$d") > "$TMP/raw.$2.$1" 2>&1
	else
		policy "$d"
		(cd "$d" && fgrun --floor="$1" --policy "$TMP/$1-$2.ini" -- "$PYTHON3" "$AGENT" "$2" "$d") \
			> "$TMP/raw.$2.$1" 2> "$TMP/err.$2.$1"
	fi
	grep -v ' read-denied ' "$TMP/raw.$2.$1" > "$TMP/out.$2.$1"
}
# same MODE HOW: the floor's lines are the native ones
same() {
	if cmp -s "$TMP/out.$1.native" "$TMP/out.$1.$2"; then return 0; fi
	diag "native vs $2 ($1):" "$(diff "$TMP/out.$1.native" "$TMP/out.$1.$2")" \
		"stderr:" "$(head -5 "$TMP/err.$1.$2")"
	return 1
}
owner() { stat -c %u:%g "$1" 2>/dev/null; }
line() { grep -c "^$1 $2 $3\$" "$TMP/out.$4"; }

for m in plain drop groups capdrop thread child; do
	agent native $m
	agent supervisor $m
done
agent masking drop

D="$TMP/supervisor-drop"
check "natively, nobody cannot read a 0600 root file (the baseline)" \
	[ "$(line drop read-rootfile EACCES drop.native)" = 1 ]
check "dropped to nobody under the supervisor: every call as natively" same drop supervisor
check "... the 0600 root file unread: EACCES" \
	[ "$(line drop read-rootfile EACCES drop.supervisor)" = 1 ]
check "... what it creates is nobody's: file, directory, socket ($(owner "$D/made-drop") $(owner "$D/dir-drop") $(owner "$D/sock-drop"))" \
	[ "$(owner "$D/made-drop")" = 65534:65534 -a "$(owner "$D/dir-drop")" = 65534:65534 \
	  -a "$(owner "$D/sock-drop")" = 65534:65534 ]
check "... root's files stay: mode, the root-only directory, the sticky directory" \
	[ "$(stat -c %a "$D/rootfile")" = 600 -a -e "$D/rootdir/f" -a -e "$D/sticky/rootowned" \
	  -a ! -e "$D/rootdir/new-drop" -a ! -e "$D/link-drop" ]
check "... rename and unlink of root's file in a sticky directory: EPERM" \
	[ "$(line drop rename-sticky EPERM drop.supervisor)" = 1 \
	  -a "$(line drop unlink-sticky EPERM drop.supervisor)" = 1 ]
check "... a datagram to root's 0600 socket: EACCES, as natively (root: ECONNREFUSED)" \
	[ "$(line drop sendto-rootsock EACCES drop.supervisor)" = 1 \
	  -a "$(line plain sendto-rootsock ECONNREFUSED plain.supervisor)" = 1 ]
check "... chmod of root's file EPERM, a hard link to it EPERM (protected_hardlinks)" \
	[ "$(line drop chmod-rootfile EPERM drop.supervisor)" = 1 \
	  -a "$(line drop link-rootfile EPERM drop.supervisor)" = 1 ]
check "... and the deny still holds: the denied file EACCES" \
	grep -q '^drop read-denied EACCES$' "$TMP/raw.drop.supervisor"
check "under masking: the same as natively too" same drop masking

check "keeping supplementary group 4242: the group's file read, as natively" \
	eval 'same groups supervisor && [ "$(line groups read-grpfile ok groups.supervisor)" = 1 ]'
check "with setgroups([]): the group's file refused (EACCES)" \
	[ "$(line drop read-grpfile EACCES drop.supervisor)" = 1 ]

check "root that dropped CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (capset): as natively" \
	same capdrop supervisor
check "... nobody's 0600 file refused, root's own read" \
	[ "$(line capdrop read-nobodyfile EACCES capdrop.supervisor)" = 1 \
	  -a "$(line capdrop read-rootfile ok capdrop.supervisor)" = 1 ]

D="$TMP/supervisor-thread"
check "one thread drops with raw calls, the other stays root: as natively" same thread supervisor
check "... the dropped thread refused, the root thread reads" \
	[ "$(line dropped read-rootfile EACCES thread.supervisor)" = 1 \
	  -a "$(line root read-rootfile ok thread.supervisor)" = 1 ]
check "... each thread's creations are its own ($(owner "$D/made-dropped") $(owner "$D/made-root"))" \
	[ "$(owner "$D/made-dropped")" = 65534:65534 -a "$(owner "$D/made-root")" = 0:0 ]

D="$TMP/supervisor-child"
check "a child started after the drop: as natively ($(cat "$TMP/out.child.supervisor"))" same child supervisor
check "... it runs (the audit daemon still reached), creates as nobody, cannot read root's file" \
	[ "$(owner "$D/made-child")" = 65534:65534 \
	  -a "$(line child 0 'made unread ' child.supervisor)" = 1 ]

D="$TMP/supervisor-plain"
check "no change of credentials: every call as natively (root)" same plain supervisor
check "... root reads its 0600 file and what it creates is root's" \
	[ "$(line plain read-rootfile ok plain.supervisor)" = 1 -a "$(owner "$D/made-plain")" = 0:0 ]
check "... the deny holds" grep -q '^plain read-denied EACCES$' "$TMP/raw.plain.supervisor"

# a new user namespace: no capability counts outside it
if env -u LD_PRELOAD unshare -U true 2>/dev/null; then
	agent native userns
	agent supervisor userns
	check "after unshare(CLONE_NEWUSER): as natively (nobody's 0600 file refused)" \
		eval 'same userns supervisor && [ "$(line userns read-nobodyfile EACCES userns.supervisor)" = 1 ]'
else
	skip_check "after unshare(CLONE_NEWUSER)" "this host refuses user namespaces"
fi

# a static program, dropping with raw calls in its only thread
S="$TMP/static"
fixture "$S"
policy "$S"
out=$(cd "$S" && fgrun --floor=supervisor --policy "$TMP/static.ini" -- "$TMP/bin/cred_probe" \
	"$S/rootfile" "$S/made" 2> "$TMP/err.static" | tr '\n' ' ')
check "a static program that dropped: the 0600 root file EACCES ($out)" \
	[ "$out" = "drop ok read EACCES create ok " ]
check "... its new file is nobody's ($(owner "$S/made"))" [ "$(owner "$S/made")" = 65534:65534 ]
out=$(cd "$S" && fgrun --floor=supervisor --policy "$TMP/static.ini" -- "$TMP/bin/cred_probe" \
	"$S/secrets/s.txt" "$S/secrets/made" 2>/dev/null | tr '\n' ' ')
check "... the deny holds for it ($out)" \
	[ "$out" = "drop ok read EACCES create EACCES " -a ! -e "$S/secrets/made" ]
finish
