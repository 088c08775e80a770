"""SACK blocks for out-of-order data (RFC 2018 §3, §4; RFC 5681 §4.2).

Run by test_tcp_sack.sh inside tt-cli against tcpterm's default config (echo
on 7, discard on 9, tcp.sack = true). Islands are 100-byte segments sent
beyond a hole; tcpterm must answer each at once with a duplicate ACK whose
SACK blocks report what it holds.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import CheckFailed, Peer, check, note, run_checks, seq_add  # noqa: E402

ECHO, DISCARD = 7, 9
MSS = ("MSS", 1460)
NOP = ("NOP", None)
SACK_OK = ("SAckOK", b"")
TS = ("Timestamp", (0, 0))
IMMEDIATE = 0.2          # an immediate ACK: no delayed-ACK wait (RFC 5681 §4.2)


def blocks(s):
    """SACK blocks of a segment as [(left, right), ...], first block first."""
    v = s.opt("SAck")
    if v is None:
        return []
    return [(v[i], v[i + 1]) for i in range(0, len(v), 2)]


def rel(p, bl):
    """Blocks relative to our ISN+1 (byte offsets in the stream), for messages."""
    base = seq_add(p.iss, 1)
    return [((l - base) % (1 << 32), (r - base) % (1 << 32)) for l, r in bl]


class Stream:
    """Our byte stream: island(off, n) sends bytes off..off+n of it without moving snd_nxt."""

    def __init__(self, p, size):
        self.p = p
        self.data = bytes((i * 7 + 13) % 251 for i in range(size))
        self.base = p.snd_nxt

    def seq(self, off):
        return seq_add(self.base, off)

    def island(self, off, n):
        self.p.send("PA", seq=self.seq(off), payload=self.data[off:off + n])

    def span(self, off, n):
        return (self.seq(off), self.seq(off + n))


def dup_ack(p, what):
    """The immediate duplicate ACK for an out-of-order segment just sent."""
    t0 = time.monotonic()
    a = p.expect(lambda s: True, 1.0, what)
    check(a.is_("A") and a.ack == p.snd_nxt and not a.payload,
          "%s: a pure ACK still at RCV.NXT (our %d): %s" % (what, p.snd_nxt, a))
    # RFC 5681 §4.2 / RFC 9293 §3.10.7.4: an out-of-order segment draws an immediate ACK.
    check(a.t - t0 < IMMEDIATE, "%s: sent %.0f ms after the segment (immediate)" % (what, (a.t - t0) * 1000))
    return a


def sack_islands(port, ts):
    name = "sack-%s%s" % ("echo" if port == ECHO else "discard", "-ts" if ts else "")
    p = Peer(port, name=name)
    opts = [MSS, SACK_OK] + ([NOP, NOP, TS] if ts else [])
    sa = p.handshake(options=opts)
    # RFC 2018 §2: SACK-permitted answered in the SYN-ACK when offered.
    check("SAckOK" in sa.opt_names(), "SYN-ACK carries SACK-permitted: %s" % sa)
    st = Stream(p, 400)
    A, B, C, D = (0, 100), (100, 100), (200, 100), (300, 100)
    # Island [100,200) beyond the hole [0,100).
    st.island(*B)
    a = dup_ack(p, "ACK for the first island")
    # RFC 2018 §4: a receiver holding non-contiguous data SHOULD send SACK; the first block
    # MUST be the contiguous block holding the segment that triggered the ACK.
    check(blocks(a) == [st.span(*B)], "one SACK block = the island %s: got %s" % (B, rel(p, blocks(a))))
    # A second island [300,400): two blocks, the newest (triggering) one first.
    st.island(*D)
    a = dup_ack(p, "ACK for the second island")
    check(blocks(a) == [st.span(*D), st.span(*B)],
          "two SACK blocks, the newest island first: want %s, got %s"
          % (rel(p, [st.span(*D), st.span(*B)]), rel(p, blocks(a))))
    # Fill [200,300): it joins both islands into one block [100,400), still above the hole.
    st.island(*C)
    a = dup_ack(p, "ACK for the segment joining the islands")
    check(blocks(a) == [(st.seq(100), st.seq(400))],
          "RFC 2018 §4: joined islands are reported as one block [100,400): got %s" % rel(p, blocks(a)))
    # Fill the hole [0,100): the ACK covers everything and no block is left to report.
    p.send("PA", payload=st.data[0:100])
    p.snd_nxt = st.seq(400)
    deadline = time.monotonic() + 2.0
    echoed = b""
    acked = None
    while (acked != p.snd_nxt or (port == ECHO and len(echoed) < 400)) and time.monotonic() < deadline:
        s = p.next(max(0.0, deadline - time.monotonic()))
        if s is None:
            break
        # RFC 2018 §4: SACK only reports data above the cumulative ACK; none remains.
        check(s.opt("SAck") is None, "no SACK option once the hole is filled: %s" % s)
        acked = s.ack
        if s.payload and s.seq == p.rcv_nxt:
            echoed += s.payload
            p.absorb(s)
            p.send("A")
    check(acked == p.snd_nxt, "cumulative ACK of all 400 bytes (ack %s, want %d)" % (acked, p.snd_nxt))
    if port == ECHO:
        # RFC 862 over RFC 9293 §3.10.7.4 seventh: queued segments are delivered in order.
        check(echoed == st.data, "echo: the 400 bytes came back once, in order (%d bytes)" % len(echoed))
    p.expect_nothing(0.3, "nothing more", pred=lambda s: s.payload or s.opt("SAck") is not None)
    p.reset()


def sack_newest_first_lower_island():
    # RFC 2018 §4: "first" means the most recently received, not the highest: an island
    # below an older one is reported first.
    p = Peer(DISCARD, name="sack-order")
    p.handshake(options=[MSS, SACK_OK])
    st = Stream(p, 500)
    st.island(400, 100)
    a = dup_ack(p, "ACK for the high island")
    check(blocks(a) == [st.span(400, 100)], "one block [400,500): got %s" % rel(p, blocks(a)))
    st.island(100, 100)
    a = dup_ack(p, "ACK for the lower island")
    check(blocks(a) == [st.span(100, 100), st.span(400, 100)],
          "the lower, newer island [100,200) first, then [400,500): got %s" % rel(p, blocks(a)))
    # A duplicate of the older island: RFC 2018 §4 (and RFC 2883 D-SACK aside) the block of
    # the triggering segment comes first.
    st.island(400, 100)
    a = dup_ack(p, "ACK for a repeated high island")
    check(blocks(a)[:1] == [st.span(400, 100)] and len(blocks(a)) == 2,
          "after the high island again, its block [400,500) is first: got %s" % rel(p, blocks(a)))
    p.reset()


def sack_block_limit():
    # RFC 2018 §3: at most 4 blocks fit in the 40 option bytes, 3 with the 12-byte
    # timestamp option (RFC 7323 §3); §4: the first one is the newest island.
    for ts, limit in ((False, 4), (True, 3)):
        p = Peer(DISCARD, name="sack-limit%s" % ("-ts" if ts else ""))
        p.handshake(options=[MSS, SACK_OK] + ([NOP, NOP, TS] if ts else []))
        check(p.ts_ok == ts, "timestamps %s" % ("on" if ts else "off"))
        st = Stream(p, 1000)
        for k in range(5):                       # islands [100,200) [300,400) ... [900,1000)
            st.island(100 + 200 * k, 100)
            a = dup_ack(p, "ACK for island %d" % (k + 1))
        bl = blocks(a)
        islands = {st.span(100 + 200 * k, 100) for k in range(5)}
        check(len(bl) == limit, "%s timestamps: %d SACK blocks with 5 islands held (got %d: %s)"
              % ("with" if ts else "without", limit, len(bl), rel(p, bl)))
        check(bl[0] == st.span(900, 100) and len(set(bl)) == len(bl) and set(bl) <= islands,
              "the newest island [900,1000) first, every block a distinct held island: %s" % rel(p, bl))
        # RFC 2018 §4 also says the other blocks SHOULD repeat the most recently reported
        # ones (here the islands received last). A SHOULD: reported, not checked.
        recent = [st.span(100 + 200 * k, 100) for k in (3, 2, 1, 0)][:limit - 1]
        if bl[1:] != recent:
            note("not checked (RFC 2018 §4 SHOULD): after the first block, the most recently "
                 "reported islands %s would come; tcpterm sent %s" % (rel(p, recent), rel(p, bl[1:])))
        p.reset()


def no_sack_without_permission():
    # RFC 2018 §2: SACK options MUST NOT be sent unless SACK-permitted was received in the
    # SYN. Same islands as above, and the hole filled: never a SACK option.
    p = Peer(ECHO, name="no-sack")
    sa = p.handshake(options=[MSS, NOP, NOP, TS])
    check("SAckOK" not in sa.opt_names(), "no SACK-permitted in the SYN-ACK to a SYN without it: %s" % sa)
    st = Stream(p, 400)
    for off in (100, 300, 200):
        st.island(off, 100)
        a = dup_ack(p, "ACK for the island at %d" % off)
        check(a.opt("SAck") is None, "no SACK option in the duplicate ACK: %s" % a)
    p.send("PA", payload=st.data[0:100])
    p.snd_nxt = st.seq(400)
    data, _ = p.read(400, 2.0)
    check(data == st.data, "echo: all 400 bytes back in order once the hole is filled")
    for t, d, text in p.log:
        if d == "<" and "SAck=" in text:
            raise CheckFailed("a SACK option was sent without SACK-permitted: %s" % text)
    check(True, "no segment of this connection carried a SACK option")
    p.reset()


checks = [
    ("SACK blocks on discard (RFC 2018 §4)", lambda: sack_islands(DISCARD, ts=False)),
    ("SACK blocks on echo, with timestamps; data echoed in order", lambda: sack_islands(ECHO, ts=True)),
    ("SACK: the newest island first, even below an older one", sack_newest_first_lower_island),
    ("SACK: 4 blocks at most, 3 with timestamps", sack_block_limit),
    ("no SACK option without SACK-permitted", no_sack_without_permission),
]

if __name__ == "__main__":
    run_checks("SACK blocks", checks)
