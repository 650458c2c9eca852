# seal_launch.sh - the policy is sealed at launch: the attacks of issue 11, in Python and C.
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
plan 35
make_ws
ATK="$FG_TOP_BUILDDIR/tests/bin/seal_attack"
LOG="$WS/.fleetguard/audit.log"
mkdir -p "$WS/work" "$TMP/home/.ssh"
echo 'top secret' > "$TMP/secret"
echo 'ssh key' > "$TMP/home/.ssh/id"
# kernel = off: the library alone (the run-mode attack is further down)
cat > "$WS/fleetguard.ini" <<INI
[filesystem]
read = $TMP/home, $FG_TOP_BUILDDIR/tests/bin
write = \${root}/work
deny = \${HOME}/.ssh
kernel = off
INI
cp "$WS/fleetguard.ini" "$TMP/policy.orig"
export HOME="$TMP/home"

# denied PATH [N]: the log holds at least N (default 1) denials of PATH
denied() { [ "$(grep -c "\"path\":\"$1\".*\"decision\":\"deny\"" "$LOG")" -ge "${2:-1}" ]; }

# 1. the agent's own policy through FLEETGUARD_POLICY, then os.system()
printf '[filesystem]\nwrite = /\nkernel = off\n[audit]\nlog = %s/mine.log\n' "$WS/work" > "$WS/work/mine.ini"
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import os
os.environ['FLEETGUARD_POLICY'] = '$WS/work/mine.ini'
print(os.system('cat $TMP/secret'))" 2>"$TMP/err")
check "Python: FLEETGUARD_POLICY set to the agent's policy, then os.system: secret unread" \
	sh -c "[ '$out' != 0 ] && ! grep -q 'top secret' '$TMP/err' && grep -q 'denied open $TMP/secret' '$TMP/err'"
check "... the denial is in the launch-time log, the agent's log does not exist" \
	sh -c "grep -q '\"path\":\"$TMP/secret\".*\"decision\":\"deny\"' '$LOG' && [ ! -e '$WS/work/mine.log' ]"
out=$(fg "$WS/fleetguard.ini" env FLEETGUARD_POLICY="$WS/work/mine.ini" "$ATK" system "cat $TMP/secret" 2>/dev/null)
check "C: the same through env and system(): secret unread ($out)" [ "$out" = "status 256" ]

# 2. the agent rewrites the policy file
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import os
for how in ('write', 'rename', 'unlink', 'replace'):
    try:
        if how == 'write':
            open('$WS/fleetguard.ini', 'a').write('[network]\n')
        elif how == 'rename':
            os.rename('$WS/fleetguard.ini', '$WS/work/x.ini')
        elif how == 'unlink':
            os.unlink('$WS/fleetguard.ini')
        else:
            os.rename('$WS/work/mine.ini', '$WS/fleetguard.ini')
        print(how, 'done')
    except PermissionError:
        print(how, 'refused')
print(os.system('cat $TMP/secret'))" 2>/dev/null | tr '\n' ' ')
check "Python: write, rename, unlink and replace of the policy file are refused ($out)" \
	[ "$out" = "write refused rename refused unlink refused replace refused 256 " ]
check "... the file is unchanged" cmp -s "$WS/fleetguard.ini" "$TMP/policy.orig"
check "... each refusal is in the log" \
	[ "$(grep -c "\"$WS/fleetguard.ini\".*\"decision\":\"deny\"" "$LOG")" -ge 4 ]
# rewritten behind the library's back (here by the test, as raw system
# calls could) while the tree runs: the children still obey the seal
mkfifo "$TMP/go" "$TMP/ready"
fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import os, sys
print('ready', flush=True)
sys.stdin.readline()
print(os.system('cat $TMP/secret'), flush=True)" < "$TMP/go" > "$TMP/ready" 2>/dev/null &
exec 3> "$TMP/go" 4< "$TMP/ready"
read -r line <&4
printf '[filesystem]\nwrite = /\nkernel = off\n' > "$WS/fleetguard.ini"
echo go >&3
read -r line <&4
exec 3>&- 4<&-
wait
cp "$TMP/policy.orig" "$WS/fleetguard.ini"
check "a rewrite of the file while the tree runs changes nothing: the seal decides ($line)" \
	[ "$line" = 256 ]

# 3. del os.environ["LD_PRELOAD"]; os.system / popen
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import os
del os.environ['LD_PRELOAD']
print(os.system('cat $TMP/secret; echo \$LD_PRELOAD'))" 2>"$TMP/err")
check "Python: del LD_PRELOAD; os.system: secret unread, the child carries the library" \
	sh -c "! grep -q 'top secret' '$TMP/err' && grep -q 'denied open $TMP/secret' '$TMP/err'"
out=$(fg "$WS/fleetguard.ini" "$ATK" popen "cat $TMP/secret; echo ran" 2>/dev/null)
check "C: unsetenv LD_PRELOAD; popen: secret unread ($out)" [ "$out" = "popen read [ran
] status 0" ]
check "... both denials are in the log" denied "$TMP/secret" 5

# 4. posix_spawn with an open of a denied file in its file actions
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import os
try:
    pid = os.posix_spawn('/bin/cat', ['cat'], os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 0, '$TMP/secret', os.O_RDONLY, 0)])
    os.waitpid(pid, 0)
    print('spawned')
