#!/usr/bin/env python3
# fnlen.py - lists C functions longer than a limit (80 lines) and fails when there is one.
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

"""Usage: tests/fnlen.py [--max N] [PATH...]

A function's length is counted from the line that names it to the line of
its closing brace, both included.  PATH is a .c file or a folder (its .c
files, not recursive); without PATH, the product folders of the top source
directory (this script's parent's parent).  Prints one line per function
over the limit, "file:line: name is N lines (limit M)", longest first, and
exits 1 when there is one, 0 when there is none, 2 on usage errors.

The parser is small on purpose: comments, string and character literals
and preprocessor lines are blanked, then a brace at file level that follows
a closing parenthesis (and no "=") opens a function body.  It is meant for
this project's kernel-style C, not for every C there is.
"""

import os
import re
import sys

PRODUCT_DIRS = ["shim", "policy", "audit", "breaker", "kernel", "gateway",
                "tools", "learn", "summary"]
LIMIT = 80


def blank(src):
    """Return src with comments, literals and preprocessor lines replaced by
    spaces, newlines kept, so offsets and line numbers stay the same."""
    out = list(src)
    i, n = 0, len(src)
    line_start = True
    while i < n:
        c = src[i]
        if line_start and c == "#":
            # a preprocessor line, with its backslash continuations
            j = i
            while j < n and src[j] != "\n":
                if src[j] == "\\" and j + 1 < n and src[j + 1] == "\n":
                    j += 2
                    continue
                j += 1
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
            continue
        if c == "/" and i + 1 < n and src[i + 1] == "*":
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
            continue
        if c == "/" and i + 1 < n and src[i + 1] == "/":
            j = src.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
            continue
        if c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                if out[k] != "\n":
                    out[k] = " "
            i = j + 1
            line_start = False
            continue
        if c == "\n":
            line_start = True
        elif not c.isspace():
            line_start = False
        i += 1
    return "".join(out)


IDENT_BEFORE_PAREN = re.compile(r"([A-Za-z_]\w*)\s*$")


def function_name(head):
    """The name in a definition's head ("static int f(int a)"): the
    identifier before the parameter list that ends the head, or None when
    the head is not a function's (an initializer, a struct)."""
    head = head.rstrip()
    if not head.endswith(")") or "=" in head.replace("==", ""):
        return None
    depth = 0
    for i in range(len(head) - 1, -1, -1):
        if head[i] == ")":
            depth += 1
        elif head[i] == "(":
            depth -= 1
            if depth == 0:
                m = IDENT_BEFORE_PAREN.search(head[:i])
                if not m or m.group(1) in ("if", "while", "for", "switch",
                                           "__attribute__", "sizeof"):
                    return None
                return m.group(1)
    return None


def functions(path):
    """Yield (name, first line, last line) for each function defined in
    path."""
    with open(path, encoding="utf-8", errors="replace") as f:
        src = blank(f.read())
    depth = 0
    head_start = 0
    name = None
    for i, c in enumerate(src):
        if c == "{":
            if depth == 0:
                fname = function_name(src[head_start:i])
                name = None
                if fname:
                    # the line of the name itself (the parameter list may
                    # span lines; the name occurs last before it)
                    pos = src.rfind(fname + "(", head_start, i)
                    if pos < 0:
                        pos = src.rfind(fname, head_start, i)
                    name = (fname, src.count("\n", 0, pos) + 1)
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if name:
                    yield name[0], name[1], src.count("\n", 0, i) + 1
                name = None
                head_start = i + 1
            elif depth < 0:
                depth = 0
                head_start = i + 1
        elif c == ";" and depth == 0:
            head_start = i + 1


def sources(paths):
    for p in paths:
        if os.path.isdir(p):
            for f in sorted(os.listdir(p)):
                if f.endswith(".c"):
                    yield os.path.join(p, f)
        else:
            yield p


def main(argv):
    limit = LIMIT
    args = argv[1:]
    if args[:1] == ["--max"]:
        if len(args) < 2 or not args[1].isdigit():
            print("usage: tests/fnlen.py [--max N] [PATH...]", file=sys.stderr)
            return 2
        limit = int(args[1])
        args = args[2:]
    elif args[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if not args:
        top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        os.chdir(top)
        args = [d for d in PRODUCT_DIRS if os.path.isdir(d)]
    long_ones = []
    for path in sources(args):
        try:
            for fname, first, last in functions(path):
                n = last - first + 1
                if n > limit:
                    long_ones.append((n, path, first, fname))
        except OSError as e:
            print("fnlen: cannot read '%s': %s" % (path, e.strerror), file=sys.stderr)
            return 2
    long_ones.sort(key=lambda t: (-t[0], t[1], t[2]))
    for n, path, first, fname in long_ones:
        print("%s:%d: %s is %d lines (limit %d)" % (path, first, fname, n, limit))
    return 1 if long_ones else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
