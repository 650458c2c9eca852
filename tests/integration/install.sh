#!/bin/bash
# install.sh - "make install-data DESTDIR=..." puts the sample policies where
# fleetguard.ini(5) says they are, and they pass fleetguard check there.
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
plan 4
make_ws
D="$TMP/dest"
${MAKE:-make} -s -C "$FG_TOP_BUILDDIR" install-data DESTDIR="$D" > "$TMP/out" 2>&1 ||
	{ cat "$TMP/out"; echo "Bail out! make install-data failed"; exit 1; }
pol=$(find "$D" -path '*/examples/policies/coding-agent.ini')
diag "installed: $pol"
check "the sample policies are installed under \$(docdir)/examples/policies" \
	sh -c "[ -n '$pol' ] && [ -f '$(dirname "$pol")/readonly-analysis.ini' ] &&
	       case '$pol' in */share/doc/fleetguard/examples/policies/coding-agent.ini) true;; *) false;; esac"
check "the man page names that place" \
	grep -q 'share/doc/fleetguard/examples/policies/coding\\-agent.ini' "$FG_TOP_SRCDIR/man/fleetguard.ini.5"
check "the installed policies pass fleetguard check" \
	sh -c "'$FG_BIN/fleetguard' check '$pol' > /dev/null && '$FG_BIN/fleetguard' check '$(dirname "$pol")/readonly-analysis.ini' > /dev/null"
check "the demo workspace's policy is installed beside them" \
	test -f "$(dirname "$(dirname "$pol")")/workspace/fleetguard.ini"
finish
