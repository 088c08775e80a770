"""Listeners: accept queue and SYN queue bounds (Linux listen(2)), foreign-address
restriction and specific-versus-wildcard local address (RFC 9293 §3.9.1.1),
SYN cookies taking over from a full SYN queue (RFC 4987 §3.6).

Run by test_tcp_listeners.sh inside tt-cli (TT_PREFIX and TT_ROOT_NETNS
exported: live counters through telemetry) against tcpterm started with:
  8000=hold,backlog=2                      8001=hold,backlog=2,abort_on_overflow=true
  9000=echo,allow=198.18.0.128/25          9001=echo,allow=198.18.0.128/25,reject=drop
  9002=echo,allow=198.18.0.128/25,allow=198.18.0.0/30
  198.18.0.1:7000=echo + 7000=discard      7001=discard + 198.18.0.1:7001=echo
  198.18.0.99:7002=echo + 7002=discard    (198.18.0.99: a second address of tcpterm's)
  8100=echo,syn_backlog=4,cookies=off      8200=echo,cookies=auto,cookie_threshold=4
Our address 198.18.0.2 is outside 198.18.0.128/25. Initial RTO 1 s.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import CheckFailed, Peer, check, note, run_checks, seq_add, tcpterm_counters, telemetry  # noqa: E402

MSS = ("MSS", 1460)
TOL = 0.4


def listener_state(binding):
    """/tcpterm/listener,N for the listener bound to binding ("0.0.0.0:8100")."""
    bindings = telemetry("/tcpterm/listeners")["listeners"]
    if binding not in bindings:
        raise CheckFailed("no listener %s in /tcpterm/listeners: %s" % (binding, bindings))
    return telemetry("/tcpterm/listener,%d" % bindings.index(binding))


def handshake_only(port, name):
    """SYN, SYN-ACK, ACK; returns (peer, SYN-ACK, time the ACK left)."""
    p = Peer(port, name=name)
    sa = p.handshake(options=[MSS])
    return p, sa, time.monotonic()


def buffered(p, pred):
    """Segments already waiting in p's socket for which pred holds (no waiting)."""
    got = []
    while True:
        s = p.next(0.01)
        if s is None:
            return got
        if pred(s):
            got.append(s)


# ---- accept queue -------------------------------------------------------------------------------------


def accept_queue(port, abort):
    # Linux listen(2): backlog bounds the queue of completely established connections
    # waiting to be accepted; when it is full the final ACK of a handshake is dropped and
    # the SYN-ACK retransmitted (tcp_abort_on_overflow = 0), or the connection is reset
    # (tcp_abort_on_overflow = 1). `hold` never accepts, backlog=2.
    conns = [handshake_only(port, "accept-q-%d-%d" % (port, i + 1)) for i in range(3)]
    (p1, _, _), (p2, _, _), (p3, sa3, t3) = conns
    # The first two are ESTABLISHED: data is acknowledged (RFC 9293 §3.10.7.4 seventh),
    # though nobody reads it.
    for p in (p1, p2):
        p.send("PA", payload=b"queued")
        a = p.expect(lambda s: not s.has("S"), 1.0, "an ACK of our data")
        check(a.is_("A") and a.ack == p.snd_nxt, "%s: in the accept queue, ESTABLISHED: data ACKed: %s" % (p.name, a))
    if not abort:
        r = p3.expect(lambda s: True, 1.0 * (1 + TOL) + 0.3, "the SYN-ACK retransmitted to the third")
        check(r.is_("SA") and r.seq == sa3.seq and r.ack == sa3.ack,
              "third handshake: its ACK was ignored, the SYN-ACK is retransmitted %.3f s later: %s" % (r.t - t3, r))
        check(near(r.t - sa3.t, 1.0), "after the initial RTO (1 s ±40%%): %.3f s" % (r.t - sa3.t))
        for p in (p1, p2):
            check(not buffered(p, lambda s: s.has("S")), "%s: no SYN-ACK retransmission (its ACK was taken)" % p.name)
        st = listener_state("0.0.0.0:%d" % port)
        check(st["accept_queue"] == 2 and st["backlog"] == 2 and st["syn_queue"] == 1,
              "telemetry /tcpterm/listener: accept_queue 2/2, syn_queue 1 (the third): %s" % st)
        # Still SYN_RECEIVED: another ACK is ignored again, nothing comes back at once.
        p3.send("A")
        p3.expect_nothing(0.3, "third: the repeated ACK is ignored too (queue still full)",
                          pred=lambda s: not s.has("S"))
    else:
        r = p3.expect(lambda s: True, 1.0, "a RST to the third handshake's ACK")
        # RFC 9293 §3.10.5 ABORT / RFC 5961 §3.2: <SEQ=SND.NXT><CTL=RST>, an exact match
        # for the peer (its RCV.NXT = our ACK's ack field).
        check(r.has("R") and r.seq == seq_add(sa3.seq, 1),
              "abort_on_overflow: the third's ACK is answered with RST seq=ISS+1: %s" % r)
        p3.send("PA", payload=b"after the reset")
        r = p3.expect(lambda s: True, 1.0, "a RST for data after the reset")
        check(r.is_("R") and r.seq == p3.rcv_nxt,
              "the third connection is gone: data gets <SEQ=SEG.ACK><CTL=RST> (§3.10.7.2): %s" % r)
    for p, _, _ in conns:
        p.reset()


