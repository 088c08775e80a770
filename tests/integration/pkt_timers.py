"""Retransmission timers: SYN-ACK retransmission and data retransmission with
exponential backoff (initial RTO 1 s in the default config, RFC 6298).

Run by test_tcp_timers.sh inside tt-cli. Gaps are checked loosely (±40 %).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import Peer, check, note, run_checks, seq_add  # noqa: E402

TOL = 0.4


def near(gap, want):
    return want * (1 - TOL) <= gap <= want * (1 + TOL)


def synack_retransmission():
    # RFC 9293 §3.8.1 and RFC 6298 §2.1/§5.5: with no RTT sample the RTO is 1 s, and it
    # doubles on each expiry; §3.10.7.2: the SYN-ACK is retransmitted until ACKed.
    p = Peer(80, name="synack-rtx")
    p.syn([("MSS", 1460)])
    first = p.expect(lambda s: s.has("S"), 2.0, "the SYN-ACK")
    check(first.is_("SA") and first.ack == seq_add(p.iss, 1), "SYN-ACK: %s" % first)
    second = p.expect(lambda s: s.has("S"), 1.0 * (1 + TOL) + 0.2, "a retransmitted SYN-ACK ~1 s later")
    third = p.expect(lambda s: s.has("S"), 2.0 * (1 + TOL) + 0.2, "a second retransmission ~2 s later")
    g1, g2 = second.t - first.t, third.t - second.t
    note("SYN-ACKs at +0.000, +%.3f, +%.3f s (gaps %.3f, %.3f)" % (g1, g1 + g2, g1, g2))
    check(near(g1, 1.0), "first SYN-ACK retransmission after %.3f s (want 1 s ±40%%)" % g1)
    check(near(g2, 2.0), "second retransmission %.3f s later (want 2 s ±40%%, RTO doubled)" % g2)
    check(all(s.seq == first.seq and s.ack == first.ack and s.is_("SA") for s in (second, third)),
          "retransmissions repeat the same ISN and ack")
    # Still SYN_RECEIVED: a RST at RCV.NXT ends it and the passive open goes back to
    # LISTEN (RFC 9293 §3.10.7.4 second check); an ACK for the SYN-ACK then meets only
    # the listener, which answers <SEQ=SEG.ACK><CTL=RST> (§3.10.7.2).
    p.reset()
    p.send("A", seq=seq_add(p.iss, 1), ack=seq_add(first.seq, 1))
    r = p.expect(lambda s: not s.has("S"), 1.0, "a RST to the ACK after our RST")
    check(r.is_("R") and r.seq == seq_add(first.seq, 1),
          "SYN_RECEIVED ended by our RST: the late ACK gets RST seq=SEG.ACK: %s" % r)


def data_retransmission():
    # RFC 6298 §5.4: on expiry retransmit the earliest unacknowledged segment;
    # §2.1: initial RTO 1 s (the handshake gave no RTT sample: the SYN-ACK is not timed
    # and was never retransmitted here, but the first data segment is never ACKed);
    # §5.5: back off the timer (double it).
    p = Peer(19, name="chargen-rtx")
    p.handshake(options=[("MSS", 1460)])
    start = seq_add(p.irs, 1)
    first = p.expect(lambda s: s.seq == start and len(s.payload) > 0, 2.0, "chargen's first data segment")
    burst = p.drain(0.3)
    note("first flight: %d segments after the first (%s bytes each)"
         % (len(burst), sorted({len(s.payload) for s in burst})))
    rtx1 = p.expect(lambda s: s.seq == start and len(s.payload) > 0, 1.0 * (1 + TOL),
                    "the first segment retransmitted ~1 s later")
    rtx2 = p.expect(lambda s: s.seq == start and len(s.payload) > 0, 2.0 * (1 + TOL) + 0.2,
                    "a second retransmission ~2 s after that")
    g1, g2 = rtx1.t - first.t, rtx2.t - rtx1.t
    note("first segment at +0.000, +%.3f, +%.3f s (gaps %.3f, %.3f)" % (g1, g1 + g2, g1, g2))
    check(near(g1, 1.0), "first retransmission after %.3f s (want 1 s ±40%%)" % g1)
    check(near(g2, 2.0), "second retransmission %.3f s later (want 2 s ±40%%, RTO doubled)" % g2)
    check(rtx1.payload == first.payload and rtx2.payload == first.payload,
          "retransmissions carry the same %d bytes as the first segment" % len(first.payload))
    p.reset()


checks = [
    ("SYN-ACK retransmission with backoff", synack_retransmission),
    ("data retransmission with backoff", data_retransmission),
]

if __name__ == "__main__":
    run_checks("retransmission timers", checks)
