#!/usr/bin/env python3
"""Collects what bench/syn_flood.sh left in its temporary directory (tcpgen's
JSON, tcpterm's exit counters, the Linux namespace's /proc/net counters, RSS
samples), prints a table and writes the combined JSON.

usage: syn_flood_report.py TMPDIR OUT_JSON DURATION CLIENTS_RATE CASE...
"""
import json
import os
import platform
import sys
import time


def read(path, default=""):
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return default


def tcpterm_counters(log):
    """The 'Name value' lines tcpterm prints after 'tcpterm: counters'."""
    counters, on = {}, False
    for line in log.splitlines():
        if line.startswith("tcpterm: counters"):
            on = True
            continue
        if not on:
            continue
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counters[parts[0]] = int(parts[1])
    return counters


def proc_net(text):
    """/proc/net/snmp + netstat ('Tcp: names' / 'Tcp: values' pairs) and
    sockstat ('TCP: inuse N orphan N ...') into {'Tcp.OutSegs': n, ...}."""
    out, pending = {}, {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        head, rest = line.split(":", 1)
        fields = rest.split()
        if head in pending:
            for k, v in zip(pending.pop(head), fields):
                try:
                    out[head + "." + k] = int(v)
                except ValueError:
                    pass
        elif fields and not fields[0].lstrip("-").isdigit():
            if all(not f.lstrip("-").isdigit() for f in fields):
                pending[head] = fields
            else:  # sockstat: key value key value
                for k, v in zip(fields[0::2], fields[1::2]):
                    if v.lstrip("-").isdigit():
                        out["sockstat." + head + "." + k] = int(v)
    return out


def main():
    tmp, out_path, duration, clients_rate = sys.argv[1:5]
    names = sys.argv[5:]
    cases = []
    for name in names:
        g = json.loads(read(os.path.join(tmp, name + ".tcpgen.json"), "{}"))
        if not g:
            continue
        kind = read(os.path.join(tmp, name + ".kind")).strip()
        run_s = g.get("run_s") or 1.0
        rss = [int(x) for x in read(os.path.join(tmp, name + ".rss")).split()]
        case = {
            "name": name,
            "kind": kind,
            "server": "linux" if kind == "afp-linux" else "tcpterm",
            "link": {"memif": "memif", "vhost": "virtio_user/vhost-user"}.get(kind, "af_packet/veth"),
            "scenario": {
                "memif": "tcpterm 198.18.0.1/16: spoofed prefix on-link, tcpterm ARPs per source",
                "vhost": "as memif, tcpterm on net_virtio_user, tcpgen on net_vhost (vhost-user socket)",
                "afp-tcpterm": "tcpterm 198.18.0.1/24 --gateway 198.18.0.2: spoofed prefix routed via tcpgen",
                "afp-linux": "Linux 198.18.0.1/24, route to the spoofed prefix via 198.18.0.2",
                "afp-onlink": "after a 3 s flood from the on-link prefix, clients from a new on-link address",
            }.get(kind, ""),
            "server_args": read(os.path.join(tmp, name + ".server_args")).strip(),
            "tcpgen_args": read(os.path.join(tmp, name + ".args")).strip(),
            "tcpgen": g,
            "flood_rate_pps": g["flood"]["rate_pps"],
            "synack_received_per_s": g["rx"]["flood_synack"] / run_s,
            "clients_tried": g["clients"]["tried"],
            "clients_completed": g["clients"]["completed"],
            "completion_ratio": g["clients"]["completion_ratio"],
            "handshake_us": g["handshake_us"],
            "completion_us": g.get("completion_us"),
            "load_before": read(os.path.join(tmp, name + ".load")).strip().splitlines(),
        }
        if kind == "afp-linux":
            before = proc_net(read(os.path.join(tmp, name + ".linux.before")))
            after = proc_net(read(os.path.join(tmp, name + ".linux.after")))
            delta = {k: after[k] - before.get(k, 0) for k in after
                     if not k.startswith("sockstat.")}
            keep = ["TcpExt.SyncookiesSent", "TcpExt.SyncookiesRecv", "TcpExt.SyncookiesFailed",
                    "TcpExt.ListenOverflows", "TcpExt.ListenDrops", "TcpExt.TCPReqQFullDrop",
                    "TcpExt.TCPReqQFullDoCookies", "TcpExt.TCPTimeouts", "Tcp.PassiveOpens",
                    "Tcp.OutSegs", "Tcp.InSegs", "Tcp.RetransSegs", "Tcp.OutRsts",
                    "TcpExt.TCPSynRetrans"]
            case["server_counters"] = {k.split(".", 1)[1]: delta.get(k, 0) for k in keep}
            case["sysctl"] = read(os.path.join(tmp, name + ".sysctl")).strip().splitlines()
            cookies = delta.get("TcpExt.SyncookiesSent", 0)
            case["syncookies_sent_per_s"] = cookies / run_s
            # SYN-ACKs the kernel generated: every segment out minus what the
            # clients' connections account for (about 4 per connection).
            case["memory"] = {
                "what": "kernel TCP memory (sockstat 'TCP mem', pages) before/after; nginx RSS kB",
                "tcp_mem_pages_before": before.get("sockstat.TCP.mem"),
                "tcp_mem_pages_after": after.get("sockstat.TCP.mem"),
                "sockets_alloc_before": before.get("sockstat.TCP.alloc"),
                "sockets_alloc_after": after.get("sockstat.TCP.alloc"),
                "nginx_rss_kb_before": rss[0] if rss else None,
                "nginx_rss_kb_after": rss[1] if len(rss) > 1 else None,
            }
        else:
            c = tcpterm_counters(read(os.path.join(tmp, name + ".server.log")))
            keep = ["SynsReceived", "SyncookiesSent", "SyncookiesRecv", "SyncookiesFailed",
                    "PassiveOpens", "ListenOverflows", "ListenDrops", "TCPReqQFullDrop",
                    "TCPConnTableFull", "RetransSegs", "OutSegs", "TxPackets", "TxDropped",
                    "RxPackets", "ArpOutRequests", "ArpInReplies", "ArpTableFull",
                    "ArpHeldDropped", "MbufAllocFailed", "TCPSendAllocFail", "CurrConnections",
                    "CurrTimeWait"]
            case["server_counters"] = {k: c.get(k, 0) for k in keep}
            case["server_exit_code"] = int(read(os.path.join(tmp, name + ".server.rc"), "-1").strip() or -1)
            phase1 = read(os.path.join(tmp, name + ".phase1.json"))
            if phase1:
                case["phase1"] = json.loads(phase1)
            case["syncookies_sent_per_s"] = c.get("SyncookiesSent", 0) / run_s
            case["memory"] = {
                "what": "tcpterm RSS kB from /proc: before tcpgen started, after it finished, one sample a second",
                "rss_kb_before": rss[0] if rss else None,
                "rss_kb_after": rss[1] if len(rss) > 1 else None,
                "rss_kb_samples": rss[2:],
            }
            if not rss[2:]:
                m = case["memory"]
                m["rss_kb_samples"] = [x for x in (m["rss_kb_before"], m["rss_kb_after"]) if x]
        cases.append(case)

    doc = {
        "benchmark": "syn_flood",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count()},
        "params": {"duration_s": int(duration), "clients_rate": int(clients_rate),
                   "flood_prefix": "198.18.128.0/17", "target": "198.18.0.1:80",
                   "request": "GET / HTTP/1.1, Host: x, Connection: close",
                   "body_bytes": 612},
        "build": dict(line.split(" ", 1) for line in
                      read(os.path.join(tmp, "build.info")).strip().splitlines() if " " in line),
        "cases": cases,
    }
    with open(out_path, "w") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")

    def f(v, fmt="%.0f"):
        return "-" if v is None else fmt % v

    def ms(p, key):  # completion percentiles, shown in ms
        return "-" if not p or p.get(key) is None else "%.1fms" % (p[key] / 1000)

    print()
    print("SYN flood from %s, legitimate clients %s/s, %s s per case; hs = handshake "
          "(connect to established), done = connect to clean close of completed ones" % (
              doc["params"]["flood_prefix"], clients_rate, duration))
    hdr = "%-14s %-8s %10s %11s %11s %6s %6s %7s %8s %9s %9s %8s %8s  %s"
    print(hdr % ("case", "server", "flood pps", "cookies/s", "SYNACK rx/s", "tried", "ok",
                 "ratio", "hs p50us", "hs p99us", "hs p999us", "done p50", "done p99", "memory"))
    for c in cases:
        hs = c["handshake_us"]
        m = c["memory"]
        if c["server"] == "tcpterm":
            smp = m["rss_kb_samples"]
            mem = "RSS %s -> %s MB" % (
                f(m["rss_kb_before"] / 1024 if m["rss_kb_before"] else None, "%.1f"),
                f(m["rss_kb_after"] / 1024 if m["rss_kb_after"] else None, "%.1f"))
            if len(smp) >= 3:
                # First second (first touch of preallocated pools) vs the rest.
                mem += " (+%d kB in 1st s, then %+d kB)" % (smp[1] - smp[0], smp[-1] - smp[1])
        else:
            mem = "TCP mem %s -> %s pages" % (m["tcp_mem_pages_before"], m["tcp_mem_pages_after"])
        print(hdr % (c["name"], c["server"], f(c["flood_rate_pps"]), f(c["syncookies_sent_per_s"]),
                     f(c["synack_received_per_s"]), c["clients_tried"], c["clients_completed"],
                     f(c["completion_ratio"], "%.4f"), f(hs["p50"], "%.1f"), f(hs["p99"], "%.1f"),
                     f(hs["p999"], "%.1f"), ms(c["completion_us"], "p50"), ms(c["completion_us"], "p99"),
                     mem))
    for c in cases:
        if c["kind"] == "afp-onlink" and "phase1" in c:
            p1 = c["phase1"]
            print("%s: after %.1f s of flood at %.0f pps from the on-link prefix (clients from "
                  "198.18.0.2 then: %d/%d completed), a new client address 198.18.0.3 completed "
                  "%d of %d (tcpterm ArpTableFull %d, ArpHeldDropped %d)" % (
                      c["name"], p1["run_s"], p1["flood"]["rate_pps"], p1["clients"]["completed"],
                      p1["clients"]["tried"], c["clients_completed"], c["clients_tried"],
                      c["server_counters"]["ArpTableFull"], c["server_counters"]["ArpHeldDropped"]))
    print("written: %s" % out_path)


if __name__ == "__main__":
    main()
