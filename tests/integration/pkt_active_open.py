"""Active open and simultaneous open (RFC 9293 §3.10.7.3 SYN-SENT, Figure 8).

tcpterm opens the connections itself, told through DPDK telemetry
(/tcpterm/connect,198.18.0.2:PORT,SERVICE; tcppeer.connect_from_tcpterm()).
Run by test_tcp_active_open.sh inside tt-cli (TT_PREFIX and TT_ROOT_NETNS
exported) against tcpterm's default config: initial RTO 1 s, rcvbuf 256 KiB
(window scale shift 6), timestamps, SACK and window scaling on.
"""
import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import (CLI_ADDR, CheckFailed, check, connect_from_tcpterm, note, run_checks,  # noqa: E402
                     seq_add, tcpterm_counters)

TOL = 0.4
MSS = ("MSS", 1460)
NOP = ("NOP", None)
EPHEMERAL = (32768, 60999)   # RFC 6056 §3.2 / IANA dynamic range, tcpterm's configured range
DAYTIME_LINE = re.compile(rb"^[A-Z][a-z]+day, [A-Z][a-z]+ \d\d, \d{4} \d\d:\d\d:\d\d-UTC\r\n$")


def near(gap, want):
    return want * (1 - TOL) <= gap <= want * (1 + TOL)


def check_syn(syn):
    """What every SYN of tcpterm's active open must look like."""
    # RFC 9293 §3.10.1 OPEN: <SEQ=ISS><CTL=SYN>, no ACK.
    check(syn.is_("S") and not syn.payload, "a bare SYN (no ACK, no data): %s" % syn)
    # RFC 6056 §3.2: ephemeral ports come from the dynamic range (tcpterm: 32768..60999).
    check(EPHEMERAL[0] <= syn.sport <= EPHEMERAL[1],
          "source port %d is in the ephemeral range %d..%d" % (syn.sport, EPHEMERAL[0], EPHEMERAL[1]))
    # RFC 9293 §3.7.1: MSS in the SYN; the port's MTU is 1500, so 1460.
    check(syn.opt("MSS") == 1460, "MSS 1460 offered (got %s)" % syn.opt("MSS"))
    # RFC 7323 §2.2: WS sent in the initial SYN; shift <= 14 (§2.3).
    ws = syn.opt("WScale")
    check(ws is not None and 0 <= ws <= 14, "window scale offered, shift %s <= 14" % ws)
    # RFC 2018 §2: SACK-permitted only in a SYN.
    check("SAckOK" in syn.opt_names(), "SACK-permitted offered")
    # RFC 7323 §3.2: TS in the SYN; TSecr is 0 since nothing was received.
    check(syn.ts is not None and syn.ts[1] == 0, "timestamps offered with TSecr 0: %s" % (syn.ts,))


def echo_round_trip(p, msg, what):
    p.drain(0.1)
    p.send("PA", payload=msg)
    data, _ = p.read(len(msg), 2.0)
    check(data == msg, "%s: %r echoed back" % (what, msg))


# ---- (a) against a real Linux listener -----------------------------------------------------


