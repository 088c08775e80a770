"""Keepalive probes and the keepalive abort (RFC 1122 4.2.3.6, RFC 9293 §3.8.4).

Run by test_tcp_keepalive.sh inside tt-cli against tcpterm started with
--tcp.keepalive_idle_ms 1000 --tcp.keepalive_interval_ms 500
--tcp.keepalive_probes 2 (default listeners: echo 7, discard 9).
Times are checked loosely (±40 %).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import CheckFailed, Peer, check, note, run_checks, seq_add  # noqa: E402

ECHO, DISCARD = 7, 9
MSS = ("MSS", 1460)
NOP = ("NOP", None)
TS = ("Timestamp", (0, 0))
IDLE, INTERVAL = 1.0, 0.5
TOL = 0.4


def near(got, want):
    return want * (1 - TOL) <= got <= want * (1 + TOL)


def is_probe(p, s):
    # RFC 1122 4.2.3.6 / RFC 9293 §3.8.4: a keep-alive segment has SEG.SEQ = SND.NXT-1 (here
    # SND.UNA-1: nothing is outstanding) and no data (or one garbage octet), so that the
    # peer, seeing an old sequence number, must answer with an ACK.
    return s.is_("A") and s.seq == p.irs and len(s.payload) <= 1 and s.ack == p.snd_nxt


def established(port, name, ts=False):
    p = Peer(port, name=name)
    p.handshake(options=[MSS, NOP, NOP, TS] if ts else [MSS])
    return p, time.monotonic()      # our last segment (the handshake ACK) left now


def probe_answered():
    p, t_last = established(ECHO, "keepalive-answered", ts=True)
    for n in (1, 2):
        s = p.expect(lambda s: True, IDLE * (1 + TOL) + 0.3, "keepalive probe %d" % n)
        gap = s.t - t_last
        check(is_probe(p, s), "probe %d: SEG.SEQ = SND.NXT-1 (%d), ack=RCV.NXT, no data: %s" % (n, p.irs, s))
        # RFC 1122 4.2.3.6: probes only after the idle interval with nothing received; an
        # answered probe restarts that interval (not the 0.5 s probe interval).
        check(near(gap, IDLE), "probe %d came %.3f s after the last segment we sent (want %.1f s ±40%%)"
              % (n, gap, IDLE))
        p.send("A")                       # what a live peer answers
        t_last = time.monotonic()
    p.drain(0.05)
    p.send("PA", payload=b"still alive after two answered probes\n")
    data, _ = p.read(38, 2.0)
    check(data == b"still alive after two answered probes\n", "answered probes kept the connection: echo works")
    p.reset()


def no_probe_while_traffic():
    # RFC 1122 4.2.3.6: keep-alives MUST only be sent when no data or acknowledgement
    # packets have been received within the interval. An ACK every 0.4 s: never a probe.
    p, _ = established(DISCARD, "keepalive-busy")
    end = time.monotonic() + 2.5
    acks = 0
    while time.monotonic() < end:
        p.send("A")
        acks += 1
        s = p.next(0.4)
        if s is not None:
            raise CheckFailed("a segment %.3f s after our ACK, while we ACK every 0.4 s: %s"
                              % (s.t - p.log[-2][0] - p.t0, s))
    check(True, "%d ACKs 0.4 s apart over 2.5 s (idle time 1 s): no probe, nothing at all" % acks)
    p.reset()


def probes_unanswered():
    # Two unanswered probes (tcp.keepalive_probes 2), 0.5 s apart, then the connection is
    # aborted (RFC 1122 4.2.3.6: "dead"; RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>).
    p, t_last = established(DISCARD, "keepalive-dead")
    p1 = p.expect(lambda s: True, IDLE * (1 + TOL) + 0.3, "keepalive probe 1")
    p2 = p.expect(lambda s: True, INTERVAL * (1 + TOL) + 0.3, "keepalive probe 2")
    r = p.expect(lambda s: True, INTERVAL * (1 + TOL) + 0.3, "the RST ending the connection")
    g1, g2, g3 = p1.t - t_last, p2.t - p1.t, r.t - p2.t
    note("probe at +%.3f s, probe at +%.3f s, RST at +%.3f s after our last segment" % (g1, g1 + g2, g1 + g2 + g3))
    check(is_probe(p, p1) and is_probe(p, p2), "two probes with SEG.SEQ = SND.NXT-1: %s | %s" % (p1, p2))
    check(near(g1, IDLE), "first probe %.3f s after the last segment received (want 1 s ±40%%)" % g1)
    check(near(g2, INTERVAL), "second probe %.3f s later (want 0.5 s ±40%%)" % g2)
    check(near(g3, INTERVAL), "RST %.3f s after the second probe (want 0.5 s ±40%%)" % g3)
    check(r.has("R") and r.seq == seq_add(p.irs, 1) and not r.payload,
          "the RST is at SND.NXT (%d): %s" % (seq_add(p.irs, 1), r))
    # Gone: an ACK now meets the listener, <SEQ=SEG.ACK><CTL=RST> (§3.10.7.2).
    p.send("A")
    r2 = p.expect(lambda s: True, 1.0, "a RST to an ACK after the abort")
    check(r2.is_("R") and r2.seq == p.rcv_nxt, "after the abort the connection is gone: %s" % r2)


checks = [
    ("answered probes keep the connection", probe_answered),
    ("no probe while the peer keeps talking", no_probe_while_traffic),
    ("unanswered probes: two probes, then RST", probes_unanswered),
]

if __name__ == "__main__":
    run_checks("keepalive", checks)
