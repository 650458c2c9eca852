#!/bin/sh
# audit_auditd_args.sh - fg-auditd refuses each bad argument with a message naming it and a non-zero exit, and says why it cannot serve (no such user, cannot switch, bad witness or forward) on the ready pipe and stderr.
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

D="$FG_BIN/fg-auditd"
make_ws
plan 24
LOG="$WS/audit.log"
export XDG_STATE_HOME="$TMP/state"

# bad WANT ARGS...: fg-auditd ARGS exits 2, prints WANT (a fixed string) and
# the usage on stderr, and has made no log and no socket
bad() {
	local want=$1 rc; shift
	"$D" "$@" > "$TMP/out" 2> "$TMP/err" < /dev/null; rc=$?
	[ "$rc" -eq 2 ] || { diag "exit $rc for $*"; return 1; }
	grep -qF -- "$want" "$TMP/err" || { diag "stderr for $*:"; diag "$(cat "$TMP/err")"; return 1; }
	grep -q '^usage: fg-auditd --log PATH --ready FD' "$TMP/err" &&
		[ ! -e "$LOG" ] && [ ! -e "$LOG.sock" ]
}

check "--ready x" bad "fg-auditd: --ready 'x': expected a descriptor number" --log "$LOG" --ready x
check "--ready -1" bad "--ready '-1': expected a descriptor number" --log "$LOG" --ready -1
check "--ready past INT_MAX" bad "--ready '2147483648'" --log "$LOG" --ready 2147483648
check "--ready empty" bad "--ready '': expected" --log "$LOG" --ready ''
check "--fsync 3" bad "--fsync '3': expected 0 (batch), 1 (always) or 2 (never)" --log "$LOG" --ready 1 --fsync 3
check "--fsync always (a word)" bad "--fsync 'always'" --log "$LOG" --ready 1 --fsync always
check "--max-size -5 (strtoull alone would take it as 2^64-5)" \
	bad "--max-size '-5': expected a size in bytes" --log "$LOG" --ready 1 --max-size -5
check "--max-size 10k" bad "--max-size '10k'" --log "$LOG" --ready 1 --max-size 10k
check "--max-size past 2^64" bad "--max-size '18446744073709551616'" --log "$LOG" --ready 1 \
	--max-size 18446744073709551616
check "--checkpoint-every 0" bad "--checkpoint-every '0': expected a count from 1 to 4294967295" \
	--log "$LOG" --ready 1 --checkpoint-every 0
check "--checkpoint-every 2^32" bad "--checkpoint-every '4294967296'" --log "$LOG" --ready 1 \
	--checkpoint-every 4294967296
check "an unknown option is named (by getopt)" bad "unrecognized option '--bogus'" \
	--log "$LOG" --ready 1 --bogus
check "an option without its value is named" bad "option '--state' requires an argument" \
	--log "$LOG" --ready 1 --state
check "an operand" bad "unexpected argument 'extra'" --log "$LOG" --ready 1 extra
check "no --log" bad "--log PATH is required" --ready 1
check "an empty --log" bad "--log PATH is required" --log '' --ready 1
check "no --ready" bad "--ready FD is required" --log "$LOG"

# cannot serve: exit 1, the reason on the ready descriptor (here stdout) and stderr
cannot() {
	local want=$1 rc; shift
	"$@" > "$TMP/out" 2> "$TMP/err" < /dev/null; rc=$?
	[ "$rc" -eq 1 ] || { diag "exit $rc for $*"; diag "$(cat "$TMP/err")"; return 1; }
	grep -qF -- "$want" "$TMP/out" && grep -qF -- "fg-auditd: $want" "$TMP/err" ||
		{ diag "out: $(cat "$TMP/out")" "err: $(cat "$TMP/err")"; return 1; }
}
check "--user that does not exist" \
	cannot "daemon_user 'fg-no-such-user': no such user" "$D" --log "$LOG" --ready 1 --user fg-no-such-user
check "--user root, started by nobody: only root may" \
	cannot "daemon_user 'root': only root can start the daemon as another user" \
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$D" --log "$LOG" --ready 1 --user root
if unshare -r true 2> /dev/null; then
	# root in a user namespace where setgroups is denied: the switch fails,
	# and the daemon does not go on as root
	check "--user nobody where the switch is refused: cannot switch, says why" \
		cannot "daemon_user 'nobody': cannot switch to it: Operation not permitted" \
		unshare -r "$D" --log "$LOG" --ready 1 --user nobody
else
	skip_check "--user nobody where the switch is refused" "no user namespaces"
fi
check "no log and no socket were made by any of these" [ ! -e "$LOG" -a ! -e "$LOG.sock" ]
check "--witness with an unknown word" \
	cannot "witness 'carrier-pigeon': unknown (expected file" "$D" --log "$LOG" --ready 1 \
	--witness carrier-pigeon --state "$TMP/st"
check "--forward that is not syslog+tcp://HOST:PORT" \
	cannot "forward 'udp://h:1': expected syslog+tcp://HOST:PORT" "$D" --log "$LOG" --ready 1 \
	--forward udp://h:1 --state "$TMP/st"
# a ready descriptor that is not open: the reason still reaches stderr
: > "$TMP/file"
"$D" --log "$TMP/file/audit.log" --ready 9 > "$TMP/out" 2> "$TMP/err" < /dev/null
check "a log under a regular file, the ready descriptor not open: exit 1, the reason on stderr" \
	sh -c "[ $? = 1 ] && grep -q '^fg-auditd: .*$TMP/file.*Not a directory' '$TMP/err'"
finish
