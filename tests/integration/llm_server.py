#!/usr/bin/python3
# llm_server.py - a stand-in LLM endpoint on loopback for the breaker tests.
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
"""A stand-in LLM endpoint on loopback for the breaker tests (stdlib only).

    llm_server.py DIR [--tls CERT KEY]

Listens on 127.0.0.1 on a free port and writes it to DIR/port.  Each
request's behaviour is read from DIR/mode when the request arrives:

    200          answer 200 with a small JSON body
    503          answer 503
    429:N        answer 429 with "Retry-After: N"
    429date:N    answer 429 with Retry-After as an HTTP-date N seconds ahead
    slow:S       answer 200 after S seconds (a slow first byte)
    hang         read the request, then answer nothing until the client goes
    reset        send half a status line, then reset the connection (RST)
    refuse       close the listening socket: connects are refused (DIR/refusing
                 exists while it is closed)
    stream:N     answer 200 as a server-sent event stream (chunked): N events
                 "data: <i>", then "data: [DONE]"; with a file DIR/hold, the
                 stream waits after the first event until DIR/hold is removed
    cut:N        like stream:N, but the connection is reset after N events

With a file DIR/keepalive, answers keep the connection open for the next
request (HTTP/1.1 keep-alive) instead of closing it.

Every request that arrives is appended to DIR/requests as one line
"<monotonic seconds> <method> <path> <protocol> <client port> <host header>"
(flushed before answering); its Authorization or x-api-key header, if any,
goes to DIR/auth (one line per request, "-" when absent), and its body to
DIR/bodies as "length|chunked <bytes> <body, newlines as \\n>".  The
server stops when DIR/stop exists.
"""
import email.utils
import os
import socket
import ssl
import struct
import sys
import threading
import time

DIR = sys.argv[1]
TLS = None
if len(sys.argv) == 5 and sys.argv[2] == "--tls":
    TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    TLS.load_cert_chain(sys.argv[3], sys.argv[4])

log_lock = threading.Lock()


def mode():
    try:
        with open(os.path.join(DIR, "mode")) as f:
            return f.read().strip() or "200"
    except FileNotFoundError:
        return "200"


def log_request(line):
    with log_lock:
        with open(os.path.join(DIR, "requests"), "a") as f:
            f.write("%.3f %s\n" % (time.monotonic(), line))
            f.flush()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    host = auth = "-"
    for h in lines[1:]:
        k, _, v = h.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
        elif k.strip().lower() == "host":
            host = v.strip()
        elif k.strip().lower() in ("authorization", "x-api-key"):
            auth = "%s: %s" % (k.strip().lower(), v.strip())
    with log_lock:
        with open(os.path.join(DIR, "auth"), "a") as f:
            f.write(auth + "\n")
    body = bytearray(body)    # large bodies: no quadratic copying
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    body = bytes(body)
    chunked = any(h.lower().replace(" ", "") == "transfer-encoding:chunked" for h in lines[1:])
    if chunked:
        body = read_chunked(conn, body)
    with log_lock:
        with open(os.path.join(DIR, "bodies"), "ab") as f:
            f.write(b"%s %d %s\n" % (b"chunked" if chunked else b"length", len(body),
                                     body.replace(b"\n", b"\\n")))
    return lines[0] + " " + host


def read_chunked(conn, data):
    """The decoded body of a chunked request whose first bytes are data."""
    body = b""
    while True:
        while b"\r\n" not in data:
            data += conn.recv(65536)
        size, _, data = data.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        while len(data) < n + 2:
            data += conn.recv(65536)
        body += data[:n]
        data = data[n + 2:]
        if n == 0:
            return body


def keepalive():
    return os.path.exists(os.path.join(DIR, "keepalive"))


def answer(conn, status, reason, extra=""):
    body = b'{"ok": %s}\n' % (b"true" if status == 200 else b"false")
    head = ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%s"
            "Content-Length: %d\r\nConnection: %s\r\n\r\n"
            % (status, reason, extra, len(body), "keep-alive" if keepalive() else "close"))
    conn.sendall(head.encode() + body)


def stream(conn, n, cut):
    """An SSE answer, one chunk per event; cut: reset after n events."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 b"Transfer-Encoding: chunked\r\nConnection: %s\r\n\r\n"
                 % (b"keep-alive" if keepalive() else b"close"))
    for i in range(n):
        ev = b"data: %d\n\n" % i
        conn.sendall(b"%x\r\n%s\r\n" % (len(ev), ev))
        while i == 0 and os.path.exists(os.path.join(DIR, "hold")):
            time.sleep(0.02)
    if cut:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False
    ev = b"data: [DONE]\n\n"
    conn.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(ev), ev))
    return True


def serve(conn):
    try:
        if TLS is not None:
            conn = TLS.wrap_socket(conn, server_side=True)
        while respond(conn) and keepalive():
            pass
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def respond(conn):
    """Answer one request; False when the connection is done."""
    req = read_request(conn)
    if req is None:
        return False
    m = mode()
    first, _, host = req.rpartition(" ")
    log_request("%s %d %s" % (first, conn.getpeername()[1], host))
    if m == "200":
        answer(conn, 200, "OK")
    elif m == "503":
        answer(conn, 503, "Service Unavailable")
    elif m.startswith("429date:"):
        when = time.time() + int(m.split(":")[1])
        answer(conn, 429, "Too Many Requests",
               "Retry-After: %s\r\n" % email.utils.formatdate(when, usegmt=True))
    elif m.startswith("429:"):
        answer(conn, 429, "Too Many Requests", "Retry-After: %s\r\n" % m.split(":")[1])
    elif m.startswith("slow:"):
        time.sleep(float(m.split(":")[1]))
        answer(conn, 200, "OK")
    elif m.startswith("stream:") or m.startswith("cut:"):
        return stream(conn, int(m.split(":")[1]), m.startswith("cut:"))
    elif m == "hang":
        conn.settimeout(60)
        while conn.recv(4096):
            pass
    elif m == "reset":
        conn.sendall(b"HTTP/1.")
        time.sleep(0.05)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False
    else:
        answer(conn, 500, "Bad Test Mode")
    return m not in ("hang",)


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    s.settimeout(0.05)
    return s


def main():
    s = listener(0)
    port = s.getsockname()[1]
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, os.path.join(DIR, "port"))
    stop = os.path.join(DIR, "stop")
    refusing = os.path.join(DIR, "refusing")
    while not os.path.exists(stop):
        if mode() == "refuse":
            if s is not None:
                s.close()
                s = None
                open(refusing, "w").close()
            time.sleep(0.05)
            continue
        if s is None:
            s = listener(port)
            os.unlink(refusing)
        try:
            conn, _ = s.accept()
        except socket.timeout:
            continue
        conn.settimeout(None)
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
