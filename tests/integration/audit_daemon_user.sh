#!/bin/sh
# audit_daemon_user.sh - [audit] daemon_user: root starts fg-auditd as a
# user of its own, the agent runs as another uid (library only, no
# Landlock), and that uid can neither read the signing key nor touch the
# log or the witness file, even without the library; the log verifies, and
# an agent that is not root cannot start such a daemon itself.
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

[ "$(id -u)" -eq 0 ] || skip_all "needs root (useradd, and starting a daemon as another user)"
command -v useradd > /dev/null && command -v setpriv > /dev/null || skip_all "useradd or setpriv missing"
V="$FG_BIN/fleetguard-verify"
make_ws
plan 11
# a throwaway user for the daemon; the agent runs as nobody
DUSER="fgad$$"
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$DUSER" ||
	{ echo "Bail out! useradd $DUSER failed"; exit 1; }
keep=
trap '[ -n "$keep" ] && kill $keep 2>/dev/null; sleep 0.3; userdel "$DUSER" 2>/dev/null; rm -rf "$TMP"' EXIT
AGENT="setpriv --reuid=65534 --regid=65534 --clear-groups --"
duid=$(id -u "$DUSER")
chmod 755 "$TMP"
chown 65534:65534 "$WS"
# the log and the daemon's state in directories of the daemon's user: the
# agent's uid may reach the socket, nothing else
install -d -o "$DUSER" -m 0711 "$TMP/logs"
install -d -o "$DUSER" -m 0700 "$TMP/fgstate"
LOG="$TMP/logs/audit.log"
cat > "$WS/p.ini" <<INI
[filesystem]
system = yes
write = \${root}
kernel = off

[audit]
log = $LOG
state_dir = $TMP/fgstate
daemon_user = $DUSER
checkpoint_every = 5
INI
chmod 644 "$WS/p.ini"
cd "$WS" || exit 1

check "fleetguard check shows the daemon's user and uid" sh -c "
	'$FG_BIN/fleetguard' check '$WS/p.ini' 2>&1 | grep -q 'daemon_user = $DUSER   ; uid $duid' ||
	'$FG_BIN/fleetguard' check --json '$WS/p.ini' 2>&1 | grep -q '\"daemon_uid\": $duid'"

# an agent that is not root cannot start the daemon (it would own its key)
$AGENT env LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/p.ini" /bin/true 2> "$TMP/err"
rc=$?
check "a non-root agent with no daemon running fails closed (126), saying why" sh -c "
	[ $rc -eq 126 ] && grep -q 'only root can start one as daemon_user .$DUSER.' '$TMP/err'"

# root launches; the daemon becomes $DUSER, the agent becomes nobody
LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/p.ini" $AGENT sleep 60 &
keep=$!
wait_until 10 test -S "$LOG.sock"
LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/p.ini" $AGENT "$PYTHON3" -c '
for i in range(12):
    open("f%d.txt" % i, "w").write("x")
try:
    open("'"$TMP"'/fgstate/audit/signing.key").read()
    print("READ")
except PermissionError:
    print("refused")' > "$TMP/agent.out" 2> "$TMP/agent.err"
check "the agent ran as nobody and wrote its files" sh -c "
	[ \"\$(stat -c %u '$WS/f11.txt')\" = 65534 ] && grep -q refused '$TMP/agent.out'"
FLEETGUARD_POLICY="$WS/p.ini" "$FG_BIN/fleetguard" status > "$TMP/status" 2>&1
dpid=$(sed -n 's/.*audit daemon pid \([0-9]*\).*/\1/p' "$TMP/status" | head -n 1)
check "fg-auditd runs as $DUSER (uid $duid), fleetguard status reaches it" \
	sh -c "[ -n '$dpid' ] && [ \"\$(ps -o uid= -p '$dpid' | tr -d ' ')\" = $duid ]"
check "the signing key is $DUSER's, mode 0600" \
	sh -c "[ \"\$(stat -c %U:%a '$TMP/fgstate/audit/signing.key')\" = $DUSER:600 ]"
# what the agent's uid can do with no library at all (a static binary, raw calls)
check "the agent's uid cannot read the signing key, even without the library" \
	sh -c "! $AGENT cat '$TMP/fgstate/audit/signing.key' > /dev/null 2>&1"
check "nor truncate or append to the log" \
	sh -c "! $AGENT sh -c ': > \"$LOG\"' 2>/dev/null && ! $AGENT sh -c 'echo x >> \"$LOG\"' 2>/dev/null"
check "nor read or rewrite the witness file" \
	sh -c "! $AGENT sh -c 'cat $TMP/fgstate/audit/*.witness' > /dev/null 2>&1"
kill $keep 2>/dev/null
keep=
wait_until 10 sh -c "[ ! -e '$LOG.sock' ]"
check "records carry the agent's uid (65534), from the kernel" \
	grep -q '"uid":65534,.*"path":"[^"]*/f11.txt"' "$LOG"
witness=$(ls "$TMP"/fgstate/audit/*.witness)
"$V" --witness "$witness" --pubkey "$TMP/fgstate/audit/signing.pub" "$LOG" > "$TMP/verify" 2>&1
check "fleetguard-verify: intact, the daemon's checkpoints agree" \
	grep -q 'signed checkpoints agree' "$TMP/verify"
check "the log and its directory belong to $DUSER" \
	sh -c "[ \"\$(stat -c %U '$LOG')\" = $DUSER ] && [ \"\$(stat -c %a '$LOG')\" = 600 ]"
finish