def near(got, want):
    return want * (1 - TOL) <= got <= want * (1 + TOL)


# ---- foreign-address restriction ---------------------------------------------------------------------


def foreign_restriction():
    # RFC 9293 §3.9.1.1 OPEN: a passive OPEN may name the foreign socket it waits for; a SYN
    # from anyone else does not match it. With reject=rst it is refused as at a closed port
    # (§3.5.2 reset generation, segment without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>).
    p = Peer(9000, name="foreign-rst")
    p.syn([MSS])
    r = p.expect(lambda s: True, 1.0, "a RST,ACK")
    check(r.is_("RA") and r.seq == 0 and r.ack == seq_add(p.iss, 1),
          "198.18.0.2 outside allow=198.18.0.128/25 -> RST,ACK seq=0 ack=ISN+1: %s" % r)
    # reject=drop: no answer at all.
    q = Peer(9001, name="foreign-drop")
    q.syn([MSS])
    q.expect_nothing(1.2, "reject=drop: no answer to a SYN from outside allow=")
    # Control: a second allow= prefix that contains us admits the SYN.
    c = Peer(9002, name="foreign-allowed")
    c.handshake(options=[MSS])
    c.send("PA", payload=b"inside the second prefix\n")
    data, _ = c.read(25, 2.0)
    check(data == b"inside the second prefix\n", "allow=198.18.0.0/30 (second prefix) admits 198.18.0.2: echo works")
    c.reset()


# ---- specific versus wildcard -------------------------------------------------------------------------


def echo_test(port, name):
    """Sends a line; returns (acked, echoed): whether tcpterm acknowledged it and what came back."""
    p = Peer(port, name=name)
    p.handshake(options=[MSS])
    msg = b"who answers on %d?\n" % port
    p.send("PA", payload=msg)
    got = b""
    acked = False
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        s = p.next(max(0.0, deadline - time.monotonic()))
        if s is None:
            break
        acked = acked or (s.has("A") and s.ack == p.snd_nxt)
        if s.payload and s.seq == p.rcv_nxt:
            got += s.payload
            p.absorb(s)
            p.send("A")
    p.reset()
    return acked, got == msg


def specific_beats_wildcard():
    # RFC 9293 §3.9.1.1 (and §3.10.7: the most specific matching socket gets the segment):
    # a listener bound to 198.18.0.1 wins over the wildcard on the same port, whichever
    # was configured first; one bound to another of its addresses does not see our segments.
    check(echo_test(7000, "specific-first") == (True, True),
          "7000: 198.18.0.1:7000=echo serves, not the wildcard discard")
    check(echo_test(7001, "specific-second") == (True, True),
          "7001: 198.18.0.1:7001=echo (given after the wildcard) serves")
    check(echo_test(7002, "other-address") == (True, False),
          "7002: 198.18.0.99:7002=echo is bound to another VIP; the wildcard discard serves (data ACKed, not echoed)")


# ---- SYN queue ----------------------------------------------------------------------------------------------


def syn_flood(port, n, prefix):
    peers = []
    for i in range(n):
        p = Peer(port, name="%s-%d" % (prefix, i + 1))
        p.syn([MSS])
        peers.append(p)
    return peers


