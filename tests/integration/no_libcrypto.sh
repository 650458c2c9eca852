#!/bin/bash
# no_libcrypto.sh - the preloaded library and the audit client never link libcrypto, whatever the compiler's --as-needed default.
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

# Loading libcrypto costs an agent more than the rest of the library's
# start-up, and its symbols would meet the host program's own OpenSSL: the
# daemon hashes, the library forwards the few calls it has
# (shim/crypto_lazy.c).  Debian's gcc links with --as-needed except under
# -fsanitize, so a -lcrypto on the link line showed only in the sanitizer
# build: the checks here look at the link itself, not only its result.

. "$FG_TOP_SRCDIR/tests/lib.sh"
fg_prove_run
plan 10
make_ws

needed=$(readelf -d "$FG_LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
check "libfleetguard.so needs no libcrypto or libssl ($needed)" \
	sh -c "! echo '$needed' | grep -q -e libcrypto -e libssl"
deps=$(ldd "$FG_LIB" 2>&1 | awk '{ print $1 }' | tr '\n' ' ')
check "nor does anything it loads (ldd: $deps)" \
	sh -c "! echo '$deps' | grep -q -e libcrypto -e libssl"
la="$FG_TOP_BUILDDIR/libfleetguard.la"
dl=$(sed -n "s/^dependency_libs='\(.*\)'/\1/p" "$la")
check "no -lcrypto was on its link line (libfleetguard.la: $dl)" \
	sh -c "[ -f '$la' ] && ! echo '$dl' | grep -q -e -lcrypto -e -lssl"
dl=$(sed -n "s/^dependency_libs='\(.*\)'/\1/p" "$FG_TOP_BUILDDIR/libfgaudit.la")
check "libfgaudit.la hands no -lcrypto on to what links it ($dl)" \
	sh -c "! echo '$dl' | grep -q -e -lcrypto"

# the client side of the audit module (what the agent's process runs to
# reach the daemon) calls no OpenSSL function at all
bad=
for o in client wire; do
	obj="$FG_TOP_BUILDDIR/audit/.libs/libfgaudit_la-$o.o"
	[ -f "$obj" ] || obj="$FG_TOP_BUILDDIR/audit/libfgaudit_la-$o.o"
	[ -f "$obj" ] || { bad="$bad $o.o(missing)"; continue; }
	u=$(nm -u "$obj" | awk '{ print $2 }' | grep -E '^(EVP|OSSL|PEM|HMAC|SHA[0-9]|CRYPTO|ERR|OPENSSL)_')
	[ -z "$u" ] || bad="$bad $o.o:$(echo $u)"
done
check "the audit client's objects call no OpenSSL function (${bad:-none})" [ -z "$bad" ]

needed=$(readelf -d "$FG_TOP_BUILDDIR/fleetguard" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
check "the fleetguard command needs no libcrypto either: run never hashes with it ($needed)" \
	sh -c "! echo '$needed' | grep -q -e libcrypto -e libssl"

# and at run time: an agent whose records the daemon writes never maps it.
# Without fleetguard run, the first process of a tree hashes the policy
# file once as it seals it (env here); every descendant reads the hash from
# the seal, and the gateway's key is made from it.
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
write = \${root}
kernel = off
INI
MAPS='
open("made", "w").write("x")
print(open("/proc/self/maps").read())'
(cd "$WS" && fg "$WS/fleetguard.ini" env "$PYTHON3" -c "$MAPS") > "$TMP/maps" 2> "$TMP/err"
diag "$(cat "$TMP/err")" "$(grep -e libfleetguard -e libcrypto "$TMP/maps" | awk '{ print $6 }' | sort -u)"
check "a Python agent under the library writes records without mapping libcrypto" \
	sh -c "grep -q libfleetguard '$TMP/maps' && ! grep -q libcrypto '$TMP/maps' &&
	       grep -q '\"op\":\"open\",\"path\":\"$WS/made\"' '$WS/.fleetguard/audit.log'"
(cd "$WS" && FLEETGUARD_QUIET=1 fgrun --policy "$WS/fleetguard.ini" -- "$PYTHON3" -c "$MAPS") \
	> "$TMP/maps" 2> "$TMP/err"
check "under fleetguard run, not even the first agent process maps it" \
	sh -c "grep -q libfleetguard '$TMP/maps' && ! grep -q libcrypto '$TMP/maps'"
"$FG_TOP_BUILDDIR/fleetguard-verify" "$WS/.fleetguard/audit.log" > "$TMP/v" 2>&1
check "and its log verifies ($(head -c 120 "$TMP/v"))" [ $? -eq 0 ]
# fleetguard log hashes: it loads libcrypto on first use
FLEETGUARD_QUIET=1 "$FG_TOP_BUILDDIR/fleetguard" log "$WS/.fleetguard/audit.log" \
	> "$TMP/l" 2>&1
rc=$?
check "fleetguard log (chain checked first) loads libcrypto when it needs it (rc $rc: $(head -c 120 "$TMP/l"))" \
	[ $rc -eq 0 ]
finish
