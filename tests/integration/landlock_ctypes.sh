#!/bin/bash
# landlock_ctypes.sh - a Python agent calling libc's syscall() through
# ctypes, past the preloaded hook: only the kernel can refuse it.
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
plan 6
ll_setup
ll_policy "$WS/off.ini" off

out=$(fg "$WS/off.ini" "$PYTHON3" -c "$RAW_OPEN" "$SECRET" 2>&1); rc=$?
check "gap: LD_PRELOAD alone, kernel = off: the raw call reads outside ($out)" [ $rc -eq 0 ]

out=$(fg "$WS/off.ini" "$PYTHON3" -c "${RAW_OPEN/\"libc.so.6\"/None}" "$SECRET" 2>&1); rc=$?
check "the library's own syscall() hook refuses the same call ($rc)" \
	sh -c "[ $rc -eq 3 ] && echo '$out' | grep -q 'fleetguard: denied'"

out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$RAW_OPEN" "$SECRET" 2> "$TMP/err"); rc=$?
check "fleetguard run: the kernel refuses the raw call with EACCES ($out)" [ $rc -eq 3 ]
check "fleetguard run: no library denial line (it was the kernel)" \
	sh -c "! grep -q 'fleetguard: denied' '$TMP/err'"

out=$(fg "$POL" "$PYTHON3" -c "$RAW_OPEN" "$SECRET" 2>&1); rc=$?
check "LD_PRELOAD alone, kernel = auto: the constructor's domain refuses it ($out)" [ $rc -eq 3 ]

out=$(fgrun --policy "$POL" -- "$PYTHON3" -c "$RAW_OPEN" "$WS/fleetguard.ini" 2>&1); rc=$?
check "fleetguard run: the raw call still reads in the workspace ($out)" [ $rc -eq 0 ]
finish
