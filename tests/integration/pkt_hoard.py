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
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import (CLI_ADDR, TT_ADDR, Peer, check, link, note, open_rx, run_checks,  # noqa: E402
                     seq_add, tcpterm_counters)

PORT = int(os.environ.get("HOARD_PORT", "8000"))
CONNS = int(os.environ.get("HOARD_CONNS", "40"))
SECONDS = float(os.environ.get("HOARD_SECONDS", "8"))
# Paced: the attack is about memory, not about out-running the port (the
# original report pinned the pool with ~13k segments/s); an unpaced Python
# sender would only measure who gets the machine's two cores.
PPS = float(os.environ.get("HOARD_PPS", "20000"))


def _sum16(data):
    if len(data) % 2:
        data += b"\0"
    return sum(struct.unpack("!%dH" % (len(data) // 2), data))


def _fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Blaster:
    """Builds data segments for one 4-tuple as raw frames, fast: the
    payload's checksum contribution is summed once, so a segment costs a
    few struct calls (scapy would cap the flood at a few thousand per s)."""

    def __init__(self, peer, payload_len):
        lk = link()
        self.tx = lk.tx
        mac = lambda text: bytes(int(b, 16) for b in text.split(":"))  # noqa: E731
        self.eth = mac(lk.peer_mac) + mac(lk.mac) + b"\x08\x00"
        self.src = socket.inet_aton(CLI_ADDR)
        self.dst = socket.inet_aton(TT_ADDR)
        self.peer = peer
        self.payload = b"x" * payload_len
        self.tcp_len = 20 + payload_len
        self.fixed = _sum16(self.src + self.dst) + 6 + self.tcp_len + _sum16(self.payload)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + self.tcp_len, 0, 0x4000, 64, 6, 0,
                         self.src, self.dst)
        self.ip = ip[:10] + struct.pack("!H", _fold(_sum16(ip))) + ip[12:]

    def send(self, seq, ack):
        p = self.peer
        head = struct.pack("!HHIIBBHHH", p.sport, p.dport, seq, ack, 5 << 4, 0x18, 65535, 0, 0)
        csum = _fold(self.fixed + _sum16(head))
        self.tx.send(self.eth + self.ip + head[:16] + struct.pack("!H", csum) + head[18:] + self.payload)


def hoard():
    rx = open_rx()  # one receive socket for every handshake: replies are read in turn
    peers = []
    for i in range(CONNS):
        p = Peer(PORT, name="hoarder-%d" % i, rx=rx)
        p.handshake(options=[("MSS", 1460)])
        peers.append(p)
    check(len(peers) == CONNS, "%d hoarding connections established to the hold listener" % CONNS)
    tiny = [Blaster(p, 1) for p in peers]
    bulk = [Blaster(p, 1400) for p in peers]
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
