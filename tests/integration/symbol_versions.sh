# symbol_versions.sh - the library's link: hook versions as libc's (dlvsym finds them), no libcrypto at load.
# exports.sh - the library exports exactly the interposed names listed in
# docs/ARCHITECTURE.md (so the list cannot drift), and nothing of inih,
# OpenSSL or our internals.
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
plan 7
make_ws
libc=$(readlink -f "$(${CC:-cc} -print-file-name=libc.so.6)")
libssl=$(readlink -f "$(${CC:-cc} -print-file-name=libssl.so)")
# "NAME VERSION" for each defined dynamic symbol ("(V)" = a non-default version)
defs() { objdump -T "$1" | awk '$2 ~ /g|w/ && $4 != "*UND*" && NF >= 7 { print $NF, $(NF-1) }' | grep -v ' Base$' | sort -u; }
defs "$FG_LIB" > "$TMP/ours"
{ defs "$libc"; defs "$libssl"; } > "$TMP/libs"
awk '{ print $1 }' "$TMP/ours" | sort -u > "$TMP/names"
awk 'NR == FNR { n[$1] = 1; next } ($1 in n)' "$TMP/names" "$TMP/libs" | sort -u > "$TMP/want"
diag "versions libc has and the library lacks:" "$(comm -13 "$TMP/ours" "$TMP/want")"
diag "versions the library has and libc lacks:" "$(comm -23 "$TMP/ours" "$TMP/want")"
check "each hook has exactly the versions libc (libssl) exports it under ($(wc -l < "$TMP/want") name/version pairs)" \
	cmp -s "$TMP/ours" "$TMP/want"
check "older versions beside the default one: as many as libc's ($(grep -c '(' "$TMP/want"))" \
	sh -c "[ \$(grep -c '(' '$TMP/want') -eq \$(grep -c '(' '$TMP/ours') ]"

# start-up: libcrypto is loaded on first use only (shim/crypto_lazy.c)
needed=$(readelf -d "$FG_LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
check "the library does not load libcrypto at start ($needed)" \
	sh -c "! echo '$needed' | grep -q libcrypto"

cat > "$WS/fleetguard.ini" <<INI
[filesystem]
write = \${root}/work
kernel = off
INI
mkdir -p "$WS/work"
echo 'top secret' > "$TMP/secret"
ver=$(awk '$1 == "open" { print $2 }' "$TMP/want" | tr -d '()' | head -1)
out=$(fg "$WS/fleetguard.ini" "$FG_TOP_BUILDDIR/tests/bin/seal_attack" dlvsym "$ver" "$TMP/secret" 2>"$TMP/err")
check "C: dlvsym(RTLD_DEFAULT, \"open\", \"$ver\") gets the hook: the secret is unread ($out)" \
	[ "$out" = "refused EACCES" ]
check "C: ... and the denial is in the log" \
	grep -q "\"op\":\"open\",\"path\":\"$TMP/secret\".*\"decision\":\"deny\"" "$WS/.fleetguard/audit.log"
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.dlvsym.restype = ctypes.c_void_p
libc.dlvsym.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
p = libc.dlvsym(None, b'posix_spawn', b'$(awk '$1 == "posix_spawn" { print $2 }' "$TMP/want" | tr -d '()' | head -1)')
q = libc.dlvsym(None, b'open', b'$ver')
op = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int, use_errno=True)(q)
fd = op(b'$TMP/secret', 0)
print(fd, ctypes.get_errno(), p is not None)" 2>/dev/null)
check "Python: the dlvsym'd open is the hook ($out)" [ "$out" = "-1 13 True" ]
check "Python: ... and the denial is in the log (2 denials now)" \
	[ "$(grep -c "\"path\":\"$TMP/secret\".*\"decision\":\"deny\"" "$WS/.fleetguard/audit.log")" -eq 2 ]
finish