def syn_queue_full():
    # Linux listen(2) (tcp_max_syn_backlog) / RFC 4987 §3.1: the SYN queue of half-open
    # connections is bounded; with cookies off a SYN arriving at a full queue is dropped.
    peers = syn_flood(8100, 10, "synq")
    for p in peers[:4]:
        sa = p.expect(lambda s: True, 1.0, "a SYN-ACK")
        check(sa.is_("SA") and sa.ack == seq_add(p.iss, 1), "%s: SYN-ACK (queue not full yet)" % p.name)
        p.irs, p.rcv_nxt = sa.seq, seq_add(sa.seq, 1)
        p.snd_nxt = seq_add(p.iss, 1)
    time.sleep(1.2)
    for p in peers[4:]:
        got = buffered(p, lambda s: True)
        if got:
            raise CheckFailed("%s: SYN beyond syn_backlog=4 answered: %s" % (p.name, got[0]))
    check(True, "SYNs 5..10: no SYN-ACK within 1.2 s (SYN queue of 4 full, cookies=off)")
    st = listener_state("0.0.0.0:8100")
    check(st["syn_queue"] == 4 and st["syn_backlog"] == 4 and st["cookies"] == "off"
          and st["workers_sending_cookies"] == 0,
          "telemetry /tcpterm/listener: syn_queue 4/4, cookies off: %s" % st)
    # RST (exact, seq = RCV.NXT) ends the half-open ones (RFC 9293 §3.10.7.4 second, SYN-RECEIVED):
    # their queue slots are free again.
    for p in peers[:4]:
        p.reset()
    time.sleep(0.1)
    q = Peer(8100, name="synq-after")
    q.syn([MSS])
    sa = q.expect(lambda s: True, 1.0, "a SYN-ACK")
    check(sa.is_("SA"), "after the half-open ones were reset the queue has room again: %s" % sa)
    q.snd_nxt = seq_add(q.iss, 1)
    q.reset()


def cookies_take_over():
    # RFC 4987 §3.6: once the SYN queue holds cookie_threshold (4) entries, SYNs are answered
    # with a SYN cookie and no state; a later ACK carrying the cookie (ack = cookie+1)
    # rebuilds the connection.
    c0 = tcpterm_counters()
    peers = syn_flood(8200, 10, "cookie")
    synacks = []
    for p in peers:
        sa = p.expect(lambda s: True, 1.0, "a SYN-ACK")
        check(sa.is_("SA") and sa.ack == seq_add(p.iss, 1), "%s: SYN-ACK ack=ISN+1" % p.name)
        p.irs, p.rcv_nxt = sa.seq, seq_add(sa.seq, 1)
        p.snd_nxt = seq_add(p.iss, 1)
        synacks.append(sa)
    c1 = tcpterm_counters()
    note("CurrConnections %d -> %d, SyncookiesSent %d -> %d"
         % (c0["CurrConnections"], c1["CurrConnections"], c0["SyncookiesSent"], c1["SyncookiesSent"]))
    check(c1["CurrConnections"] - c0["CurrConnections"] == 4,
          "10 SYNs, only 4 connection entries (the SYN queue up to the threshold)")
    check(c1["SyncookiesSent"] - c0["SyncookiesSent"] == 6, "the other 6 SYN-ACKs carried cookies")
    st = listener_state("0.0.0.0:8200")
    check(st["syn_queue"] == 4 and st["cookies"] == "auto" and st["workers_sending_cookies"] >= 1,
          "telemetry /tcpterm/listener: syn_queue 4 = cookie_threshold, cookies now on: %s" % st)
    # Complete the handshake of the 7th (a cookie one) with the right ACK.
    p7 = peers[6]
    p7.send("A")
    p7.send("PA", payload=b"established from a cookie\n")
    data, _ = p7.read(26, 2.0)
    check(data == b"established from a cookie\n", "%s: the cookie ACK made a connection: data echoed" % p7.name)
    c2 = tcpterm_counters()
    check(c2["CurrConnections"] - c0["CurrConnections"] == 5,
          "one more connection entry for the completed cookie handshake, none for the 5 unanswered")
    check(c2["SyncookiesRecv"] - c0["SyncookiesRecv"] == 1, "SyncookiesRecv +1")
    # Stateful SYN-ACKs are retransmitted after the RTO; cookie ones, with no state, never.
    time.sleep(1.2 * (1 + TOL) - 0.5)
    for i, p in enumerate(peers):
        if i == 6:
            continue
        rtx = buffered(p, lambda s: s.has("S"))
        if i < 4:
            check(len(rtx) >= 1, "%s (stateful): SYN-ACK retransmitted" % p.name)
        else:
            check(not rtx, "%s (cookie): SYN-ACK never retransmitted" % p.name)
    for p in peers[:4] + [p7]:
        p.reset()


checks = [
    ("accept queue full: the final ACK is ignored", lambda: accept_queue(8000, abort=False)),
    ("accept queue full, abort_on_overflow: RST", lambda: accept_queue(8001, abort=True)),
    ("foreign-address restriction (allow=, reject=)", foreign_restriction),
    ("specific address beats the wildcard", specific_beats_wildcard),
    ("SYN queue full, cookies off: SYNs dropped", syn_queue_full),
    ("SYN queue at cookie_threshold: cookies", cookies_take_over),
]

if __name__ == "__main__":
    run_checks("listeners", checks)
