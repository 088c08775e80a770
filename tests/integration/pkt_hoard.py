"""The hoarding peer: one source address opens many connections to a
listener whose service never reads (hold) and sends as fast as it can, with
no regard for the window: 1-byte in-order segments (each once pinned a
whole mbuf), full-sized ones, and 1-byte segments beyond a hole (each its
own buffer in the out-of-order queue). tcpterm must charge all of it by the
buffers it occupies, keep RX supplied, and let the peer's own RST in at the
end. The legitimate clients (curl, ping) run beside it, started by
test_hostile_memory.sh.

Environment: HOARD_PORT (the hold listener), HOARD_CONNS, HOARD_SECONDS,
TT_PREFIX/TT_ROOT_NETNS (live counters through telemetry).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import (FastSender, Peer, check, note, open_rx, run_checks, seq_add,  # noqa: E402
                     tcpterm_counters)

PORT = int(os.environ.get("HOARD_PORT", "8000"))
CONNS = int(os.environ.get("HOARD_CONNS", "40"))
SECONDS = float(os.environ.get("HOARD_SECONDS", "8"))
# Paced: the attack is about memory, not about out-running the port (the
# original report pinned the pool with ~13k segments/s); an unpaced Python
# sender would only measure who gets the machine's two cores.
PPS = float(os.environ.get("HOARD_PPS", "20000"))
# TARGET=linux: the same flood at the Linux kernel (the reference); only
# what the peer itself sees is checked there.
TARGET = os.environ.get("TARGET", "tcpterm")


def hoard():
    rx = open_rx()  # one receive socket for every handshake: replies are read in turn
    peers = []
    for i in range(CONNS):
        p = Peer(PORT, name="hoarder-%d" % i, rx=rx)
        p.handshake(options=[("MSS", 1460)])
        peers.append(p)
    check(len(peers) == CONNS, "%d hoarding connections established to the hold listener" % CONNS)
    tiny = [FastSender(p, 1) for p in peers]
    bulk = [FastSender(p, 1400) for p in peers]
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < SECONDS:
        for i, p in enumerate(peers):
            ahead = start + sent / PPS - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            ack = p.rcv_nxt
            pattern = i % 4 if i % 4 != 3 else 1
            if pattern == 0:    # 1-byte segments in order, window or not
                for _ in range(64):
                    tiny[i].send(p.snd_nxt, ack)
                    p.snd_nxt = seq_add(p.snd_nxt, 1)
            elif pattern == 1:  # full-sized segments in order, window or not
                for _ in range(16):
                    bulk[i].send(p.snd_nxt, ack)
                    p.snd_nxt = seq_add(p.snd_nxt, 1400)
            else:               # 1-byte segments beyond a hole, each its own buffer
                for k in range(64):
                    tiny[i].send(seq_add(p.snd_nxt, 2 + 2 * ((sent + k) % 30000)), ack)
            sent += 64 if pattern != 1 else 16
    elapsed = time.monotonic() - start
    note("sent %d hoarding segments in %.1f s (%.0f/s) on %d connections"
         % (sent, elapsed, sent / elapsed, CONNS))
    if TARGET != "tcpterm":
        return
    c = tcpterm_counters()
    note("tcpterm: TCPMemoryMbufs %d, TCPRcvCoalesce %d, TCPRcvQDrop %d, TCPOFODrop %d, "
         "TCPMemoryPressures %d, TCPAbortOnMemory %d, RxNoMbuf %d"
         % (c["TCPMemoryMbufs"], c["TCPRcvCoalesce"], c["TCPRcvQDrop"], c["TCPOFODrop"],
            c["TCPMemoryPressures"], c["TCPAbortOnMemory"], c["RxNoMbuf"]))
    check(c["RxNoMbuf"] == 0, "the port never failed to refill RX (RxNoMbuf 0)")
    check(c["TCPRcvCoalesce"] > 0, "1-byte in-order segments were coalesced")

    # The peer's own RST still gets in: tcpterm's RCV.NXT comes from the ACK
    # it owes an old segment, and an exact RST ends the connection. Several
    # tries: the hoarder may be among those reset to free memory already.
    rx.close()
    time.sleep(0.6)  # replies to invalid segments are rate-limited per connection
    resets_before = c["InRsts"]
    for p in peers[:6]:
        p.rx = open_rx()
        p.send("A", seq=seq_add(p.iss, 1), ack=p.rcv_nxt)  # below the window: answered with an ACK
        s = p.next(0.5)
        if s is None or s.has("R"):
            p.close()
            continue
        p.send("R", seq=s.ack, ack=0, ts=False)
        p.close()
    time.sleep(0.3)
    after = tcpterm_counters()
    check(after["InRsts"] > resets_before, "the hoarder's exact RSTs were taken (InRsts %d -> %d)"
          % (resets_before, after["InRsts"]))


run_checks("hoarding peer", [("hoard", hoard)])
