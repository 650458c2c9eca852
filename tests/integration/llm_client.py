#!/usr/bin/python3
# llm_client.py - an agent's LLM calls, for the breaker tests.
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
"""An agent's LLM calls, for the breaker tests.

    llm_client.py [--lib urllib|http.client] [--timeout S] [--cafile F]
                  [--count N] [--sleep S] [--seconds S] [--until OUTCOME] URL

Prints one line per call: "<outcome> <milliseconds> <type>" where outcome is
200/503/... (an HTTP answer), refused (ConnectionRefusedError), reset
(the connection was reset or closed early), timeout, or error:<name>, and
type the "error"."type" of a JSON error answer ("-" when there is none).
With --until, it stops after the first call with that outcome (or after
--seconds, whichever comes first).
"""
import argparse
import http.client
import json
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--lib", default="urllib")
ap.add_argument("--keepalive", action="store_true",
                help="http.client: every call on one kept-alive connection")
ap.add_argument("--timeout", type=float, default=None)
ap.add_argument("--cafile")
ap.add_argument("--count", type=int, default=1)
ap.add_argument("--sleep", type=float, default=0)
ap.add_argument("--seconds", type=float, default=0)
ap.add_argument("--until", help="stop at the first call with this outcome")
ap.add_argument("url")
a = ap.parse_args()
ctx = ssl.create_default_context(cafile=a.cafile) if a.cafile else None


last_type = "-"


def error_type(body):
    global last_type
    try:
        last_type = str(json.loads(body)["error"]["type"])
    except Exception:  # noqa: BLE001 - not a JSON error answer
        last_type = "-"


def classify(e):
    if isinstance(e, urllib.error.HTTPError):
        error_type(e.read())
        return str(e.code)
    if isinstance(e, urllib.error.URLError) and isinstance(e.reason, BaseException):
        return classify(e.reason)
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    if isinstance(e, (ConnectionResetError, http.client.RemoteDisconnected,
                      http.client.BadStatusLine, ConnectionAbortedError)):
        return "reset"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timeout"
    return "error:" + type(e).__name__


conn = None


def call():
    global conn
    if a.lib == "urllib":
        kw = {"timeout": a.timeout} if a.timeout else {}
        with urllib.request.urlopen(a.url, data=b'{"prompt": "hi"}', context=ctx, **kw) as r:
            error_type(r.read())
            return str(r.status)
    u = urllib.parse.urlsplit(a.url)
    if conn is not None:
        c = conn
    elif u.scheme == "https":
        c = http.client.HTTPSConnection(u.hostname, u.port, timeout=a.timeout, context=ctx)
    else:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=a.timeout)
    try:
        c.request("POST", u.path or "/", body=b'{"prompt": "hi"}')
        r = c.getresponse()
        error_type(r.read())
        return str(r.status)
    finally:
        if a.keepalive:
            conn = c
        else:
            c.close()


start = time.monotonic()
n = 0
while n < a.count or (a.seconds and time.monotonic() - start < a.seconds):
    t0 = time.monotonic()
    last_type = "-"
    try:
        out = call()
    except Exception as e:  # noqa: BLE001 - every outcome is reported
        out = classify(e)
    print("%s %.3f %s" % (out, (time.monotonic() - t0) * 1000, last_type), flush=True)
    n += 1
    if a.until is not None and out == a.until:
        break
    if a.sleep:
        time.sleep(a.sleep)