except PermissionError:
    print('refused')" 2>/dev/null)
check "Python: posix_spawn with POSIX_SPAWN_OPEN of a denied file is refused ($out)" [ "$out" = refused ]
out=$(fg "$WS/fleetguard.ini" "$ATK" spawn-open "$TMP/secret" 2>/dev/null)
check "C: posix_spawn_file_actions_addopen of a denied file is refused ($out)" [ "$out" = "refused EACCES" ]
out=$(cd "$WS/work" && echo ok > allowed && fg "$WS/fleetguard.ini" "$ATK" spawn-open allowed 2>/dev/null)
check "C: an allowed addopen still works ($out)" [ "$out" = ok ]
check "... the refused opens are in the log" denied "$TMP/secret" 7

# 5. another HOME or TMPDIR, or an empty environment, in a child
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import subprocess
r = subprocess.run(['cat', '$TMP/home/.ssh/id'], env={'HOME': '/nonexistent', 'PATH': '/usr/bin:/bin'},
                   capture_output=True, text=True)
print(r.returncode, 'ssh key' in r.stdout)" 2>/dev/null)
check "Python: a child with another HOME keeps the launch-time \${HOME}/.ssh denial ($out)" [ "$out" = "1 False" ]
out=$(fg "$WS/fleetguard.ini" env -i /bin/sh -c "echo alive; cat $TMP/home/.ssh/id" 2>/dev/null)
check "env -i: the child runs (no 126) and still denies \${HOME}/.ssh ($out)" [ "$out" = alive ]
out=$(fg "$WS/fleetguard.ini" env HOME=/ TMPDIR=/ "$ATK" system "cat $TMP/home/.ssh/id" 2>/dev/null)
check "C: HOME=/ TMPDIR=/ then system(): still denied ($out)" [ "$out" = "status 256" ]
check "... the denials are in the log" denied "$TMP/home/.ssh/id" 3

# 6. execveat(memfd, "", AT_EMPTY_PATH)
out=$(fg "$WS/fleetguard.ini" "$ATK" memfd "$FG_TOP_BUILDDIR/tests/bin/static_hello" 2>/dev/null)
check "C: execveat of a memfd holding a static program is refused ($out)" [ "$out" = "refused EACCES" ]
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import os
fd = os.memfd_create('payload', 0)
os.write(fd, open('/bin/cat', 'rb').read())
try:
    os.execve(fd, ['cat', '$TMP/secret'], dict(os.environ))
