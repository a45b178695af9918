#!/usr/bin/python3
"""junit_sum -- prints one line per JUnit XML file and the plain total line CI reads."""
import sys
import xml.etree.ElementTree as ET


def counts(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    t = f = e = s = 0
    for suite in suites:
        t += int(suite.get("tests", 0))
        f += int(suite.get("failures", 0))
        e += int(suite.get("errors", 0))
        s += int(suite.get("skipped", suite.get("disabled", 0)) or 0)
    return t - f - e - s, f + e, s


def main(argv):
    total = [0, 0, 0]
    for arg in argv[1:]:
        name, _, path = arg.partition("=")
        try:
            p, f, s = counts(path)
        except (OSError, ET.ParseError) as exc:
            print(f"{name}: no results ({exc})")
            p, f, s = 0, 1, 0
        print(f"{name}: {p} passed, {f} failed, {s} skipped")
        total = [total[0] + p, total[1] + f, total[2] + s]
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