def linux_listener_daytime():
    # RFC 9293 §3.10.7.3 with a real peer: nc -l in tt-cli accepts tcpterm's connection;
    # the daytime service (RFC 867) sends one line and closes (§3.6 case 1: tcpterm closes
    # first, FIN_WAIT_1/2, then ACKs Linux's FIN and enters TIME_WAIT).
    port = random.randrange(21000, 22000)
    before = tcpterm_counters()
    nc = subprocess.Popen(["nc", "-l", CLI_ADDR, str(port)], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 3.0
        while b":%d" % port not in subprocess.run(["ss", "-ltnH"], stdout=subprocess.PIPE).stdout:
            if time.monotonic() > deadline:
                raise CheckFailed("nc -l %d is not listening after 3 s" % port)
            time.sleep(0.05)
        p, syn = connect_from_tcpterm("daytime", lport=port, name="daytime-to-nc")
        check_syn(syn)
        segs = []
        fin = None
        last = None
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline:
            s = p.next(0.5)
            if s is None:
                if fin is not None:
                    break
                continue
            segs.append(s)
            if s.has("R"):
                raise CheckFailed("tcpterm sent a RST to the Linux peer: %s" % s)
            if s.has("F") and fin is None:
                fin = s
            last = s
        out, err = nc.communicate(timeout=3.0)
    finally:
        if nc.poll() is None:
            nc.kill()
            nc.wait()
    note("nc received %r (exit %d)" % (out, nc.returncode))
    check(nc.returncode == 0, "nc -l exited 0 once tcpterm closed (stderr %r)" % err)
    check(DAYTIME_LINE.match(out) is not None, "RFC 867: one daytime line arrived: %r" % out)
    data = b"".join(s.payload for s in segs if not s.has("S"))
    check(data == out, "what tcpterm sent is exactly what nc printed")
    check(fin is not None and seq_add(fin.seq, len(fin.payload)) == seq_add(syn.seq, 1 + len(out)),
          "RFC 867 / RFC 9293 §3.6: tcpterm's FIN right after the line: %s" % fin)
    # §3.6 / §3.10.7.4 eighth (FIN_WAIT_2 -> TIME_WAIT): Linux's FIN (it sent no data, so it
    # is the only sequence number after its ISN+1) is acknowledged: ack one past the ack
    # tcpterm's FIN carried.
    check(last is not None and last.is_("A") and last.ack == seq_add(fin.ack, 1) and not last.payload,
          "tcpterm's last segment ACKs Linux's FIN (ack %d): %s" % (seq_add(fin.ack, 1), last))
    time.sleep(0.2)
    left = subprocess.run(["ss", "-tanH", "( sport = :%d )" % port], stdout=subprocess.PIPE).stdout
    check(left.strip() == b"", "no Linux socket left on port %d (LAST_ACK ended): %r" % (port, left))
    after = tcpterm_counters()
    check(after["ActiveOpens"] == before["ActiveOpens"] + 1, "ActiveOpens grew by 1")
    check(after["AttemptFails"] == before["AttemptFails"] and after["EstabResets"] == before["EstabResets"]
          and after["OutRsts"] == before["OutRsts"], "no failed attempt, no reset on either side")
    check(after["CurrTimeWait"] == before["CurrTimeWait"] + 1,
          "tcpterm, the active closer, holds the connection in TIME_WAIT (CurrTimeWait +1)")


# ---- (b) three-way handshake with the scripted peer --------------------------------------


def three_way_handshake():
    # RFC 9293 §3.5 Figure 6 / §3.10.7.3: SYN -> SYN,ACK -> ACK, then ESTABLISHED.
    p, syn = connect_from_tcpterm("echo", name="active-3way")
    check_syn(syn)
    p.ts_ok = True
    p.send("SA", seq=p.iss, ack=seq_add(syn.seq, 1),
           options=[MSS, ("WScale", 7), ("SAckOK", b""), ("Timestamp", (p.tsval(), syn.ts[0]))])
    p.snd_nxt = seq_add(p.iss, 1)
    a = p.expect(lambda s: True, 1.0, "the ACK of our SYN-ACK")
    # §3.10.7.3 fourth (SYN bit, our SYN acknowledged): ESTABLISHED, send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    check(a.is_("A") and a.seq == seq_add(syn.seq, 1) and a.ack == seq_add(p.iss, 1) and not a.payload,
          "ACK seq=ISS+1, ack=our ISN+1: %s" % a)
    # RFC 7323 §3.2 / §4.3: TSecr echoes the TSval of the SYN-ACK.
    check(a.ts is not None and a.ts[1] == p.last_tsval, "its TSecr echoes our SYN-ACK's TSval %d" % p.last_tsval)
    # RFC 7323 §2.2: once both sides sent WS, the ACK's window field is scaled by tcpterm's shift.
    shift = syn.opt("WScale")
    check(shift > 0 and (a.win << shift) > 65535,
          "window scaling in force: field %d << %d = %d > 65535" % (a.win, shift, a.win << shift))
    echo_round_trip(p, b"active open, echo service\n", "ESTABLISHED")
    p.expect_nothing(1.3, "the SYN is not retransmitted after the handshake", pred=lambda s: s.has("S"))
    p.reset()


