#!/usr/bin/env python3
# agent.py - a small stdlib-only agent for the demo: honest work, then attempts on secrets.
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
"""A small stdlib-only "agent" for the fleetguard demo.

It does what a coding agent does in its workspace (reads a task, writes
notes), then what a misbehaving one might try (read SSH keys and
/etc/shadow).  Under fleetguard the first part works and the second raises
PermissionError; nothing in this file knows about fleetguard.
"""
import os
import sys


def attempt(what, fn):
    try:
        fn()
        print(f"  [allowed] {what}")
        return True
    except PermissionError as e:
        print(f"  [denied]  {what}: {e.strerror}")
        return False


def main():
    ws = os.path.dirname(os.path.abspath(os.environ.get("FLEETGUARD_POLICY", "workspace/x")))
    os.chdir(ws)
    print(f"agent: working in {ws}")

    def read_task():
        with open("task.txt", encoding="utf-8") as f:
            f.read()

    def write_notes():
        os.makedirs("notes", exist_ok=True)
        with open("notes/progress.md", "w", encoding="utf-8") as f:
            f.write("# progress\n- read the task\n")

    def read_ssh_key():
        with open(os.path.expanduser("~/.ssh/id_rsa"), encoding="utf-8") as f:
            f.read()

    def read_workspace_secret():
        with open("secrets/api_key.txt", encoding="utf-8") as f:
            f.read()

    def read_shadow():
        with open("/etc/shadow", encoding="utf-8") as f:
            f.read()

    ok = attempt("read task.txt in the workspace", read_task)
    ok &= attempt("write notes/progress.md in the workspace", write_notes)
    denied = not attempt("read ~/.ssh/id_rsa", read_ssh_key)
    denied &= not attempt("read secrets/api_key.txt (denied inside the workspace)", read_workspace_secret)
    denied &= not attempt("read /etc/shadow", read_shadow)
    return 0 if ok and denied else 1


if __name__ == "__main__":
    sys.exit(main())
