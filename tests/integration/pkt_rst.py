"""RST generation and acceptance, RFC 5961 blind-attack defences, PAWS and the
sequence acceptability test.

Run by test_tcp_rst.sh inside tt-cli against tcpterm's default config (echo on
7, http on 80, nothing on 12345). Connections are set up without window scaling,
so tcpterm's receive window is at most 65535.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import MOD, Peer, check, note, run_checks, seq_add, seq_le  # noqa: E402

ECHO, HTTP, CLOSED = 7, 80, 12345
MSS = ("MSS", 1460)
NOP = ("NOP", None)


def established(name, ts=False, iss=None):
    """An echo connection that has already echoed 'hello'."""
    p = Peer(ECHO, name=name, iss=iss)
    p.handshake(options=[MSS, NOP, NOP, ("Timestamp", (0, 0))] if ts else [MSS])
    echo_alive(p, b"hello", "connection up")
    return p


def echo_alive(p, msg, what="connection still works"):
    p.drain(0.1)
    p.send("PA", payload=msg)
    data, _ = p.read(len(msg), 2.0)
    check(data == msg, "%s: %r echoed" % (what, msg))


def is_ack_at(p, s):
    """A pure ACK that acknowledges exactly our SND.NXT, from tcpterm's RCV point."""
    return s.is_("A") and s.ack == p.snd_nxt and s.seq == p.rcv_nxt and not s.payload


# ---- no connection -------------------------------------------------------------


def syn_to_closed_port():
    # RFC 9293 §3.10.7.1 (CLOSED): ACK bit off -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>;
    # the SYN counts one in SEG.LEN.
    p = Peer(CLOSED, name="syn-closed")
    p.syn([MSS])
    r = p.expect(lambda s: True, 1.0, "a RST")
    check(r.is_("RA") and r.seq == 0 and r.ack == seq_add(p.iss, 1),
          "SYN to a closed port -> RST,ACK seq=0 ack=ISN+1 (%d): %s" % (seq_add(p.iss, 1), r))
    # Same rule, SEG.LEN = 1 (SYN) + 10 bytes of data.
    q = Peer(CLOSED, name="syn-data-closed")
    q.syn([MSS], payload=b"0123456789")
    r = q.expect(lambda s: True, 1.0, "a RST")
    check(r.is_("RA") and r.seq == 0 and r.ack == seq_add(q.iss, 11),
          "SYN with 10 data bytes to a closed port -> RST,ACK ack=ISN+11: %s" % r)


def ack_to_closed_port():
    # RFC 9293 §3.10.7.1 (CLOSED): ACK bit on -> <SEQ=SEG.ACK><CTL=RST>.
    p = Peer(CLOSED, name="ack-closed")
    seg_ack = 0xFFFFFFF0
    p.send("A", seq=p.iss, ack=seg_ack)
    r = p.expect(lambda s: True, 1.0, "a RST")
    check(r.is_("R") and r.seq == seg_ack, "ACK to a closed port -> RST seq=SEG.ACK (%d): %s" % (seg_ack, r))


def ack_to_listener():
    # RFC 9293 §3.10.7.2 (LISTEN) second check: any ACK is bad -> <SEQ=SEG.ACK><CTL=RST>.
    p = Peer(HTTP, name="ack-listen")
    seg_ack = 123456789
    p.send("PA", seq=p.iss, ack=seg_ack, payload=b"GET / HTTP/1.0\r\n\r\n")
    r = p.expect(lambda s: True, 1.0, "a RST")
    check(r.is_("R") and r.seq == seg_ack,
          "ACK to a listening port with no connection -> RST seq=SEG.ACK (%d): %s" % (seg_ack, r))


def rst_to_closed_and_listener():
    # RFC 9293 §3.10.7.1: an incoming RST to a CLOSED port is discarded;
    # §3.10.7.2 first check: a RST in LISTEN is ignored.
    for port, what in ((CLOSED, "closed port"), (HTTP, "listening port")):
        p = Peer(port, name="rst-" + what.split()[0])
        p.send("R", seq=p.iss)
        p.expect_nothing(0.7, "RST to a %s -> nothing" % what)
        p.send("RA", seq=p.iss, ack=1)
        p.expect_nothing(0.7, "RST,ACK to a %s -> nothing" % what)
    # §3.10.7.2 fourth: neither SYN, ACK nor RST (a bare FIN) at a listener is dropped.
    p = Peer(HTTP, name="fin-listen")
    p.send("F", seq=p.iss)
    p.expect_nothing(0.7, "bare FIN (no ACK) to a listening port -> nothing")
    # Control: the capture for that tuple works, a SYN is answered.
    p.syn([MSS])
    sa = p.expect(lambda s: True, 1.0, "a SYN-ACK")
    check(sa.is_("SA"), "control: a SYN on the same tuple gets a SYN-ACK")
    p.reset()


