"""TCP User Timeout Option (RFC 5482) and the user timeout abort.

Run by test_tcp_uto.sh inside tt-cli, once per tcpterm configuration; the
environment variable TT_PHASE says which one:
  advertise  --tcp.user_timeout_ms 20000 --tcp.uto_advertise true
  abort      --tcp.user_timeout_ms 3000
  peer       --tcp.user_timeout_ms 3000 --tcp.uto_min_ms 8000
Default listeners (chargen on 19, discard on 9); initial RTO 1 s.
"""
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import (Peer, check, connect_from_tcpterm, note, run_checks,  # noqa: E402
                     seq_add, seq_lt)

CHARGEN, DISCARD = 19, 9
MSS = ("MSS", 1460)
TOL = 0.4


def near(got, want):
    return want * (1 - TOL) <= got <= want * (1 + TOL)


def uto_of(s):
    """(timeout in seconds, granularity-bit) of a segment's UTO option, or None."""
    v = s.opt("UTO")
    if v is None:
        return None
    return ((v & 0x7fff) * (60 if v & 0x8000 else 1), bool(v & 0x8000))


# ---- advertise ----------------------------------------------------------------------------------


def advertise_in_syn_ack():
    # RFC 5482 §3: a TCP may advertise its user timeout in the UTO option of its SYN and
    # SYN,ACK; §4.1: kind 28, length 4, granularity bit G (0 = seconds), 15-bit value.
    for offer in (False, True):
        p = Peer(DISCARD, name="uto-synack%s" % ("-peer-uto" if offer else ""))
        p.syn([MSS] + ([("UTO", 60)] if offer else []))
        sa = p.expect(lambda s: s.has("S"), 1.0, "a SYN-ACK")
        check(sa.is_("SA"), "SYN-ACK: %s" % sa)
        check(uto_of(sa) == (20, False),
              "SYN-ACK to a SYN %s UTO carries UTO = 20 s in seconds granularity (G=0): %s"
              % ("with" if offer else "without", sa.opt("UTO")))
        p.reset()


def advertise_in_syn():
    # RFC 5482 §3: also in the SYN of an active open.
    p, syn = connect_from_tcpterm("discard", name="uto-syn")
    check(uto_of(syn) == (20, False), "tcpterm's own SYN carries UTO = 20 s (G=0): %s" % syn)
    p.send("RA", seq=0, ack=seq_add(syn.seq, 1), options=[])


# ---- abort ----------------------------------------------------------------------------------------


class Stalled:
    """A chargen connection whose data we read but never acknowledge."""

    def __init__(self, name, uto=None):
        self.p = Peer(CHARGEN, name=name)
        opts = [MSS] + ([("UTO", uto)] if uto is not None else [])
        self.synack = self.p.handshake(options=opts)
        self.first = None         # time of the first data segment
        self.end = seq_add(self.p.irs, 1)   # highest sequence number sent + 1
        self.rst = None
        self.rtx = 0

    def take(self, s):
        if s.payload:
            if self.first is None:
                self.first = s.t
            e = seq_add(s.seq, len(s.payload))
            if seq_lt(self.end, e):
                self.end = e
            elif s.seq == seq_add(self.p.irs, 1):
                self.rtx += 1
        if s.has("R") and self.rst is None:
            self.rst = s


def watch(conns, timeout):
    """Reads every connection's segments (never ACKing) until each has sent a RST."""
    deadline = time.monotonic() + timeout
    while any(c.rst is None for c in conns):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([c.p.rx for c in conns], [], [], left)
        for c in conns:
            if c.p.rx in r:
                s = c.p.next(0.001)
                if s is not None:
                    c.take(s)


def check_abort(c, want, what):
    check(c.first is not None, "%s: chargen sent data" % c.p.name)
    check(c.rst is not None, "%s: tcpterm aborted with a RST" % c.p.name)
    after = c.rst.t - c.first
    note("%s: first data at +0.000 s, %d retransmissions of it, RST at +%.3f s: %s"
         % (c.p.name, c.rtx, after, c.rst))
    # RFC 5482 §1 / RFC 9293 §3.8.3: data unacknowledged for USER_TIMEOUT aborts the
    # connection; RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>.
    check(near(after, want), "%s: RST %.3f s after the first unacknowledged data (want %s s ±40%%)"
          % (c.p.name, after, want))
    check(c.rst.has("R") and c.rst.seq == c.end and not c.rst.payload,
          "%s: the RST is at SND.NXT (%d): %s" % (c.p.name, c.end, c.rst))
    check(c.rtx >= 1, "%s: the data was retransmitted before the abort (RTO 1 s)" % c.p.name)
    # The connection is gone: an ACK now gets <SEQ=SEG.ACK><CTL=RST> (§3.10.7.1).
    c.p.send("A", ack=c.end)
    r = c.p.expect(lambda s: True, 1.0, "a RST from CLOSED")
    check(r.is_("R") and r.seq == c.end, "%s: after the abort an ACK meets a closed port: %s" % (c.p.name, r))


def user_timeout_abort():
    c = Stalled("uto-abort-3s")
    # uto_advertise is off: no UTO option (RFC 5482 §3: advertising is optional).
    check(c.synack.opt("UTO") is None, "SYN-ACK carries no UTO with tcp.uto_advertise off")
    watch([c], 3.0 * (1 + TOL) + 1.0)
    check_abort(c, 3.0, "tcp.user_timeout_ms 3000")


# ---- peer -------------------------------------------------------------------------------------------


def peer_uto_raised_to_minimum():
    # RFC 5482 §3.1: USER_TIMEOUT = min(U_LIMIT, max(ADV_UTO, L_LIMIT)). The peer advertises
    # 1 s, L_LIMIT (tcp.uto_min_ms) is 8 s: the connection aborts after 8 s -- neither after
    # the peer's 1 s nor after the local 3 s, which a connection without UTO shows alongside.
    plain = Stalled("no-peer-uto")
    low = Stalled("peer-uto-1s", uto=1)
    watch([plain, low], 8.0 * (1 + TOL) + 1.0)
    check_abort(plain, 3.0, "local 3 s")
    check_abort(low, 8.0, "peer 1 s raised to 8 s")
    check(low.rst.t - low.first > 3.0 * (1 + TOL),
          "the peer's 1 s was not taken as is, nor replaced by the local 3 s")


PHASES = {
    "advertise": [("UTO in the SYN-ACK (RFC 5482 §3, §4.1)", advertise_in_syn_ack),
                  ("UTO in tcpterm's SYN", advertise_in_syn)],
    "abort": [("user timeout 3 s aborts a stalled connection", user_timeout_abort)],
    "peer": [("peer UTO below uto_min_ms is raised to it (RFC 5482 §3.1)", peer_uto_raised_to_minimum)],
}

if __name__ == "__main__":
    phase = os.environ.get("TT_PHASE", "")
    if phase not in PHASES:
        raise SystemExit("TT_PHASE must be one of %s" % ", ".join(PHASES))
    run_checks("user timeout (%s)" % phase, PHASES[phase])
