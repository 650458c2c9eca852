#!/usr/bin/env python3
# llm_standin.py - a local stand-in for an LLM API, for the demo: answers 200 or fails on demand.
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
"""llm_standin.py NAME DIR

Listens on a free loopback port (written to DIR/port) and answers every
POST with a small chat-completion JSON naming NAME, or with the HTTP status
written in DIR/mode (e.g. "503") when that file holds anything but 200.
Stops when DIR/stop exists or on SIGTERM.  Standard library only.
"""
import http.server
import json
import os
import sys


def main():
    name, d = sys.argv[1], sys.argv[2]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                with open(os.path.join(d, "mode")) as f:
                    status = int(f.read().strip() or 200)
            except (OSError, ValueError):
                status = 200
            body = json.dumps({"served_by": name, "choices": [{"message": {
                "role": "assistant", "content": "ok"}}]} if status == 200 else
                {"error": "stand-in told to fail"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.timeout = 0.2
    tmp = os.path.join(d, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, os.path.join(d, "port"))
    while not os.path.exists(os.path.join(d, "stop")):
        srv.handle_request()


if __name__ == "__main__":
    main()