# ---- RFC 5961 on an established connection ----------------------------------------------


def rst_exact():
    # RFC 5961 §3.2: a RST whose sequence number exactly matches RCV.NXT resets the
    # connection (no reply). Afterwards data meets only the listener: RFC 9293
    # §3.10.7.2 answers the ACK with <SEQ=SEG.ACK><CTL=RST>.
    p = established("rst-exact")
    p.send("R", seq=p.snd_nxt, ts=False)
    p.expect_nothing(0.5, "exact RST (seq = RCV.NXT) is not answered")
    p.send("PA", payload=b"after")
    r = p.expect(lambda s: True, 1.0, "a RST for data after the reset")
    check(r.is_("R") and r.seq == p.rcv_nxt,
          "data after the exact RST gets RST seq=SEG.ACK (%d): the connection is gone: %s" % (p.rcv_nxt, r))


def rst_in_window():
    # RFC 5961 §3.2: RST in the window but not exactly RCV.NXT -> challenge ACK
    # <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, and the connection stays.
    # Challenge ACKs go out at most once per 500 ms on a connection (Linux's
    # tcp_invalid_ratelimit): the probes are spaced by more than that, and one
    # sent right after a challenge gets nothing.
    p = established("rst-in-window")
    for off in (1, 1000, 60000):
        p.drain(0.55)
        p.send("R", seq=seq_add(p.snd_nxt, off), ts=False)
        a = p.expect(lambda s: True, 1.0, "a challenge ACK")
        check(is_ack_at(p, a), "RST at RCV.NXT+%d -> challenge ACK ack=RCV.NXT (%d): %s" % (off, p.snd_nxt, a))
    p.send("R", seq=seq_add(p.snd_nxt, 5), ts=False)
    p.expect_nothing(0.3, "a second in-window RST within 500 ms -> no second challenge ACK (per-connection limit)")
    p.drain(0.3)
    echo_alive(p, b"still here")
    p.reset()


def rst_out_of_window():
    # RFC 5961 §3.2 / RFC 9293 §3.10.7.4 first check: a RST outside the window is
    # dropped silently.
    p = established("rst-out-of-window")
    for off in (200000, -1000, 1 << 31):
        p.drain(0.05)
        p.send("R", seq=seq_add(p.snd_nxt, off), ts=False)
        p.expect_nothing(0.5, "RST at RCV.NXT%+d (outside the window) -> nothing" % off)
    echo_alive(p, b"still here")
    p.reset()


def syn_on_established():
    # RFC 5961 §4.2 (RFC 9293 §3.10.7.4 fourth): a SYN in a synchronized state, whatever
    # its sequence number, gets a challenge ACK; the connection stays.
    p = established("syn-established")
    for what, seq in (("in-window", p.snd_nxt), ("old ISN", p.iss), ("far away", seq_add(p.snd_nxt, 1 << 30))):
        p.drain(0.55)  # past the per-connection limit of one challenge ACK per 500 ms
        p.send("S", seq=seq, options=[MSS])
        a = p.expect(lambda s: True, 1.0, "a challenge ACK")
        check(is_ack_at(p, a), "SYN (%s seq) on ESTABLISHED -> ACK with ack=RCV.NXT, no SYN-ACK: %s" % (what, a))
    echo_alive(p, b"still here")
    p.reset()


def ack_of_unsent_data():
    # RFC 9293 §3.10.7.4 fifth check (ESTABLISHED): SEG.ACK > SND.NXT -> send an ACK,
    # drop the segment (its data too), return. RFC 5961 §5.2 the same.
    p = established("ack-too-new")
    p.drain(0.05)
    p.send("PA", seq=p.snd_nxt, ack=seq_add(p.rcv_nxt, 1000), payload=b"lost")
    a = p.expect(lambda s: True, 1.0, "an ACK")
    check(is_ack_at(p, a), "ACK of data never sent -> ACK with ack=RCV.NXT, not advanced over 'lost': %s" % a)
    p.expect_nothing(0.5, "the segment's data was dropped, not echoed", pred=lambda s: len(s.payload) > 0)
    echo_alive(p, b"still here")
    p.reset()


def ack_too_old():
    # RFC 5961 §5.2: SEG.ACK < SND.UNA - MAX.SND.WND -> the segment is dropped and an
    # ACK sent. Our window is 65535 (no scaling), so 200000 back is too old.
    p = established("ack-too-old")
    p.drain(0.05)
    p.send("PA", seq=p.snd_nxt, ack=seq_add(p.rcv_nxt, -200000), payload=b"lost")
    a = p.expect(lambda s: True, 1.0, "an ACK")
    check(is_ack_at(p, a), "ACK below SND.UNA-MAX.SND.WND -> ACK with ack=RCV.NXT, data dropped: %s" % a)
    p.expect_nothing(0.5, "the segment's data was not echoed", pred=lambda s: len(s.payload) > 0)
    echo_alive(p, b"still here")
    p.reset()


