"""Zero-window orphans: peers that ask for a large HTTP/1.0 response with
their window closed and keep it closed, answering every window probe. The
http service queues the response and closes: each connection becomes an
orphan that can never finish. tcpterm must free them after
tcp.orphan_retries probes (run with --tcp.orphan_retries 3
--tcp.rto_max_ms 2000: probes at about 1, 3 and 5 s, the RST at about 7 s),
where Linux, whose probe counter is reset by every answer, keeps such an
orphan until its backoff reaches TCP_RTO_MAX: ~280 s.

Environment: ORPHANS (how many), ORPHAN_BOUND_S (the bound to check).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import Peer, check, note, run_checks, tcpterm_counters  # noqa: E402

COUNT = int(os.environ.get("ORPHANS", "5"))
BOUND = float(os.environ.get("ORPHAN_BOUND_S", "12"))


def zero_window_orphans():
    peers = []
    for i in range(COUNT):
        p = Peer(80, name="orphan-%d" % i)
        p.handshake(options=[("MSS", 1460)])
        p.window = 0  # from now on every segment we send says: no room
        p.send("PA", payload=b"GET / HTTP/1.0\r\n\r\n")
        peers.append(p)
    start = time.monotonic()
    c = tcpterm_counters()
    note("after the requests: CurrOrphans %d" % c["CurrOrphans"])
    check(c["CurrOrphans"] == COUNT, "every connection is an orphan with its response queued")
    reset_at = {}
    probes = {p.sport: 0 for p in peers}
    by_port = {p.sport: p for p in peers}
    while len(reset_at) < COUNT and time.monotonic() - start < BOUND + 5:
        for p in peers:
            s = p.next(0.02)
            if s is None or p.sport in reset_at:
                continue
            if s.has("R"):
                reset_at[p.sport] = time.monotonic() - start
            elif not s.payload:
                probes[p.sport] += 1
                by_port[p.sport].send("A")  # still no room: the answer to the probe
    note("probes answered per connection: %s" % sorted(probes.values()))
    note("reset after: %s s" % ", ".join("%.1f" % t for t in sorted(reset_at.values())))
    check(len(reset_at) == COUNT, "all %d orphans were reset (%d)" % (COUNT, len(reset_at)))
    check(max(reset_at.values()) <= BOUND, "within %.0f s (the last after %.1f s)"
          % (BOUND, max(reset_at.values())))
    print("figure: orphan_freed_after_s %.1f" % max(reset_at.values()), flush=True)
    c = tcpterm_counters()
    check(c["CurrOrphans"] == 0, "CurrOrphans back to 0")
    check(c["TCPAbortOnTimeout"] >= COUNT, "TCPAbortOnTimeout %d" % c["TCPAbortOnTimeout"])


run_checks("zero-window orphans", [("zero-window orphans are freed", zero_window_orphans)])
