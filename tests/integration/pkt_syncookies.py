"""SYN cookies on the wire (RFC 4987 §3.6), options kept in the TSval.

Run by test_tcp_syncookies.sh inside tt-cli (TT_PREFIX and TT_ROOT_NETNS
exported) against tcpterm started with --listen "7=echo,cookies=always":
every SYN is answered statelessly. As Linux does (and syncookie.hpp
documents), options the 32-bit cookie cannot hold ride in the low 6 bits of
the SYN-ACK's TSval: bits 0-3 the peer's window scale (0xf: none), bit 4
SACK-permitted; the peer echoes them in TSecr.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import CheckFailed, Peer, check, note, run_checks, seq_add, seq_diff, tcpterm_counters  # noqa: E402

ECHO = 7
NOP = ("NOP", None)
SACK_OK = ("SAckOK", b"")
TT_SHIFT = 6            # tcpterm's own window scale for tcp.rcvbuf_max 2 MiB (default config)


def cookie_syn(p, mss=1460, ws=None, sack=False, ts=True):
    opts = [("MSS", mss)]
    if ws is not None:
        opts.append(("WScale", ws))
    if sack:
        opts.append(SACK_OK)
    if ts:
        opts += [NOP, NOP, ("Timestamp", (p.tsval(), 0))]
    p.syn(opts)
    syn_ts = p.last_tsval
    sa = p.expect(lambda s: True, 1.0, "a SYN-ACK")
    check(sa.is_("SA") and sa.ack == seq_add(p.iss, 1), "%s: SYN-ACK ack=ISN+1: %s" % (p.name, sa))
    p.irs, p.rcv_nxt = sa.seq, seq_add(sa.seq, 1)
    p.snd_nxt = seq_add(p.iss, 1)
    if ts and sa.ts is not None:
        p.ts_ok = True
        p.ts_recent = sa.ts[0]
    return sa, syn_ts


def ts_encoding():
    # RFC 4987 §3.6: a cookie SYN-ACK keeps no state, so the options that matter later are
    # encoded in what the peer must echo: here the TSval (RFC 7323 §3.2: the TSecr of the
    # peer's next segment echoes it).
    cases = [
        # (window scale offered, SACK-permitted offered) -> expected (ws bits, sack bit)
        (7, True, 7, 1),
        (None, False, 0xf, 0),
        (14, False, 14, 0),
        (15, True, 14, 1),      # RFC 7323 §2.3: a shift above 14 is used as 14
        (0, True, 0, 1),
    ]
    for ws, sack, want_ws, want_sack in cases:
        p = Peer(ECHO, name="cookie-ws%s-sack%d" % (ws, sack))
        sa, syn_ts = cookie_syn(p, ws=ws, sack=sack)
        check(sa.ts is not None and sa.ts[1] == syn_ts,
              "RFC 7323 §3.2: the SYN-ACK has TS with TSecr = our TSval %d: %s" % (syn_ts, sa.ts))
        low = sa.ts[0] & 0x3f
        check((low & 0xf, (low >> 4) & 1) == (want_ws, want_sack),
              "WS %s, SACK %s offered -> TSval low 6 bits 0x%02x: ws bits 0x%x (want 0x%x), sack bit %d (want %d)"
              % (ws, sack, low, low & 0xf, want_ws, (low >> 4) & 1, want_sack))
        # RFC 7323 §2.2 / RFC 2018 §2: WS and SACK-permitted answered only when offered.
        check((sa.opt("WScale") is not None) == (ws is not None) and ("SAckOK" in sa.opt_names()) == sack,
              "the SYN-ACK answers WS/SACK-permitted exactly as offered: %s" % sa)
        check(sa.opt("MSS") == 1460, "RFC 9293 §3.7.1: MSS option in the SYN-ACK")
        p.send("R", seq=p.snd_nxt, ts=False)   # nothing to end: no state was kept


def no_timestamps():
    # Without TS there is nowhere to keep WS and SACK: the cookie SYN-ACK offers neither
    # (RFC 7323 §2.2 / RFC 2018 §2 allow leaving them out), and the connection still works.
    p = Peer(ECHO, name="cookie-no-ts")
    sa, _ = cookie_syn(p, ws=7, sack=True, ts=False)
    check(sa.ts is None and sa.opt("WScale") is None and "SAckOK" not in sa.opt_names(),
          "SYN without TS: SYN-ACK with neither TS, WS nor SACK-permitted: %s" % sa)
    p.send("A")
    p.send("PA", payload=b"cookie without timestamps\n")
    data, _ = p.read(26, 2.0)
    check(data == b"cookie without timestamps\n", "the cookie ACK made a connection: echo works")
    p.reset()


def bulk_echo(p, total, our_field, mss):
    """Sends total bytes (a first burst of 100 KB back to back), reads the echo, ACKs
    lazily (every 32 KB or after 50 ms of quiet). Returns a dict of observations."""
    data = bytes((i * 31 + 7) % 253 for i in range(total))
    base = p.snd_nxt
    sent = acked = 0
    echoed = bytearray()
    obs = {"tt_wnd_max": 0, "echo_beyond_ack_max": 0, "retransmits": 0, "burst_acked_clean": None,
           "seg_max": 0}
    last_ack_sent = p.rcv_nxt
    peer_wnd = 65535 << TT_SHIFT
    burst = min(total, 100 * 1024)
    last_progress = time.monotonic()
    deadline = time.monotonic() + 20.0

    def send_upto(limit):
        nonlocal sent
        while sent < limit:
            n = min(mss, limit - sent)
            p.send("PA", seq=seq_add(base, sent), payload=data[sent:sent + n], window=our_field)
            sent += n

    send_upto(burst)
    while len(echoed) < total or acked < total:
        if time.monotonic() > deadline:
            raise CheckFailed("bulk echo stalled: sent %d, acked %d, echoed %d of %d"
                              % (sent, acked, len(echoed), total))
        if sent < total and sent - acked < min(peer_wnd, 128 * 1024) - mss:
            send_upto(min(total, acked + min(peer_wnd, 128 * 1024)))
        s = p.next(0.05)
        if s is None:
            if seq_diff(p.rcv_nxt, last_ack_sent) > 0:
                p.send("A", seq=seq_add(base, sent), window=our_field)
                last_ack_sent = p.rcv_nxt
            if time.monotonic() - last_progress > 1.0:
                obs["retransmits"] += 1          # go back to the first unacknowledged byte
                sent = acked
                send_upto(min(total, acked + mss))
                last_progress = time.monotonic()
            continue
        if s.has("R"):
            raise CheckFailed("RST during the bulk echo: %s" % s)
        a = seq_diff(s.ack, base)
        if acked < a <= sent:
            acked = a
            last_progress = time.monotonic()
            if obs["burst_acked_clean"] is None and acked >= burst:
                obs["burst_acked_clean"] = obs["retransmits"] == 0
        if s.has("A"):
            peer_wnd = s.win << TT_SHIFT
            obs["tt_wnd_max"] = max(obs["tt_wnd_max"], peer_wnd)
        if s.payload:
            obs["seg_max"] = max(obs["seg_max"], len(s.payload))
            end = seq_add(s.seq, len(s.payload))
            obs["echo_beyond_ack_max"] = max(obs["echo_beyond_ack_max"], seq_diff(end, last_ack_sent))
            if s.seq == p.rcv_nxt:
                echoed += s.payload
                p.rcv_nxt = end
                last_progress = time.monotonic()
            if seq_diff(p.rcv_nxt, last_ack_sent) >= 32 * 1024:
                p.send("A", seq=seq_add(base, sent), window=our_field)
                last_ack_sent = p.rcv_nxt
    p.snd_nxt = seq_add(base, sent)
    obs["echo_ok"] = bytes(echoed) == data
    return obs


def cookie_connection_uses_options():
    # RFC 4987 §3.6: the ACK completing a cookie handshake (ack = cookie+1) recreates the
    # connection; with the options echoed back in TSecr it gets window scaling (RFC 7323 §2)
    # and SACK (RFC 2018) as if the SYN had been remembered.
    p = Peer(ECHO, name="cookie-bulk")
    sa, _ = cookie_syn(p, ws=7, sack=True)
    check(sa.opt("WScale") == TT_SHIFT, "tcpterm offers its own shift %d: %s" % (TT_SHIFT, sa))
    c0 = tcpterm_counters()
    p.window = 1024                 # << 7 = 128 KiB: only usable if tcpterm applies our scale
    p.send("A")                     # TSecr = the SYN-ACK's TSval (RFC 7323 §3.2)
    total = 200 * 1024
    t0 = time.monotonic()
    obs = bulk_echo(p, total, 1024, 1448)
    note("200 KB echoed in %.2f s: %r" % (time.monotonic() - t0, obs))
    check(obs["echo_ok"], "all %d bytes echoed back, in order" % total)
    # RFC 7323 §2.3: tcpterm's windows are scaled by its shift -- more than 65535 offered.
    check(obs["tt_wnd_max"] > 65535, "tcpterm's window, field << %d, reached %d > 65535" % (TT_SHIFT, obs["tt_wnd_max"]))
    check(obs["burst_acked_clean"] is True,
          "our first 100 KB, sent back to back (more than an unscaled 64 KB window), were all accepted")
    # RFC 7323 §2.3: SND.WND = SEG.WND << our shift (7): 1024 << 7 = 128 KiB, so tcpterm may
    # have far more than 1024 bytes unacknowledged.
    check(obs["echo_beyond_ack_max"] > 1024,
          "tcpterm had up to %d bytes in flight against our window field 1024 (scaled by 2^7)"
          % obs["echo_beyond_ack_max"])
    # RFC 9293 §3.7.1: segments fit the MSS from the cookie (1460) less 12 bytes of TS.
    check(0 < obs["seg_max"] <= 1448, "largest echo segment %d bytes <= 1448" % obs["seg_max"])
    # RFC 2018 §4: SACK-permitted came back through TSecr: an island draws a SACK block.
    p.drain(0.1)
    island = seq_add(p.snd_nxt, 100)
    p.send("PA", seq=island, payload=b"s" * 100, window=1024)
    a = p.expect(lambda s: True, 1.0, "a duplicate ACK with a SACK block")
    check(a.opt("SAck") == (island, seq_add(island, 100)),
          "SACK in force on the cookie connection: block for the island: %s" % a)
    c1 = tcpterm_counters()
    check(c1["SyncookiesRecv"] == c0["SyncookiesRecv"] + 1, "SyncookiesRecv +1")
    p.reset()


def wrong_cookie():
    # RFC 4987 §3.6: an ACK whose cookie does not check out (here ack = cookie+2, one off)
    # must not create a connection. That tcpterm answers it with nothing at all is its
    # stated design (counter SyncookiesFailed: "dropped"), not an RFC rule: RFC 9293
    # §3.10.7.2 would answer any ACK at a listener with a RST (see the next check).
    p = Peer(ECHO, name="cookie-wrong")
    sa, _ = cookie_syn(p, ws=7, sack=True)
    c0 = tcpterm_counters()
    p.send("A", ack=seq_add(sa.seq, 2))
    p.expect_nothing(0.5, "ACK with ack = cookie+2: no answer at all")
    c1 = tcpterm_counters()
    check(c1["CurrConnections"] == c0["CurrConnections"], "no connection entry was created")
    check(c1["SyncookiesFailed"] == c0["SyncookiesFailed"] + 1, "SyncookiesFailed +1")
    check(c1["SyncookiesRecv"] == c0["SyncookiesRecv"], "SyncookiesRecv unchanged")


def wrong_cookie_then_data():
    # As above, then the data segment such a peer sends next. No connection exists, so the
    # segment meets the listener. RFC 9293 §3.10.7.2 would answer it with
    # <SEQ=SEG.ACK><CTL=RST>; tcpterm's defined outcome while cookies are in effect is
    # different on purpose: every ACK at that listener is checked as a cookie, and one that
    # fails is dropped and counted (SyncookiesFailed), so that an ACK flood (with or
    # without data) draws no RSTs and creates nothing. The check holds tcpterm to that.
    p = Peer(ECHO, name="cookie-wrong-data")
    sa, _ = cookie_syn(p, ws=7, sack=True)
    bad = seq_add(sa.seq, 2)
    c0 = tcpterm_counters()
    p.send("A", ack=bad)
    p.expect_nothing(0.5, "ACK with ack = cookie+2: no answer")
    p.send("PA", ack=bad, payload=b"data after a wrong cookie\n")
    p.expect_nothing(0.5, "the data segment after it: dropped too, no RST")
    c1 = tcpterm_counters()
    check(c1["SyncookiesFailed"] == c0["SyncookiesFailed"] + 2, "SyncookiesFailed +2 (ACK and data)")
    check(c1["CurrConnections"] == c0["CurrConnections"], "no connection entry was created")


checks = [
    ("cookie SYN-ACK: WS and SACK in the TSval's low bits", ts_encoding),
    ("cookie SYN-ACK without timestamps", no_timestamps),
    ("cookie connection: window scaling (200 KB echo) and SACK", cookie_connection_uses_options),
    ("wrong cookie: no answer, no connection", wrong_cookie),
    ("wrong cookie, then a data segment: dropped and counted", wrong_cookie_then_data),
]

if __name__ == "__main__":
    run_checks("SYN cookies", checks)
