# cpython_outcomes.py - runs test modules of CPython's own suite and prints each test's outcome, one line each.
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

"""Usage: python3 cpython_outcomes.py OUT MODULE...

Loads each MODULE (test.test_os, ...) with unittest and runs it; writes to
OUT one line per test, "ID OUTCOME", sorted, where OUTCOME is ok, FAIL,
ERROR, skip, xfail or xpass (a failing subtest fails its test).  A module that cannot be
imported is "MODULE ERROR".  unittest's own report goes to stderr.
"""

import sys
import unittest


class Outcomes(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = {}

    def note(self, test, outcome):
        key = test.id()
        # a test with failing subtests is as bad as its worst one
        if self.seen.get(key) not in ("FAIL", "ERROR"):
            self.seen[key] = outcome

    def addSuccess(self, test):
        super().addSuccess(test)
        self.note(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.note(test, "FAIL")

    def addError(self, test, err):
        super().addError(test, err)
        self.note(test, "ERROR")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.note(test, "skip")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.note(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.note(test, "xpass")

    def addSubTest(self, test, subtest, err):
        # counted for the test itself, so both runs list the same names
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self.note(test, "FAIL" if failed else "ERROR")


def main(argv):
    out, modules = argv[1], argv[2:]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    broken = []
    for m in modules:
        try:
            suite.addTests(loader.loadTestsFromName(m))
        except Exception as e:  # an import error is an outcome too
            print("cannot load %s: %s" % (m, e), file=sys.stderr)
            broken.append(m)
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=1,
                                     resultclass=Outcomes)
    result = runner.run(suite)
    with open(out, "w") as f:
        for key in sorted(result.seen):
            f.write("%s %s\n" % (key, result.seen[key]))
        for m in broken:
            f.write("%s ERROR\n" % m)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
