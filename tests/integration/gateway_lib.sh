# gateway_lib.sh - helpers for the gateway tests: its port, its pid, stopping it.
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

# Source after breaker_lib.sh; the policy's state_dir is $TMP/state.

GW_BIN="$FG_TOP_BUILDDIR/fleetguard-gateway"

# gw_ports: the gateway's ports file (empty when none runs).
gw_ports() { ls "${BK_STATE:-$TMP/state}"/fleetguard-gw-*.ports 2> /dev/null | head -1; }
# gw_pid / gw_port: the running gateway's pid and its port for the endpoint.
gw_pid() { f=$(gw_ports); [ -n "$f" ] && sed -n '1s/^fleetguard-gateway 1 //p' "$f"; }
gw_port() { f=$(gw_ports); [ -n "$f" ] && awk 'NR == 2 {print $2}' "$f"; }
# gw_stop: end the gateway this test started (at exit too).
gw_stop() {
	local p
	p=$(gw_pid)
	[ -z "$p" ] || { kill "$p" 2> /dev/null; wait_until 10 sh -c "! kill -0 $p 2> /dev/null"; }
	rm -f "$(gw_ports)"
}
# gw_log_has REGEX: the gateway's log has a matching line.
gw_log_has() {
	grep -Eq "$1" "${BK_STATE:-$TMP/state}"/fleetguard-gw-*.log ||
		{ diag "gateway log lacks /$1/:" "$(cat "${BK_STATE:-$TMP/state}"/fleetguard-gw-*.log)"; return 1; }
}
# audit_count REGEX: records of the audit log matching REGEX.
audit_count() { grep -Ec "$1" "$TMP/audit.log" || true; }