def receive_window_after_active_open():
    # tcpterm's receive window once the SYN,ACK has told it RCV.NXT. Our ISNs are spread over
    # the sequence space (and across the 2^32 wrap) so that no ISS/IRS relation goes untested.
    #  - RFC 9293 §3.8.6 (SHLD-14): a receiver SHOULD NOT shrink the window (move the right
    #    edge left). Its SYN offered 65535 bytes from our ISN+1, with all its buffer
    #    free; the ACK that completes the handshake must not offer less.
    #  - RFC 9293 §3.10.7.4 first check: a segment lying entirely beyond RCV.NXT+RCV.WND --
    #    the window tcpterm itself advertised -- is not acceptable: <SEQ=SND.NXT>
    #    <ACK=RCV.NXT><CTL=ACK>, and the data is dropped (so no SACK block, RFC 2018 §4,
    #    may report it).
    shrunk, held = [], []
    for i, isn in enumerate((0x10000000, 0x50000000, 0x90000000, 0xD0000000, 0xFFFFFF00, 0x7FFFFF00)):
        p, syn = connect_from_tcpterm("discard", name="active-window-%d" % i)
        p.iss = p.snd_nxt = isn
        shift = syn.opt("WScale")
        p.ts_ok = True
        p.send("SA", seq=p.iss, ack=seq_add(syn.seq, 1),
               options=[MSS, ("WScale", 7), ("SAckOK", b""), ("Timestamp", (p.tsval(), syn.ts[0]))])
        p.snd_nxt = seq_add(p.iss, 1)
        a = p.expect(lambda s: True, 1.0, "the ACK of our SYN-ACK")
        wnd = a.win << shift
        beyond = seq_add(p.snd_nxt, wnd + 1000)
        p.send("PA", seq=beyond, payload=b"x" * 100)
        r = p.expect(lambda s: True, 1.0, "an ACK to the segment beyond the window")
        if wnd < syn.win:
            shrunk.append(i)
        if not (r.is_("A") and r.ack == p.snd_nxt and r.opt("SAck") is None):
            held.append(i)
        note("connect %d: its ISS %d, our ISN %d; SYN window %d, ACK window field %d << %d = %d%s; "
             "100 bytes at RCV.NXT+%d -> %s%s"
             % (i, syn.seq, p.iss, syn.win, a.win, shift, wnd, " (SHRUNK)" if i in shrunk else "",
                wnd + 1000, r, " (HELD beyond the window)" if i in held else ""))
        p.reset()
    check(not shrunk and not held,
          "every connect: the handshake ACK offers at least the SYN's 65535 bytes (SHLD-14; "
          "shrunk in connects %s) and data 1000 bytes past the advertised right edge gets a plain "
          "ACK ack=RCV.NXT, is not held, no SACK block (§3.10.7.4; held in connects %s)" % (shrunk, held))


# ---- (c) simultaneous open -------------------------------------------------------------------


def simultaneous_open(final):
    # RFC 9293 §3.5 Figure 8: both SYNs cross. §3.10.7.3 fourth, SYN-SENT with a SYN and no
    # ACK: RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ, enter SYN-RECEIVED and send
    # <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
    p, syn = connect_from_tcpterm("echo", name="simultaneous-" + final)
    check_syn(syn)
    p.ts_ok = True
    p.syn([MSS, ("WScale", 7), ("SAckOK", b""), NOP, NOP, ("Timestamp", (p.tsval(), 0))])
    our_syn_ts = p.last_tsval
    sa = p.expect(lambda s: True, 1.0, "tcpterm's SYN,ACK to our crossing SYN")
    check(sa.is_("SA"), "crossing SYN answered with SYN,ACK: %s" % sa)
    check(sa.seq == syn.seq, "the SYN,ACK repeats tcpterm's original ISS %d (seq %d)" % (syn.seq, sa.seq))
    check(sa.ack == seq_add(p.iss, 1), "the SYN,ACK acknowledges our ISN+1 (%d)" % seq_add(p.iss, 1))
    # RFC 7323 §3.2: TS on both SYNs -> the SYN,ACK echoes the TSval of our SYN.
    check(sa.ts is not None and sa.ts[1] == our_syn_ts, "its TSecr echoes our SYN's TSval: %s" % (sa.ts,))
    # RFC 7323 §2.2: WS may be sent in the SYN,ACK because one was received in a SYN.
    check(sa.opt("WScale") == syn.opt("WScale"), "same window scale shift as in its SYN")
    if final == "SYN,ACK":
        # Figure 8 line 6: our SYN,ACK (seq = our ISN, ack = its ISS+1) completes it.
        p.send("SA", seq=p.iss, ack=seq_add(syn.seq, 1),
               options=[MSS, ("WScale", 7), ("SAckOK", b""), NOP, NOP, ("Timestamp", (p.tsval(), p.ts_recent))])
    else:
        # Like a peer that already went ESTABLISHED on the SYN,ACK: just the ACK.
        p.send("A", seq=p.snd_nxt, ack=seq_add(syn.seq, 1))
    echo_round_trip(p, b"simultaneous open, then " + final.encode() + b"\n", "ESTABLISHED")
    p.expect_nothing(1.3, "no SYN or SYN,ACK retransmitted once established", pred=lambda s: s.has("S"))
    p.reset()


