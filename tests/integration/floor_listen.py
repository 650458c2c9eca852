# floor_listen.py - a loopback listener that counts what reaches it, stopped by "END" from the test.
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
#
# usage: floor_listen.py udp|tcp|unix|unixdg PORTFILE COUNTFILE [PATH]
# Binds 127.0.0.1 on a free port (unix, unixdg: the UNIX socket PATH),
# writes the port (or PATH) to PORTFILE, and counts the datagrams (udp,
# unixdg) or connections (tcp, unix) that arrive until one says "END";
# then writes the count to COUNTFILE.  The test sends END from outside the
# sandbox after the probe has exited, so nothing is judged by time.
import socket
import sys

kind, portfile, countfile = sys.argv[1:4]
dgram = kind in ("udp", "unixdg")
family = socket.AF_UNIX if kind.startswith("unix") else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM if dgram else socket.SOCK_STREAM)
s.bind(sys.argv[4] if family == socket.AF_UNIX else ("127.0.0.1", 0))
if not dgram:
    s.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write(sys.argv[4] if family == socket.AF_UNIX else str(s.getsockname()[1]))
import os
os.rename(portfile + ".tmp", portfile)
n = 0
while True:
    if dgram:
        data = s.recv(4096)
    else:
        c, _ = s.accept()
        data = c.recv(4096)
        c.close()
    if data == b"END":
        break
    n += 1
with open(countfile + ".tmp", "w") as f:
    f.write(str(n))
os.rename(countfile + ".tmp", countfile)
