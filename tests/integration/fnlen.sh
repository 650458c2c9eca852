#!/bin/bash
# fnlen.sh - no product function is longer than 80 lines, and the checker that says so can fail.
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
plan 5
make_ws
fnlen="$PYTHON3 $FG_TOP_SRCDIR/tests/fnlen.py"

# body LINES: a function of exactly LINES lines (name line to closing brace),
# with the things that must not confuse the count: braces in strings,
# comments and an initializer before it.
fixture() {
	{
		echo 'static const int tab[] = { 1, 2 };'
		echo 'struct s { int a; };'
		echo '/* { not a brace */'
		echo 'static int'
		echo 'long_one(int a,'
		echo '	 int b)'
		echo '{'
		for _ in $(seq $(($1 - 5))); do echo '	a += b; /* } */ (void)"}{";'; done
		echo '	return a;'
		echo '}'
		echo 'int short_one(void) { return tab[0]; }'
	} > "$2"
}
fixture 80 "$TMP/ok.c"
fixture 81 "$TMP/long.c"
check "a function of 80 lines passes" $fnlen "$TMP/ok.c"
out=$($fnlen "$TMP/long.c"); rc=$?
diag "$out"
check "a function of 81 lines fails (exit 1)" [ "$rc" -eq 1 ]
check "and is named with its file, line and length" \
	[ "$out" = "$TMP/long.c:5: long_one is 81 lines (limit 80)" ]
out=$($fnlen); rc=$?
diag "$out"
check "no function in the product folders is over 80 lines" [ "$rc" -eq 0 ]
check "--max 5 finds the tree's functions (the parser sees them)" \
	[ "$($fnlen --max 5 | wc -l)" -gt 100 ]
finish
