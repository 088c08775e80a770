#!/usr/bin/env python3
"""Count Catch2 (v2) test cases that passed and failed from a JUnit report.

usage: junit_summary.py REPORT.xml [TEST_CASE_NAMES.txt [LABEL]]

Catch2's JUnit reporter writes one <testcase> per leaf section, named
"Test case/section/...". When the list of test case names (from
`unit_tests --list-test-names-only`) is given, elements are folded back into
their test case, which fails if any of its sections failed. Prints one line
per test case ("PASS label: name" / "FAIL label: name" + the failure text;
LABEL defaults to "unit") and, last,
"passed failed" as two integers for the caller.
"""
import sys
import xml.etree.ElementTree as ET


def main():
    root = ET.parse(sys.argv[1]).getroot()
    names = []
    label = sys.argv[3] if len(sys.argv) > 3 else "unit"
    if len(sys.argv) > 2:
        names = [l.rstrip("\n") for l in open(sys.argv[2]) if l.strip()]
    # Longest name first, so "a/b" wins over "a" for an element "a/b/c".
    by_len = sorted(names, key=len, reverse=True)

    def owner(element_name):
        for n in by_len:
            if element_name == n or element_name.startswith(n + "/"):
                return n
        return element_name

    results = {}  # test case -> list of failure texts (empty = passed)
    for n in names:
        results[n] = []
    for tc in root.iter("testcase"):
        name = owner(tc.get("name", "?"))
        fails = results.setdefault(name, [])
        for bad in list(tc.iter("failure")) + list(tc.iter("error")):
            fails.append("%s: %s" % (tc.get("name"), (bad.text or bad.get("message") or "").strip()))

    passed = failed = 0
    for name, fails in results.items():
        if fails:
            failed += 1
            print("FAIL %s: %s" % (label, name))
            for f in fails:
                print("    " + f.replace("\n", "\n    "))
        else:
            passed += 1
            print("PASS %s: %s" % (label, name))
    print(passed, failed)


if __name__ == "__main__":
    main()