except PermissionError:
    print('refused')" 2>/dev/null)
check "Python: os.execve(memfd) (fexecve) is refused ($out)" [ "$out" = refused ]
check "... both are in the log" sh -c "[ \$(grep -c '\"op\":\"exec\",\"path\":\"/memfd:payload (deleted)\".*\"decision\":\"deny\"' '$LOG') -eq 2 ]"
printf '[filesystem]\nwrite = ${root}/work\nkernel = off\nunconfined_exec = allow\n' > "$WS/allow.ini"
out=$(LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/allow.ini" "$ATK" memfd /bin/echo hello 2>/dev/null)
check "unconfined_exec = allow: the memfd runs ($out)" [ "$out" = hello ]

# 7. an ELF whose PT_INTERP is a static program: a libc-free one that
# prints and exits (glibc's static start-up expects to be the program).
# PT_INTERP of /bin/true has room for 27 bytes: the name must fit.
SHORT=$(mktemp -d /tmp/fgi.XXXXXX)
cat > "$SHORT/i.c" <<'C'
void _start(void);
void _start(void)
{
	static const char m[] = "static hello\n";
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(1L), "D"(1L), "S"(m), "d"(sizeof(m) - 1)
			 : "rcx", "r11", "memory");
	__asm__ volatile("syscall" : : "a"(60L), "D"(0L));
	for (;;)
		;
}
C
if [ "$(uname -m)" = x86_64 ] && ${CC:-cc} -nostdlib -static -o "$SHORT/i" "$SHORT/i.c" 2>/dev/null; then
	"$PYTHON3" - "$WS/work/true" "$SHORT/i" <<'PY'
import shutil, struct, sys
out, interp = sys.argv[1], sys.argv[2].encode()
shutil.copy('/bin/true', out)
b = bytearray(open(out, 'rb').read())
phoff, = struct.unpack_from('<Q', b, 0x20)
phentsize, phnum = struct.unpack_from('<HH', b, 0x36)
for i in range(phnum):
    o = phoff + i * phentsize
    if struct.unpack_from('<I', b, o)[0] == 3:          # PT_INTERP
        off, = struct.unpack_from('<Q', b, o + 8)
        size, = struct.unpack_from('<Q', b, o + 32)
        assert len(interp) < size, 'interpreter path too long for the slot'
        b[off:off + size] = interp + b'\0' * (size - len(interp))
