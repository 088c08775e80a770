#!/usr/bin/env python3
"""Parse wrk's text output (file argv[1]) and judge it.

Prints the numbers as JSON on stdout. Exit 0 when wrk made > 0 requests, had
no socket errors (no "Socket errors" line, or every count zero) and saw no
non-2xx/3xx responses; otherwise prints the reason on stderr and exits 1.
Also used by bench/wrk_vs_linux.sh (with --no-judge) for its table.
"""
import json
import re
import sys

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def parse(text):
    r = {"requests": 0, "duration_s": None, "requests_per_s": None,
         "latency_avg_ms": None, "latency_max_ms": None,
         "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
         "non_2xx_3xx": 0}
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+),", text, re.M)
    if m:
        r["requests"] = int(m.group(1))
        r["duration_s"] = float(m.group(2)) * UNITS[m.group(3)] / 1000.0
    m = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    if m:
        r["requests_per_s"] = float(m.group(1))
    m = re.search(r"^\s*Latency\s+([\d.]+)(\w+)\s+([\d.]+)(\w+)\s+([\d.]+)(\w+)", text, re.M)
    if m:
        r["latency_avg_ms"] = float(m.group(1)) * UNITS[m.group(2)]
        r["latency_max_ms"] = float(m.group(5)) * UNITS[m.group(6)]
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        r["non_2xx_3xx"] = int(m.group(1))
    return r


def main():
    text = open(sys.argv[1]).read()
    r = parse(text)
    print(json.dumps(r))
    if "--no-judge" in sys.argv:
        return 0
    errs = []
    if r["requests"] <= 0:
        errs.append("no requests completed")
    if any(r["socket_errors"].values()):
        errs.append("socket errors: %s" % r["socket_errors"])
    if r["non_2xx_3xx"]:
        errs.append("%d non-2xx/3xx responses" % r["non_2xx_3xx"])
    if errs:
        print("; ".join(errs), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