# ---- (d) refused -------------------------------------------------------------------------------


def refused():
    # RFC 9293 §3.10.7.3 first: in SYN-SENT an ACK with SEG.ACK =< ISS or > SND.NXT is not
    # acceptable: a RST with it is dropped; without RST, answer <SEQ=SEG.ACK><CTL=RST>.
    p, syn = connect_from_tcpterm("discard", name="refused")
    check_syn(syn)
    bad = seq_add(syn.seq, 2)
    p.send("RA", seq=0, ack=bad, options=[])
    p.send("SA", seq=p.iss, ack=bad, options=[MSS])
    r = p.expect(lambda s: not s.has("S"), 1.0, "a RST to the SYN,ACK with a bad ACK")
    check(r.is_("R") and r.seq == bad, "SYN,ACK acking ISS+2 -> <SEQ=SEG.ACK><CTL=RST>: %s" % r)
    rtx = p.expect(lambda s: s.has("S"), 1.0 * (1 + TOL) + 0.3, "the SYN retransmitted (still SYN_SENT)")
    check(rtx.is_("S") and rtx.seq == syn.seq,
          "RST,ACK and SYN,ACK with a bad ACK left SYN_SENT alone: SYN retransmitted %.3f s later"
          % (rtx.t - syn.t))
    # §3.10.7.3 second: RST with an acceptable ACK -> "error: connection reset", CLOSED.
    # This is what a closed Linux port answers: <SEQ=0><ACK=ISS+1><CTL=RST,ACK>.
    p.send("RA", seq=0, ack=seq_add(syn.seq, 1), options=[])
    p.expect_nothing(2.0 * (1 + TOL) + 0.3, "after RST,ACK ack=ISS+1: no more SYNs, tcpterm gave up")
    # Nothing left for that 4-tuple: a SYN,ACK now meets a closed port (§3.10.7.1, ACK on).
    p.send("SA", seq=p.iss, ack=seq_add(syn.seq, 1), options=[MSS])
    r = p.expect(lambda s: True, 1.0, "a RST from CLOSED")
    check(r.is_("R") and r.seq == seq_add(syn.seq, 1),
          "a later SYN,ACK gets <SEQ=SEG.ACK><CTL=RST>: the connection is gone: %s" % r)


# ---- (e) no answer -----------------------------------------------------------------------------


def syn_retransmission():
    # RFC 9293 §3.8.1 and RFC 6298 §2.1/§5.5 (also for the SYN, RFC 6298 §5.7 and RFC 1122
    # 4.2.3.5): initial RTO 1 s, doubled at each expiry; the SYN is resent unchanged.
    p, syn = connect_from_tcpterm("discard", name="syn-rtx")
    check_syn(syn)
    r1 = p.expect(lambda s: s.has("S"), 1.0 * (1 + TOL) + 0.3, "a retransmitted SYN ~1 s later")
    r2 = p.expect(lambda s: s.has("S"), 2.0 * (1 + TOL) + 0.3, "a second retransmission ~2 s later")
    g1, g2 = r1.t - syn.t, r2.t - r1.t
    note("SYNs at +0.000, +%.3f, +%.3f s (gaps %.3f, %.3f)" % (g1, g1 + g2, g1, g2))
    check(near(g1, 1.0), "first SYN retransmission after %.3f s (want 1 s ±40%%)" % g1)
    check(near(g2, 2.0), "second one %.3f s later (want 2 s ±40%%, RTO doubled)" % g2)
    check(all(s.is_("S") and s.seq == syn.seq and s.opt_names() == syn.opt_names() for s in (r1, r2)),
          "retransmissions repeat the ISS and the options")
    p.send("RA", seq=0, ack=seq_add(syn.seq, 1), options=[])   # end it (§3.10.7.3 second)
    p.expect_nothing(1.0, "nothing after the RST,ACK", pred=lambda s: s.has("S"))


checks = [
    ("(a) active open to a Linux listener (nc -l), daytime", linux_listener_daytime),
    ("(b) active open, three-way handshake, echo", three_way_handshake),
    ("(b) receive window after an active open", receive_window_after_active_open),
    ("(c) simultaneous open, completed by a SYN,ACK", lambda: simultaneous_open("SYN,ACK")),
    ("(c) simultaneous open, completed by an ACK", lambda: simultaneous_open("ACK")),
    ("(d) RST,ACK to the SYN: connection refused", refused),
    ("(e) no answer: SYN retransmission with backoff", syn_retransmission),
]

if __name__ == "__main__":
    run_checks("active open, simultaneous open", checks)
