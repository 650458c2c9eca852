# landlock_lib.sh - shared set-up of the kernel enforcement tests.
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

STATIC="$FG_TOP_BUILDDIR/tests/static_openat"
NO_LANDLOCK="$FG_TOP_BUILDDIR/tests/no_landlock"
VERIFY="$FG_TOP_BUILDDIR/fleetguard-verify"

# Every script here runs fleetguard run (fgrun, tests/lib.sh): prove first
# that it loads the library under test.
fg_prove_run

# need_landlock [ABI]: skip the whole script on a kernel without it.
need_landlock() {
	LL_ABI=$(landlock_abi)
	[ "$LL_ABI" -ge "${1:-1}" ] 2>/dev/null ||
		skip_all "this kernel has no Landlock ABI >= ${1:-1} (it reports $LL_ABI)"
}

# ll_setup: a workspace $WS with its policy $POL (write = the workspace,
# kernel = $KERNEL or auto, the audit log in $TMP/audit, outside the
# workspace), and a file outside it, $SECRET.
ll_setup() {
	make_ws
	mkdir -p "$TMP/outside" "$TMP/audit"
	SECRET="$TMP/outside/secret.txt"
	echo "top secret" > "$SECRET"
	LOG="$TMP/audit/audit.log"
	POL="$WS/fleetguard.ini"
	ll_policy "$POL" "${KERNEL:-auto}"
}

# ll_policy FILE KERNEL [EXTRA-LINES]: write a workspace policy.
ll_policy() {
	cat > "$1" <<EOF
[filesystem]
write  = \${root}
kernel = $2
$3
[audit]
log = $LOG
EOF
}

# A raw openat through libc's own syscall() (looked up in libc.so.6, so the
# preloaded syscall() hook is not in the way): exit 0 read, 3 EACCES, 4 other.
RAW_OPEN='
import ctypes, os, platform, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
nr = {"x86_64": 257, "aarch64": 56}[platform.machine()]
fd = libc.syscall(nr, -100, sys.argv[1].encode(), os.O_RDONLY)
if fd >= 0:
    print("opened"); sys.exit(0)
err = ctypes.get_errno()
print(os.strerror(err)); sys.exit(3 if err == 13 else 4)
'
