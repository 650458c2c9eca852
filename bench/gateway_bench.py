#!/usr/bin/env python3
# gateway_bench.py - what fleetguard-gateway adds per request, under many streams, per connection.
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
"""gateway_bench.py BUILDDIR [REQUESTS] [STREAMS]

On loopback, against an asyncio TLS stand-in for a provider:
1. latency: the same kept-alive client (http.client over TLS) sends REQUESTS
   small requests directly and REQUESTS through the gateway (TLS to the
   gateway, TLS from it), in ten alternating rounds so that the shared
   machine's load falls on both alike; p50/p99 of each, what the gateway
   adds and the ratio;
2. streams: STREAMS concurrent SSE answers (20 events, 10 ms apart) directly
   and through the gateway: wall time of each, all events received;
3. memory: the gateway's resident size idle and with STREAMS connections
   open, per connection.
Both sides of each comparison run the same work in this one run.
"""
import asyncio
import http.client
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

BUILD = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
STREAMS = int(sys.argv[3]) if len(sys.argv) > 3 else 500
TMP = tempfile.mkdtemp(prefix="fg-gwbench.")
EVENTS, GAP = 20, 0.010


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def handle(r, w):
    try:
        while True:
            head = await r.readuntil(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            if n:
                await r.readexactly(n)
            if b" /stream " in head.split(b"\r\n")[0] + b" ":
                w.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n")
                for i in range(EVENTS):
                    ev = b"data: %d\n\n" % i
                    w.write(b"%x\r\n%s\r\n" % (len(ev), ev))
                    await w.drain()
                    await asyncio.sleep(GAP)
                w.write(b"0\r\n\r\n")
            else:
                w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 12\r\n\r\n{\"ok\":true}\n")
            await w.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        w.close()


def serve(ctx, ready):
    async def main():
        srv = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx, backlog=4096)
        ready.append(srv.sockets[0].getsockname()[1])
        await srv.serve_forever()
    asyncio.run(main())


def latencies(c, n):
    """n requests on the kept-alive connection c: their times in us."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.request("POST", "/v1/chat", body=b"{}")
        r = c.getresponse()
        r.read()
        out.append((time.perf_counter() - t0) * 1e6)
    return out


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def compare(port, gport, direct, via):
    """Alternating rounds on two kept-alive connections, one each way."""
    d = http.client.HTTPSConnection("127.0.0.1", port, context=direct)
    g = http.client.HTTPSConnection("127.0.0.1", gport, context=via)
    latencies(d, 200)                  # warm up both paths
    latencies(g, 200)
    dv, gv = [], []
    for _ in range(10):
        dv += latencies(d, N // 10)
        gv += latencies(g, N // 10)
    d.close()
    g.close()
    return dv, gv


async def one_stream(port, ctx):
    r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
    w.write(b"POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    await w.drain()
    body = b""
    while not body.endswith(b"0\r\n\r\n"):
        b = await r.read(65536)
        if not b:
            break
        body += b
    w.close()
    return body.count(b"data:")


async def streams(port, ctx, k, during=None):
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(one_stream(port, ctx)) for _ in range(k)]
    if during:
        await asyncio.sleep(EVENTS * GAP / 2)
        during()
    got = await asyncio.gather(*tasks)
    return time.perf_counter() - t0, sum(got)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", TMP + "/key.pem", "-out", TMP + "/cert.pem", "-subj", "/CN=localhost",
       "-days", "1", "-addext", "subjectAltName=IP:127.0.0.1")
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(TMP + "/cert.pem", TMP + "/key.pem")
    ready = []
    threading.Thread(target=serve, args=(sctx, ready), daemon=True).start()
    while not ready:
        time.sleep(0.01)
    port = ready[0]
    os.makedirs(TMP + "/state")
    with open(TMP + "/policy.ini", "w") as f:
        f.write("[breaker]\nstate_dir = %s/state\n\n[endpoint llm]\naddress = 127.0.0.1:%d\n"
                "protocol = https\ngateway = yes\nca_file = %s/cert.pem\n\n[audit]\nlog = %s/audit.log\n"
                "fsync = never\n" % (TMP, port, TMP, TMP))
    env = dict(os.environ, XDG_STATE_HOME=TMP + "/xdg")
    gw = subprocess.Popen([BUILD + "/fleetguard-gateway", "--policy", TMP + "/policy.ini",
                           "--dir", TMP + "/state", "--linger", "3600"], env=env,
                          stderr=open(TMP + "/gw.log", "w"))
    ports = TMP + "/state"
    for _ in range(500):
        names = [n for n in os.listdir(ports) if n.endswith(".ports")]
        if names:
            break
        time.sleep(0.01)
    with open(os.path.join(ports, names[0])) as f:
        gport = int(f.read().splitlines()[1].split()[1])
    direct = ssl.create_default_context(cafile=TMP + "/cert.pem")
    via = ssl.create_default_context(cafile=TMP + "/xdg/fleetguard/gateway-ca/ca.pem")
    try:
        dv, gv = compare(port, gport, direct, via)
        d50, d99, g50, g99 = pct(dv, 50), pct(dv, 99), pct(gv, 50), pct(gv, 99)
        print("latency, %d kept-alive TLS requests each way: direct p50 %.0f us p99 %.0f us; "
              "via gateway p50 %.0f us p99 %.0f us; added p50 %.3f ms, p99 %.3f ms; "
              "ratio p50 %.2f, p99 %.2f"
              % (N, d50, d99, g50, g99, (g50 - d50) / 1000, (g99 - d99) / 1000,
                 g50 / d50, g99 / d99))
        idle = rss_kib(gw.pid)
        peak = []
        dt, ev = asyncio.run(streams(port, direct, STREAMS))
        gt, gev = asyncio.run(streams(gport, via, STREAMS, lambda: peak.append(rss_kib(gw.pid))))
        print("streams, %d concurrent SSE answers of %d events: direct %.2f s (%d events), "
              "via gateway %.2f s (%d events), ratio %.2f"
              % (STREAMS, EVENTS, dt, ev, gt, gev, gt / dt))
        print("memory: gateway idle %d KiB, with %d streams %d KiB: %.1f KiB per connection"
              % (idle, STREAMS, peak[0], (peak[0] - idle) / STREAMS))
        print("ratios: latency p50 %.2f, p99 %.2f; %d streams %.2f" % (g50 / d50, g99 / d99,
                                                                   STREAMS, gt / dt))
    finally:
        gw.terminate()
        gw.wait()
        subprocess.run(["rm", "-rf", TMP])


main()
