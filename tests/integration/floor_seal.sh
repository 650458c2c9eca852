#!/bin/bash
# floor_seal.sh - under fleetguard run the seccomp filter keeps the sealed
# policy at descriptor 1021 against raw calls (close, dup2, dup3, F_SETFD,
# FIOCLEX: EBADF; close_range spanning it: ENOSYS, so libc closes one by one),
# from a static binary and from ctypes alike, and the policy file in a write
# tree is read-only to raw calls (masking: a read-only bind; the supervisor:
# refused as one of fleetguard's own files).  Judged from outside: what 1021
# holds after the call, the policy file's bytes.
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
plan 19
ll_setup
RAW="$WS/seal_raw"
cp "$FG_TOP_BUILDDIR/tests/bin/seal_raw" "$RAW"
cd "$WS" || exit 1
SEAL="1021 /memfd:fleetguard-policy (deleted) keep"

out=$(fg "$POL" sh -c 'exec "$1" close' sh "$RAW" 2>/dev/null | head -1)
check "gap: under the library alone a static program closes the seal ($out)" [ "$out" = "close ok" ]

for call in close dup2 dup3 setfd fioclex; do
	out=$(fgrun --policy "$POL" -- "$RAW" $call 2>/dev/null | tr '\n' ' '); rc=${PIPESTATUS[0]}
	check "static raw $call on 1021: EBADF, the seal stays, kept across exec ($out)" \
		[ "$out" = "$call EBADF $SEAL " ]
done
for call in close_range cloexec_range; do
	out=$(fgrun --policy "$POL" -- "$RAW" $call 2>/dev/null | tr '\n' ' ')
	check "static raw $call over 1021: ENOSYS, the seal stays ($out)" \
		[ "$out" = "$call ENOSYS $SEAL " ]
done

CTYPES='
import ctypes, os, subprocess, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
r = [libc.syscall(3, 1021), libc.syscall(33, 0, 1021), libc.syscall(436, 3, 0xffffffff, 0)]
print(r, subprocess.run(["readlink", "/proc/self/fd/1021"], capture_output=True,
                        text=True, close_fds=True).stdout.strip())
'
out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$CTYPES" 2>/dev/null)
check "ctypes close, dup2, close_range on 1021 fail; a child still gets the seal ($out)" \
	[ "$out" = "[-1, -1, -1] /memfd:fleetguard-policy (deleted)" ]
out=$(fgrun --policy "$POL" -- sh -c 'exec 3>&-; ls -l /proc/self/fd/1021' 2>/dev/null)
check "a shell's own redirections still work under the rules ($out)" \
	sh -c "echo '$out' | grep -q fleetguard-policy"

# --- the policy file in the write tree -----------------------------------
mkdir -p "$WS/secrets"
echo secret > "$WS/secrets/a"
ll_policy "$POL" auto "deny = \${root}/secrets"
before=$(sha256sum < "$POL")
cp "$POL" "$WS/copy.ini"
out=$(fg "$WS/copy.ini" "$RAW" write "$WS/copy.ini" 2>/dev/null); rc=$?
check "gap: under the library alone a static program appends to the policy file ($out)" \
	[ "$rc" -eq 0 ]
out=$(fgrun --floor=masking --policy "$POL" -- "$RAW" write "$POL" 2> "$TMP/err"); rc=$?
if grep -q "cannot enter a mount namespace" "$TMP/err"; then
	skip_check "masking: the policy file read-only" "no user namespaces here"
else
	check "masking: a raw write to the policy file fails with EROFS ($out)" \
		[ "$rc" -eq 3 -a "$out" = "write EROFS" ]
fi
out=$(fgrun --floor=supervisor --policy "$POL" -- "$RAW" write "$POL" 2>/dev/null); rc=$?
check "supervisor: a raw write to the policy file is refused ($out)" \
	[ "$rc" -eq 3 -a "$out" = "write EACCES" ]
check "and from outside: the policy file is unchanged" [ "$(sha256sum < "$POL")" = "$before" ]
out=$(fgrun --floor=masking --policy "$POL" -- "$RAW" write "$WS/copy.ini" 2>/dev/null); rc=$?
check "masking: other files of the write tree stay writable ($out)" [ "$rc" -eq 0 ]
out=$(fgrun --floor=masking --policy "$POL" -- "$PYTHON3" -c 'print(open("fleetguard.ini").read().count("deny"))' 2>/dev/null)
check "masking: the policy file stays readable ($out)" [ "$out" = 1 ]

# --- real multiprocessing with the spawn start method ---------------------
# its children close every descriptor but a few (close_range(3, 2) fails
# when 3 is kept, so CPython walks /proc/self/fd and closes each): the
# vfork child must see its own /proc/self, and close(1021) is answered
# EBADF quietly, the seal kept
cat > "$WS/mp_spawn.py" <<'PY'
import multiprocessing as mp, os
def sq(x):
    return x * x, os.readlink("/proc/self/fd/1021")
if __name__ == "__main__":
    mp.set_start_method("spawn")
    with mp.Pool(2) as p:
        r = p.map(sq, range(5))
    print([a for a, _ in r], len({b for _, b in r}), r[0][1])
PY
want="[0, 1, 4, 9, 16] 1 /memfd:fleetguard-policy (deleted)"
cat > "$WS/mp.ini" <<EOF
[filesystem]
write  = \${root}, /dev/shm
deny   = \${root}/secrets
kernel = auto
[audit]
log = $LOG
EOF
for floor in masking supervisor; do
	out=$(fgrun --floor=$floor --policy "$WS/mp.ini" -- "$PYTHON3" "$WS/mp_spawn.py" 2> "$TMP/err")
	if [ $floor = masking ] && grep -q "cannot enter a mount namespace" "$TMP/err"; then
		skip_check "masking: multiprocessing spawn" "no user namespaces here"
		continue
	fi
	check "--floor=$floor: multiprocessing spawn works, the workers hold the seal, no denial line ($out)" \
		sh -c "[ '$out' = '$want' ] && ! grep -q denied '$TMP/err'"
done
out=$(fg "$WS/mp.ini" "$PYTHON3" "$WS/mp_spawn.py" 2> "$TMP/err")
check "the library alone: the same, no denial line ($out)" \
	sh -c "[ '$out' = '$want' ] && ! grep -q denied '$TMP/err'"
finish
