#!/usr/bin/env python3
# fleet_agent.py - one agent of the demo fleet: calls an LLM endpoint a few times and says who answered.
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
"""fleet_agent.py NAME URL CALLS GAP

Makes CALLS chat requests to URL, GAP seconds apart, and prints one line:
NAME followed by each call's outcome ("200 primary", "200 fallback",
"503", "refused", ...).  Nothing here knows about fleetguard: the circuit
breaker acts underneath, on the process's connect/recv calls.
"""
import json
import sys
import time
import urllib.error
import urllib.request


def call(url):
    req = urllib.request.Request(url, data=b'{"messages": [{"role": "user", "content": "hi"}]}',
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return f"200 {json.load(r).get('served_by', '?')}"
    except urllib.error.HTTPError as e:
        return str(e.code)
    except urllib.error.URLError as e:
        if isinstance(e.reason, ConnectionRefusedError):
            return "refused"
        return f"error:{type(e.reason).__name__}"


def main():
    name, url, calls, gap = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    out = []
    for i in range(calls):
        if i:
            time.sleep(gap)
        out.append(call(url))
    print(f"  {name}: " + " | ".join(out), flush=True)


if __name__ == "__main__":
    main()