# ---- PAWS and sequence acceptability ------------------------------------------------------


def paws():
    # RFC 7323 §5.3 R1: with timestamps on, a segment whose TSval is older than TS.Recent
    # is dropped and answered with an ACK (RFC 9293 §3.10.7.4); TS.Recent is not updated
    # from it (R3 applies only to accepted segments).
    p = established("paws", ts=True)
    check(p.ts_ok, "timestamps negotiated")
    recent = p.last_tsval
    old = seq_add(p.ts_base, -1000)
    p.drain(0.1)
    p.send("PA", seq=p.snd_nxt, payload=b"stale",
           options=[NOP, NOP, ("Timestamp", (old, p.ts_recent))])
    a = p.expect(lambda s: True, 1.0, "an ACK")
    check(is_ack_at(p, a), "segment with an old TSval -> ACK with ack=RCV.NXT, not advanced over it: %s" % a)
    check(a.ts is not None and a.ts[1] != old and seq_le(recent, a.ts[1]),
          "its TSecr is still the last valid TSval (>= %d), not the old %d: %s" % (recent, old, a.ts))
    p.expect_nothing(0.5, "the old segment's data was dropped, not echoed", pred=lambda s: len(s.payload) > 0)
    # The same bytes with a current TSval are accepted.
    echo_alive(p, b"stale", "same data with a current TSval")
    p.reset()


def out_of_window_segments():
    # RFC 9293 §3.10.7.4 first check: a segment that is not acceptable (no byte inside
    # RCV.NXT..RCV.NXT+RCV.WND) is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    # (unless it is a RST) and dropped.
    p = established("out-of-window")
    cases = [
        ("data beyond the window", seq_add(p.snd_nxt, 100000), b"future"),
        ("data entirely before RCV.NXT", seq_add(p.snd_nxt, -1000), b"old-duplicate"),
        ("empty ACK beyond the window", seq_add(p.snd_nxt, 1 << 30), b""),
    ]
    for what, seq, payload in cases:
        p.drain(0.05)
        p.send("PA" if payload else "A", seq=seq, payload=payload)
        a = p.expect(lambda s: True, 1.0, "an ACK")
        check(is_ack_at(p, a), "%s -> ACK with the current RCV.NXT (%d): %s" % (what, p.snd_nxt, a))
    p.expect_nothing(0.5, "none of that data was echoed", pred=lambda s: len(s.payload) > 0)
    echo_alive(p, b"still here")
    p.reset()


def sequence_wrap():
    # RFC 9293 §3.4: sequence numbers are compared modulo 2^32. An ISN just below 2^32
    # makes the data, the window test and the RST test cross the wrap.
    p = established("wrap", iss=MOD - 3)
    note("our ISN %d, SND.NXT now %d" % (p.iss, p.snd_nxt))
    echo_alive(p, b"0123456789" * 3, "data across the wrap")
    p.drain(0.05)
    p.send("R", seq=seq_add(p.snd_nxt, 10), ts=False)
    a = p.expect(lambda s: True, 1.0, "a challenge ACK")
    check(is_ack_at(p, a), "in-window RST after the wrap -> challenge ACK: %s" % a)
    p.send("R", seq=seq_add(p.snd_nxt, -10), ts=False)
    p.expect_nothing(0.5, "RST 10 before RCV.NXT (outside the window across the wrap) -> nothing")
    echo_alive(p, b"alive")
    p.reset()
    p.send("PA", payload=b"after")
    r = p.expect(lambda s: True, 1.0, "a RST")
    check(r.is_("R") and r.seq == p.rcv_nxt, "exact RST after the wrap reset the connection: %s" % r)


checks = [
    ("SYN to a closed port", syn_to_closed_port),
    ("ACK to a closed port", ack_to_closed_port),
    ("ACK to a listener without connection", ack_to_listener),
    ("RST or bare FIN without connection", rst_to_closed_and_listener),
    ("RFC 5961: exact RST resets", rst_exact),
    ("RFC 5961: in-window RST -> challenge ACK", rst_in_window),
    ("RFC 5961: out-of-window RST ignored", rst_out_of_window),
    ("RFC 5961: SYN on ESTABLISHED -> challenge ACK", syn_on_established),
    ("ACK of unsent data", ack_of_unsent_data),
    ("RFC 5961: ACK too old", ack_too_old),
    ("PAWS", paws),
    ("sequence acceptability", out_of_window_segments),
    ("sequence numbers across 2^32", sequence_wrap),
]

if __name__ == "__main__":
    run_checks("RST, RFC 5961, PAWS, acceptability", checks)