open(out, 'wb').write(b)
PY
	out=$("$WS/work/true"; echo " rc $?")
	check "without the library the patched ELF runs its static interpreter ($out)" [ "$out" = "static hello
 rc 0" ]
	out=$(fg "$WS/fleetguard.ini" /bin/sh -c "'$WS/work/true'; echo rc \$?" 2>"$TMP/err")
	check "an ELF whose PT_INTERP is a static program is refused ($out)" [ "$out" = "rc 126" ]
	check "... with the reason and a record" sh -c "grep -q 'interpreter is a static binary' '$TMP/err' && grep -q '\"op\":\"exec\",\"path\":\"$WS/work/true\".*\"decision\":\"deny\"' '$LOG'"
else
	for n in 1 2 3; do skip_check "PT_INTERP of a static program" "needs x86_64 and a C compiler"; done
fi
rm -rf "$SHORT"
cp "$FG_TOP_BUILDDIR/tests/bin/static_hello" "$WS/work/i"

# 8. a #! chain three deep ending in a static program, and one too deep
printf '#!%s\n' "$WS/work/s2" > "$WS/work/s1"
printf '#!%s\n' "$WS/work/s3" > "$WS/work/s2"
printf '#!%s\n' "$WS/work/i" > "$WS/work/s3"
for n in 1 2 3 4 5 6 7; do printf '#!%s\n' "$WS/work/d$((n + 1))" > "$WS/work/d$n"; done
printf '#!/bin/sh\necho deep\n' > "$WS/work/d8"
chmod +x "$WS"/work/s? "$WS"/work/d?
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import subprocess
try:
    subprocess.run(['$WS/work/s1'])
    print('ran')
except PermissionError:
    print('refused')" 2>"$TMP/err")
check "Python: a #! chain three deep ending in a static program is refused ($out)" [ "$out" = refused ]
check "... with a record" grep -q "\"op\":\"exec\",\"path\":\"$WS/work/s1\".*\"decision\":\"deny\"" "$LOG"
out=$(fg "$WS/fleetguard.ini" /bin/sh -c "'$WS/work/d1'; echo rc \$?" 2>"$TMP/err")
check "a #! chain deeper than the kernel follows is refused, not assumed safe ($out)" \
	sh -c "[ '$out' = 'rc 126' ] && grep -q 'deeper than the kernel follows' '$TMP/err'"
out=$(fg "$WS/fleetguard.ini" /bin/sh -c "'$WS/work/d5'" 2>&1)
check "a chain of four scripts ending in /bin/sh runs ($out)" [ "$out" = deep ]

# 9. the sealed descriptor itself
out=$(fg "$WS/fleetguard.ini" "$ATK" sealfd 2>/dev/null | tr '\n' ' ')
check "C: close, dup2, dup3 and FD_CLOEXEC on the sealed descriptor are refused ($out)" \
	[ "$out" = "close -1 EBADF dup2 -1 EBADF dup3 -1 EBADF cloexec -1 EBADF after close_range: open " ]
out=$(fg "$WS/fleetguard.ini" "$PYTHON3" -c "
import os, subprocess
try:
    os.close(1021)
except OSError as e:
    print('close', e.errno)
os.closerange(3, 4096)
print(subprocess.run(['/bin/true'], close_fds=True).returncode)" 2>/dev/null | tr '\n' ' ')
check "Python: os.close refused, closerange and close_fds children keep it ($out)" [ "$out" = "close 9 0 " ]
out=$(fg "$WS/fleetguard.ini" "$ATK" closefrom 2>/dev/null)
check "C: a child spawned with addclosefrom_np(3) still finds the seal ($out)" [ "$out" = "spawn 0 status 0" ]
# close() is refused quietly (bulk closers hit it by design); dup2, dup3
# and FD_CLOEXEC are recorded
check "... the refusals are in the log" \
	sh -c "[ \$(grep -c 'fleetguard-policy (descriptor 1021)\".*\"decision\":\"deny\"' '$LOG') -ge 3 ]"

# 10. a sealed tree without a valid seal fails closed
must_fail 126 env FLEETGUARD_SEALED=1 LD_PRELOAD="$FG_PRELOAD" FLEETGUARD_POLICY="$WS/allow.ini" /bin/true 2>"$TMP/err"
check "the seal hint without the descriptor: exit 126, one line" \
	sh -c "[ \$? -eq 0 ] && [ \$(wc -l < '$TMP/err') -eq 1 ] && grep -q 'no sealed policy at descriptor 1021' '$TMP/err'"
out=$("$PYTHON3" -c "
import os, subprocess
fd = os.memfd_create('fleetguard-policy', os.MFD_ALLOW_SEALING)
os.write(fd, open('/proc/self/exe', 'rb').read(4096))
os.dup2(fd, 1021, inheritable=True)
r = subprocess.run(['/bin/true'], pass_fds=[1021], stderr=subprocess.PIPE, text=True,
                   env=dict(os.environ, LD_PRELOAD='$FG_PRELOAD', FLEETGUARD_POLICY='$WS/allow.ini'))
print(r.returncode, r.stderr.strip())" 2>&1)
check "a forged, unsealed memfd at 1021 is refused, whatever FLEETGUARD_POLICY says ($out)" \
	[ "$out" = "126 fleetguard: descriptor 1021 carries seals 0, not 0xf; refusing to run (the policy is sealed when the process tree starts)" ]
finish
