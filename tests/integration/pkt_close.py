"""Connection close: half-close on echo, simultaneous close and TIME_WAIT on
daytime (RFC 1337), TIME_WAIT reuse by a new SYN (RFC 6191, RFC 9293 §3.6.1).

Run by test_tcp_close.sh inside tt-cli against tcpterm's default config
(echo 7, daytime 13, http 80; 2*MSL = 60 s, tcp.rfc1337 = true).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import CheckFailed, Peer, check, note, run_checks, seq_add  # noqa: E402

ECHO, DAYTIME, HTTP = 7, 13, 80
MSS = ("MSS", 1460)
NOP = ("NOP", None)
TS = ("Timestamp", (0, 0))


def collect_until_fin(p, timeout, ack=True):
    """In-order data up to and including tcpterm's FIN. Returns (data, fin
    segment, highest ack seen). ACKs each in-order segment when ack is set."""
    data = b""
    high_ack = None
    deadline = time.monotonic() + timeout
    while True:
        s = p.next(max(0.0, deadline - time.monotonic()))
        if s is None:
            raise CheckFailed("no FIN from tcpterm within %.1f s (got %d bytes: %r)" % (timeout, len(data), data[:80]))
        if s.has("R"):
            raise CheckFailed("unexpected RST: %s" % s)
        if s.has("A") and (high_ack is None or (s.ack - high_ack) % (1 << 32) < (1 << 31)):
            high_ack = s.ack
        if s.seq == p.rcv_nxt and (s.payload or s.has("F")):
            data += s.payload
            p.absorb(s)
            if ack:
                p.send("A")
            if s.has("F"):
                return data, s, high_ack


def half_close(together):
    # RFC 9293 §3.6 / §3.10.7.4 eighth: our FIN moves tcpterm to CLOSE_WAIT, where it
    # can still send (half-close); RFC 862 echo sends everything back, then closes:
    # tcpterm's FIN follows the last echoed byte and LAST_ACK ends with our ACK.
    p = Peer(ECHO, name="half-close%s" % ("-fin-with-data" if together else ""))
    p.handshake(options=[MSS])
    msg = b"half-closed but still listening\n" * 3
    if together:
        p.send("FPA", payload=msg)
    else:
        p.send("PA", payload=msg)
        p.send("FA")
    our_fin_end = p.snd_nxt
    data, fin, high_ack = collect_until_fin(p, 3.0)
    check(data == msg, "all %d bytes sent before our FIN were echoed after it" % len(msg))
    check(fin.seq + len(fin.payload) == seq_add(p.irs, 1 + len(msg)),
          "tcpterm's FIN comes right after the last echoed byte: %s" % fin)
    check(high_ack == our_fin_end, "our FIN was acknowledged (ack %s, want %d)" % (high_ack, our_fin_end))
    # Our ACK of its FIN ends LAST_ACK (RFC 9293 §3.10.7.4 fifth, LAST-ACK): the TCB is
    # gone, so another ACK meets the listener: <SEQ=SEG.ACK><CTL=RST> (§3.10.7.2).
    p.expect_nothing(0.3, "nothing after our final ACK", pred=lambda s: s.has("R") or s.payload)
    p.send("A")
    r = p.expect(lambda s: True, 1.0, "a RST for an ACK after LAST_ACK ended")
    check(r.is_("R") and r.seq == p.rcv_nxt, "LAST_ACK -> CLOSED: a later ACK gets RST seq=SEG.ACK: %s" % r)


def simultaneous_close():
    # RFC 9293 §3.6 (simultaneous close, figure 13) and §3.10.7.4: daytime (RFC 867)
    # sends its line and FIN at once (FIN_WAIT_1). Our FIN arrives before any ACK of
    # tcpterm's FIN: tcpterm ACKs it and goes CLOSING; our ACK of its FIN then moves
    # it to TIME_WAIT.
    p = Peer(DAYTIME, name="simultaneous-close")
    p.handshake(options=[MSS])
    data, fin, _ = collect_until_fin(p, 3.0, ack=False)
    note("daytime said %r" % data)
    check(data.endswith(b"\r\n") and data.count(b"\n") == 1, "one daytime line before the FIN")
    fin_seq = seq_add(fin.seq, len(fin.payload))
    p.send("FA", ack=fin_seq)          # ACKs the line, not the FIN
    our_fin = seq_add(p.snd_nxt, -1)
    a = p.expect(lambda s: True, 1.0, "an ACK of our FIN")
    check(a.has("A") and not a.has("R") and a.ack == p.snd_nxt and not a.payload,
          "CLOSING: our FIN (seq %d) is acknowledged, ack=%d: %s" % (our_fin, p.snd_nxt, a))
    p.send("A")                        # ACKs tcpterm's FIN: CLOSING -> TIME_WAIT
    p.expect_nothing(0.3, "no reply to our ACK of tcpterm's FIN", pred=lambda s: s.has("R") or s.payload)
    # §3.10.7.4 eighth, TIME-WAIT: a retransmitted FIN is acknowledged again (2 MSL restarts).
    p.send("FA", seq=our_fin)
    a = p.expect(lambda s: True, 1.0, "an ACK from TIME_WAIT")
    check(a.is_("A") and a.ack == p.snd_nxt and a.seq == seq_add(fin_seq, 1),
          "TIME_WAIT ACKs a retransmitted FIN (seq=SND.NXT %d, ack=%d): %s" % (seq_add(fin_seq, 1), p.snd_nxt, a))
    # RFC 1337 (TIME-WAIT assassination, fix F1): a RST in TIME_WAIT is ignored, even one
    # at exactly RCV.NXT.
    p.send("R", seq=p.snd_nxt)
    p.expect_nothing(0.5, "RST in TIME_WAIT is not answered")
    p.send("FA", seq=our_fin)
    a = p.expect(lambda s: True, 1.0, "an ACK (not a RST) from TIME_WAIT")
    check(a.is_("A") and a.ack == p.snd_nxt,
          "RFC 1337: after the RST, TIME_WAIT still ACKs a retransmitted FIN (a RST would mean it ended): %s" % a)


def close_by_tcpterm(name, ts):
    """http with Connection: close: tcpterm closes first; after our FIN it is in
    TIME_WAIT. Returns the peer, with snd_nxt after our FIN."""
    p = Peer(HTTP, name=name)
    p.handshake(options=[MSS, NOP, NOP, TS] if ts else [MSS])
    check(p.ts_ok == ts, "%s: timestamps %s" % (name, "on" if ts else "off"))
    p.send("PA", payload=b"GET / HTTP/1.1\r\nHost: 198.18.0.1\r\nConnection: close\r\n\r\n")
    data, fin, _ = collect_until_fin(p, 3.0)
    check(data.startswith(b"HTTP/1.1 200") and b"Connection: close" in data,
          "%s: response (%d bytes) and tcpterm's FIN (active close)" % (name, len(data)))
    p.send("FA")
    a = p.expect(lambda s: True, 1.0, "the ACK of our FIN")
    check(a.is_("A") and a.ack == p.snd_nxt, "%s: our FIN ACKed, tcpterm is in TIME_WAIT: %s" % (name, a))
    p.drain(0.1)
    return p


def new_syn(p, isn, tsval):
    p.iss = isn
    opts = [MSS] + ([NOP, NOP, ("Timestamp", (tsval, 0))] if tsval is not None else [])
    p.syn(opts)


def syn_refused(p, what):
    """No SYN-ACK for the SYN just sent; whatever else comes is noted."""
    got = []
    deadline = time.monotonic() + 1.0
    while True:
        s = p.next(max(0.0, deadline - time.monotonic()))
        if s is None:
            break
        if s.has("S"):
            raise CheckFailed("%s: TIME_WAIT must not be reused, but got a SYN-ACK: %s" % (what, s))
        got.append(str(s))
    check(True, "%s: no SYN-ACK, TIME_WAIT kept (answer: %s)" % (what, "; ".join(got) or "none"))


def syn_accepted(p, what, tsval):
    sa = p.expect(lambda s: True, 1.0, "a SYN-ACK")
    check(sa.is_("SA") and sa.ack == seq_add(p.iss, 1),
          "%s: SYN-ACK for the new incarnation, ack=ISN+1: %s" % (what, sa))
    if tsval is not None:
        check(sa.ts is not None and sa.ts[1] == tsval, "%s: its TSecr echoes the new SYN's TSval" % what)
    p.reset()


def time_wait_reuse_ts():
    # RFC 6191 §2: the previous incarnation used timestamps and the new SYN has them:
    # honour it when its TSval is greater than the last one seen; otherwise keep
    # TIME_WAIT (RFC 6191: drop it silently; RFC 9293 §3.10.7.4 / RFC 5961 §4: at
    # most an ACK). Not a SYN-ACK either way.
    p = close_by_tcpterm("tw-ts", ts=True)
    last_ts = p.last_tsval
    old_end = p.snd_nxt
    new_syn(p, seq_add(old_end, 100000), seq_add(last_ts, -1000))
    syn_refused(p, "SYN with a higher ISN but an older TSval")
    tsval = seq_add(last_ts, 5000)
    new_syn(p, seq_add(old_end, 200000), tsval)
    syn_accepted(p, "SYN with a higher ISN and a newer TSval", tsval)


def time_wait_reuse_ts_equal():
    # RFC 6191 §2, second rule: timestamps equal to the last one seen and a sequence
    # number greater than the last seen: honour the SYN.
    p = close_by_tcpterm("tw-ts-equal", ts=True)
    last_ts = p.last_tsval
    new_syn(p, seq_add(p.snd_nxt, 100000), last_ts)
    syn_accepted(p, "SYN with the same TSval as our last segment and a higher ISN", last_ts)


def time_wait_reuse_no_ts_on_new():
    # RFC 6191 §2, third rule: timestamps will not be used by the new incarnation (the
    # SYN has none): the sequence number decides.
    p = close_by_tcpterm("tw-ts-then-none", ts=True)
    new_syn(p, seq_add(p.snd_nxt, 100000), None)
    syn_accepted(p, "SYN without timestamps, higher ISN, after a timestamped connection", None)


def time_wait_reuse_seq():
    # RFC 9293 §3.6.1 (RFC 1122 4.2.2.13) and RFC 6191 §2: without timestamps a SYN may
    # reopen the connection from TIME_WAIT only when its ISN is larger than the largest
    # sequence number of the previous incarnation.
    p = close_by_tcpterm("tw-seq", ts=False)
    old_end = p.snd_nxt
    new_syn(p, seq_add(old_end, -1000), None)
    syn_refused(p, "SYN with a lower ISN")
    new_syn(p, seq_add(old_end, 100000), None)
    syn_accepted(p, "SYN with a higher ISN", None)


checks = [
    ("half-close: data, then FIN", lambda: half_close(False)),
    ("half-close: data and FIN in one segment", lambda: half_close(True)),
    ("simultaneous close, TIME_WAIT, RFC 1337", simultaneous_close),
    ("TIME_WAIT reuse: timestamps decide (RFC 6191)", time_wait_reuse_ts),
    ("TIME_WAIT reuse: equal timestamp, higher ISN (RFC 6191)", time_wait_reuse_ts_equal),
    ("TIME_WAIT reuse: new SYN without timestamps (RFC 6191)", time_wait_reuse_no_ts_on_new),
    ("TIME_WAIT reuse: sequence numbers decide (RFC 9293 §3.6.1)", time_wait_reuse_seq),
]

if __name__ == "__main__":
    run_checks("close, TIME_WAIT", checks)
