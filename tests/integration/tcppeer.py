"""A scripted TCP peer for packet-level tests of tcpterm (scapy for the codec).

Run inside the client namespace, with Debian's python3 (python3-scapy):
    ip netns exec tt-cli /usr/bin/python3 tests/integration/pkt_xxx.py

How it talks to tcpterm:
  - sends: whole Ethernet frames on an AF_PACKET socket bound to tt-cli0
    (198.18.0.2 -> 198.18.0.1, a source port chosen from PORT_LO..PORT_HI),
    so nothing in the client kernel touches or checks what we send;
  - receives: an AF_PACKET socket on the same interface, opened before the
    first frame goes out (so no reply can be missed), with a classic BPF
    filter that passes only IPv4 TCP from 198.18.0.1; each Peer then keeps
    the segments of its own 4-tuple. Every received segment's TCP checksum is
    verified: a wrong one fails the check.
  - the client kernel has no socket for the crafted ports and would answer
    every tcpterm segment with a RST of its own; `rst_guard()` installs an
    nftables table in the namespace that drops outgoing RSTs from the crafted
    port range (our own RSTs leave by the packet socket, which netfilter
    never sees) and removes it afterwards.

Sequence numbers are 32-bit and every comparison is modulo 2^32 (seq_*).
Options are scapy tuples: ("MSS", 1460), ("WScale", 7), ("SAckOK", b""),
("Timestamp", (tsval, tsecr)), ("NOP", None).

Active opens: connect_from_tcpterm() asks tcpterm through DPDK telemetry
(/tcpterm/connect) to open a connection to 198.18.0.2 and returns a Peer for
the 4-tuple of the SYN it sends; telemetry() runs any telemetry command
(/tcpterm/stats for live counters). Both need TT_PREFIX (tcpterm's EAL file
prefix) in the environment; with TT_ROOT_NETNS (a /proc/PID/ns/net path)
dpdk-telemetry.py runs in that network namespace.

A test script builds a list of checks and calls run_checks(); each check is
a function that prints "ok: ..." lines and raises CheckFailed (use check()).
The script prints every failure with the recent packet log of the peers
involved and exits 1 when any check failed.
"""

import contextlib
import ctypes
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time
import traceback

from scapy.config import conf
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import checksum

conf.verb = 0

TT_ADDR = "198.18.0.1"
CLI_ADDR = "198.18.0.2"
IFACE = os.environ.get("TT_CLI_IF", "tt-cli0")
PORT_LO, PORT_HI = 20000, 20999      # the crafted source ports (below Linux's ephemeral range)
ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
MOD = 1 << 32

# ---- sequence arithmetic (RFC 9293 §3.4: everything modulo 2^32) -----------


def seq_add(a, n):
    return (a + n) % MOD


def seq_diff(a, b):
    """a - b as a signed 32-bit number."""
    d = (a - b) % MOD
    return d - MOD if d >= 1 << 31 else d


def seq_lt(a, b):
    return seq_diff(a, b) < 0


def seq_le(a, b):
    return seq_diff(a, b) <= 0


# ---- failures ----------------------------------------------------------------


class CheckFailed(Exception):
    pass


def check(cond, msg):
    """Fails the current check with msg, else prints 'ok: msg'."""
    if not cond:
        raise CheckFailed(msg)
    print("  ok: " + msg, flush=True)


def note(msg):
    print("  " + msg, flush=True)


# ---- received segments ---------------------------------------------------------

FLAG_BITS = [("F", 0x01), ("S", 0x02), ("R", 0x04), ("P", 0x08), ("A", 0x10), ("U", 0x20),
             ("E", 0x40), ("C", 0x80)]


def flag_str(bits):
    return "".join(c for c, b in FLAG_BITS if bits & b) or "-"


def flag_bits(s):
    return sum(b for c, b in FLAG_BITS if c in s)


class Segment:
    """One TCP segment from tcpterm, as parsed by scapy."""

    def __init__(self, ip, t):
        tcp = ip[TCP]
        self.t = t                     # time.monotonic() when read
        self.ip = ip
        self.sport, self.dport = tcp.sport, tcp.dport
        self.seq, self.ack = tcp.seq, tcp.ack
        self.bits = int(tcp.flags)
        self.flags = flag_str(self.bits)
        self.win = tcp.window
        self.options = list(tcp.options)
        raw = bytes(ip)[ip.ihl * 4:ip.len]
        self.header_len = tcp.dataofs * 4
        self.payload = raw[self.header_len:]
        pseudo = struct.pack("!4s4sBBH", socket.inet_aton(ip.src), socket.inet_aton(ip.dst),
                             0, 6, len(raw))
        self.csum_ok = checksum(pseudo + raw) == 0

    def has(self, flags):
        """True when every flag letter in flags is set."""
        return self.bits & flag_bits(flags) == flag_bits(flags)

    def is_(self, flags):
        """True when exactly these flags are set (PSH is ignored)."""
        return (self.bits & ~0x08) == (flag_bits(flags) & ~0x08)

    @property
    def seg_len(self):
        return len(self.payload) + (1 if self.has("S") else 0) + (1 if self.has("F") else 0)

    def opt(self, name):
        for k, v in self.options:
            if k == name:
                return v
        return None

    def opt_names(self):
        return [k for k, _ in self.options if k not in ("NOP", "EOL")]

    @property
    def ts(self):
        return self.opt("Timestamp")

    def __str__(self):
        return fmt(self.flags, self.seq, self.ack, self.win, len(self.payload), self.options,
                   self.sport, self.dport)


def fmt_opts(options):
    parts = []
    for k, v in options or []:
        if k in ("NOP", "EOL"):
            continue
        if k == "Timestamp":
            parts.append("TS val=%d ecr=%d" % v)
        elif k == "SAckOK":
            parts.append("SAckOK")
        else:
            parts.append("%s=%s" % (k, v))
    return ",".join(parts)


def fmt(flags, seq, ack, win, plen, options, sport, dport):
    return "%d>%d [%s] seq=%d ack=%d win=%d len=%d%s" % (
        sport, dport, flags, seq, ack, win, plen,
        " opts=[%s]" % fmt_opts(options) if fmt_opts(options) else "")


# ---- the packet sockets --------------------------------------------------------

def _bpf_tcp_from(addr):
    """Classic BPF: accept IPv4 TCP frames whose source address is addr."""
    a = struct.unpack("!I", socket.inet_aton(addr))[0]
    prog = [
        (0x28, 0, 0, 12),          # ldh [12]          ethertype
        (0x15, 0, 5, 0x0800),      # jeq #IPv4 else drop
        (0x20, 0, 0, 26),          # ld [26]           IPv4 source
        (0x15, 0, 3, a),           # jeq #addr else drop
        (0x30, 0, 0, 23),          # ldb [23]          protocol
        (0x15, 0, 1, 6),           # jeq #TCP else drop
        (0x06, 0, 0, 0x40000),     # ret #262144       accept
        (0x06, 0, 0, 0),           # ret #0            drop
    ]
    buf = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in prog))
    fprog = struct.pack("HL", len(prog), ctypes.addressof(buf))
    return buf, fprog


class Link:
    """The shared send path: our MAC, tcpterm's MAC, one packet socket."""

    def __init__(self):
        with open("/sys/class/net/%s/address" % IFACE) as f:
            self.mac = f.read().strip()
        self.peer_mac = self._resolve()
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self.tx.bind((IFACE, ETH_P_IP))

    @staticmethod
    def _arp_entry():
        with open("/proc/net/arp") as f:
            for line in f.read().splitlines()[1:]:
                cols = line.split()
                if cols[0] == TT_ADDR and cols[3] != "00:00:00:00:00:00":
                    return cols[3]
        return None

    def _resolve(self):
        """tcpterm's MAC: let the kernel ARP for it (ping), read its neighbour table."""
        for _ in range(3):
            mac = self._arp_entry()
            if mac:
                return mac
            subprocess.run(["ping", "-c", "1", "-W", "2", TT_ADDR], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        raise CheckFailed("cannot resolve tcpterm's MAC address (no ARP reply for %s)" % TT_ADDR)

    def send(self, ip_pkt):
        frame = Ether(src=self.mac, dst=self.peer_mac) / ip_pkt
        self.tx.send(bytes(frame))


def open_rx():
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    buf, fprog = _bpf_tcp_from(TT_ADDR)
    rx.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    del buf
    rx.bind((IFACE, ETH_P_IP))
    # Frames queued between socket() and the filter are still checked below.
    return rx


_link = None


def link():
    global _link
    if _link is None:
        _link = Link()
    return _link


_next_port = None


def new_port():
    global _next_port
    if _next_port is None:
        _next_port = random.randrange(PORT_LO, PORT_HI - 200)
    p = _next_port
    _next_port += 1
    if _next_port > PORT_HI:
        _next_port = PORT_LO
    return p


# ---- the nftables guard --------------------------------------------------------

NFT_TABLE = "tcppeer"


@contextlib.contextmanager
def rst_guard():
    """Drops the client kernel's own RSTs from the crafted source ports."""
    rules = """
table inet %s {
  chain out {
    type filter hook output priority 0; policy accept;
    tcp sport %d-%d tcp flags & rst == rst drop
  }
}
""" % (NFT_TABLE, PORT_LO, PORT_HI)
    subprocess.run(["nft", "delete", "table", "inet", NFT_TABLE], stderr=subprocess.DEVNULL)
    subprocess.run(["nft", "-f", "-"], input=rules.encode(), check=True)
    try:
        yield
    finally:
        subprocess.run(["nft", "delete", "table", "inet", NFT_TABLE])


# ---- the peer ----------------------------------------------------------------------

class Peer:
    """One crafted connection: 198.18.0.2:sport -> 198.18.0.1:dport.

    State the helpers keep: iss/snd_nxt (our sequence space), irs/rcv_nxt
    (tcpterm's), ts_ok and ts_recent (last TSval seen from tcpterm).
    send() with seq=None sends at snd_nxt and advances it; with an explicit
    seq it sends exactly that and changes nothing.
    """

    def __init__(self, dport, sport=None, iss=None, name=None, rx=None):
        self.link = link()
        # Opened before anything is sent: no reply is missed. A caller that
        # had to listen before the 4-tuple was known hands its socket over.
        self.rx = rx if rx is not None else open_rx()
        self.dport = dport
        self.sport = sport if sport is not None else new_port()
        self.iss = iss if iss is not None else random.randrange(MOD)
        self.snd_nxt = self.iss
        self.irs = None
        self.rcv_nxt = None
        self.ts_ok = False
        self.ts_recent = 0
        self.ts_base = random.randrange(1 << 30, 1 << 31)
        self.t0 = time.monotonic()
        self.window = 65535
        self.last_tsval = None       # TSval of the last segment we sent
        self.seg_sizes = []          # payload sizes of the data segments read()
        self.ao = None               # set by use_ao(): every segment we send is signed
        self.name = name or "peer:%d->%d" % (self.sport, dport)
        self.log = []                # (time, '>' or '<', text)
        _peers.append(self)

    # -- TCP-AO (RFC 5925), with scapy's independent RFC 5925/5926 code
    def use_ao(self, alg_name, secret, keyid, rnextkeyid):
        """Signs every segment from now on: alg_name "HMAC-SHA-1-96" or
        "AES-128-CMAC-96", secret bytes, our KeyID and the RNextKeyID."""
        from scapy.contrib import tcpao
        self.ao = (tcpao.get_alg(alg_name), secret, keyid, rnextkeyid)

    def _ao_traffic_key(self, src, dst, sport, dport, src_isn, dst_isn):
        from scapy.contrib import tcpao
        alg, secret, _, _ = self.ao
        return alg.kdf(secret, tcpao.build_context(socket.inet_aton(src), socket.inet_aton(dst),
                                                   sport, dport, src_isn, dst_isn))

    def _ao_sign(self, pkt):
        """pkt (IP/TCP, its AO option last with a zero MAC) with the MAC filled."""
        from scapy.contrib import tcpao
        alg, _, keyid, rnext = self.ao
        tcp = pkt[TCP]
        syn_only = (int(tcp.flags) & 0x12) == 0x02
        key = self._ao_traffic_key(CLI_ADDR, TT_ADDR, self.sport, self.dport, tcp.seq if syn_only else self.iss,
                                   0 if syn_only else (self.irs or 0))
        p = IP(bytes(pkt))
        mac = alg.mac(key, tcpao.build_message_from_packet(p, include_options=True, sne=0))
        tcp.options = tcp.options[:-1] + [("AO", struct.pack("BB", keyid, rnext) + mac)]
        del tcp.chksum
        return pkt

    def ao_valid(self, s):
        """True when tcpterm's segment s carries TCP-AO with a MAC that
        checks under the traffic key of its ISNs (a SYN-ACK: both known)."""
        from scapy.contrib import tcpao
        alg = self.ao[0]
        ao = s.opt("AO")
        if ao is None:
            return False
        syn_only = s.has("S") and not s.has("A")
        key = self._ao_traffic_key(TT_ADDR, CLI_ADDR, self.dport, self.sport, s.seq if syn_only else self.irs,
                                   0 if syn_only else self.iss)
        mac = alg.mac(key, tcpao.build_message_from_packet(s.ip, include_options=True, sne=0))
        return bytes(ao)[2:] == mac

    # -- bookkeeping
    def tsval(self):
        """Our timestamp clock: 1 ms ticks from a random base."""
        return (self.ts_base + int((time.monotonic() - self.t0) * 1000)) % MOD

    def _record(self, direction, text):
        self.log.append((time.monotonic() - self.t0, direction, text))

    def dump_log(self, last=30):
        lines = ["    packet log of %s (us = 198.18.0.2:%d, tcpterm = %s:%d; > sent, < received):"
                 % (self.name, self.sport, TT_ADDR, self.dport)]
        for t, d, text in self.log[-last:]:
            lines.append("    %8.3f %s %s" % (t, d, text))
        return "\n".join(lines)

    def close(self):
        self.rx.close()

    # -- sending
    def send(self, flags, seq=None, ack=None, payload=b"", options=None, window=None,
             raw_options=None, ts=True):
        """Sends one segment. flags: letters of 'FSRPAU'. ack defaults to
        rcv_nxt when the A flag is set. options default to a timestamp when
        ts_ok (ts=False leaves it out); raw_options (bytes, a multiple of 4)
        replace the option area byte for byte (malformed options)."""
        advance = seq is None
        if seq is None:
            seq = self.snd_nxt
        if ack is None:
            ack = self.rcv_nxt if ("A" in flags and self.rcv_nxt is not None) else 0
        if options is None:
            options = [("NOP", None), ("NOP", None),
                       ("Timestamp", (self.tsval(), self.ts_recent))] if (self.ts_ok and ts) else []
        for k, v in options:
            if k == "Timestamp":
                self.last_tsval = v[0]
        win = self.window if window is None else window
        if self.ao is not None and raw_options is None:
            options = list(options) + [("AO", struct.pack("BB", self.ao[2], self.ao[3]) + b"\0" * 12)]
        if raw_options is not None:
            assert len(raw_options) % 4 == 0
            tcp = TCP(sport=self.sport, dport=self.dport, seq=seq, ack=ack, flags=flag_bits(flags),
                      window=win, dataofs=5 + len(raw_options) // 4) / Raw(raw_options + payload)
        else:
            tcp = TCP(sport=self.sport, dport=self.dport, seq=seq, ack=ack, flags=flag_bits(flags),
                      window=win, options=options)
            if payload:
                tcp = tcp / Raw(payload)
        pkt = IP(src=CLI_ADDR, dst=TT_ADDR, id=random.randrange(65536)) / tcp
        if self.ao is not None and raw_options is None:
            pkt = self._ao_sign(pkt)
        self.link.send(pkt)
        text = fmt(flag_str(flag_bits(flags)), seq, ack, win, len(payload), options, self.sport,
                   self.dport)
        if raw_options is not None:
            text += " raw-options=%s" % raw_options.hex()
        self._record(">", text)
        if advance:
            n = len(payload) + ("S" in flags) + ("F" in flags)
            self.snd_nxt = seq_add(self.snd_nxt, n)

    # -- receiving
    def next(self, timeout):
        """The next segment of this 4-tuple within timeout seconds, or None."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.rx], [], [], left)
            if not r:
                return None
            frame = self.rx.recv(65535)
            t = time.monotonic()
            try:
                eth = Ether(frame)
            except Exception:
                continue
            if IP not in eth or TCP not in eth or eth[IP].src != TT_ADDR:
                continue
            ip = eth[IP]
            if ip[TCP].sport != self.dport or ip[TCP].dport != self.sport:
                continue
            s = Segment(ip, t)
            self._record("<", str(s) + ("" if s.csum_ok else " BAD-CHECKSUM"))
            if not s.csum_ok:
                raise CheckFailed("segment from tcpterm with a wrong TCP checksum: %s" % s)
            if s.ts and self.ts_ok:
                if seq_le(self.ts_recent, s.ts[0]):
                    self.ts_recent = s.ts[0]
            return s

    def expect(self, pred, timeout, what):
        """The first segment for which pred(seg) holds; others are skipped
        (they stay in the packet log). Fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        skipped = []
        while True:
            s = self.next(max(0.0, deadline - time.monotonic()))
            if s is None:
                got = "; skipped: " + " | ".join(map(str, skipped)) if skipped else "; nothing arrived"
                raise CheckFailed("expected %s within %.1f s%s" % (what, timeout, got))
            if pred(s):
                return s
            skipped.append(s)

    def expect_nothing(self, timeout, what, pred=lambda s: True):
        """Fails if a segment for which pred holds arrives within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.next(max(0.0, deadline - time.monotonic()))
            if s is None:
                print("  ok: " + what, flush=True)
                return
            if pred(s):
                raise CheckFailed("%s: but got %s" % (what, s))

    def drain(self, quiet=0.2):
        """Reads and forgets segments until none arrives for `quiet` seconds."""
        got = []
        while True:
            s = self.next(quiet)
            if s is None:
                return got
            got.append(s)

    # -- common steps
    def absorb(self, s):
        """Advances rcv_nxt over an in-order segment (data and FIN)."""
        if self.rcv_nxt is not None and s.seq == self.rcv_nxt:
            self.rcv_nxt = seq_add(self.rcv_nxt, len(s.payload) + (1 if s.has("F") else 0))

    def syn(self, options=(), window=None, payload=b""):
        self.snd_nxt = self.iss
        self.send("S", options=list(options), window=window, payload=payload)

    def handshake(self, options=(("MSS", 1460),), window=None, timeout=2.0):
        """SYN, SYN-ACK, ACK. Returns the SYN-ACK. ts_ok when both offered TS."""
        opts = list(options)
        for i, (k, v) in enumerate(opts):
            if k == "Timestamp":
                opts[i] = ("Timestamp", (self.tsval(), 0))
        self.syn(opts, window=window)
        sa = self.expect(lambda s: s.has("S"), timeout, "a SYN-ACK to our SYN")
        check(sa.is_("SA") and sa.ack == seq_add(self.iss, 1),
              "%s: SYN-ACK acknowledges our ISN+1 (%d): %s" % (self.name, seq_add(self.iss, 1), sa))
        self.irs = sa.seq
        self.rcv_nxt = seq_add(sa.seq, 1)
        self.ts_ok = any(k == "Timestamp" for k, _ in opts) and sa.ts is not None
        if self.ts_ok:
            self.ts_recent = sa.ts[0]
        self.send("A")
        return sa

    def read(self, nbytes, timeout, ack=True, until=None):
        """Collects in-order payload until nbytes arrived (or until(data)
        holds, or a FIN), ACKing as it goes. Returns (data, fin_seen)."""
        data = b""
        fin = False
        deadline = time.monotonic() + timeout
        while len(data) < nbytes and not fin and not (until and until(data)):
            s = self.next(max(0.0, deadline - time.monotonic()))
            if s is None:
                raise CheckFailed("expected %d bytes within %.1f s, got %d: %r"
                                  % (nbytes, timeout, len(data), data[:200]))
            if s.has("R"):
                raise CheckFailed("connection reset while reading: %s" % s)
            if s.seq == self.rcv_nxt and (s.payload or s.has("F")):
                if s.payload:
                    self.seg_sizes.append(len(s.payload))
                data += s.payload
                fin = s.has("F")
                self.absorb(s)
                if ack:
                    self.send("A")
        return data, fin

    def reset(self):
        """Ends the connection in tcpterm: RST at our SND.NXT (RFC 5961 exact match)."""
        self.send("R", seq=self.snd_nxt, ack=0, ts=False)


_peers = []


# ---- a fast sender ---------------------------------------------------------------


def _sum16(data):
    if len(data) % 2:
        data += b"\0"
    return sum(struct.unpack("!%dH" % (len(data) // 2), data))


def _fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class FastSender:
    """Segments of one 4-tuple as raw frames, tens of thousands per second:
    the payload's checksum contribution is summed once, so a segment costs a
    few struct calls (scapy caps a flood at a few thousand per second). No
    options; sport/dport default to the peer's."""

    def __init__(self, peer, payload_len=0, sport=None):
        lk = link()
        self.tx = lk.tx
        mac = lambda text: bytes(int(b, 16) for b in text.split(":"))  # noqa: E731
        self.eth = mac(lk.peer_mac) + mac(lk.mac) + b"\x08\x00"
        src, dst = socket.inet_aton(CLI_ADDR), socket.inet_aton(TT_ADDR)
        self.sport = peer.sport if sport is None else sport
        self.dport = peer.dport
        self.payload = b"x" * payload_len
        tcp_len = 20 + payload_len
        self.fixed = _sum16(src + dst) + 6 + tcp_len + _sum16(self.payload)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tcp_len, 0, 0x4000, 64, 6, 0, src, dst)
        self.ip = ip[:10] + struct.pack("!H", _fold(_sum16(ip))) + ip[12:]

    def send(self, seq, ack, flags=0x18, window=65535):
        """flags as bits (0x18: PSH+ACK)."""
        head = struct.pack("!HHIIBBHHH", self.sport, self.dport, seq, ack, 5 << 4, flags, window, 0, 0)
        csum = _fold(self.fixed + _sum16(head))
        self.tx.send(self.eth + self.ip + head[:16] + struct.pack("!H", csum) + head[18:] + self.payload)


# ---- tcpterm's DPDK telemetry -------------------------------------------------------


def telemetry(command, timeout=5.0):
    """Runs one DPDK telemetry command (e.g. "/tcpterm/stats") against the
    tcpterm under test with dpdk-telemetry.py and returns the reply's value
    (a dict). Needs TT_PREFIX; runs in the TT_ROOT_NETNS namespace if set."""
    prefix = os.environ.get("TT_PREFIX")
    if not prefix:
        raise CheckFailed("TT_PREFIX is not set: the test script must export it for telemetry")
    cmd = ["dpdk-telemetry.py", "-f", prefix]
    netns = os.environ.get("TT_ROOT_NETNS")
    if netns:
        cmd = ["nsenter", "--net=" + netns] + cmd
    r = subprocess.run(cmd, input=(command + "\n").encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    out = r.stdout.decode(errors="replace").strip()
    try:
        reply = json.loads(out.splitlines()[-1])
    except (ValueError, IndexError):
        raise CheckFailed("telemetry %r: no JSON reply (exit %d): %r %r"
                          % (command, r.returncode, out, r.stderr.decode(errors="replace")))
    key = command.split(",", 1)[0]
    if not isinstance(reply, dict) or key not in reply:
        raise CheckFailed("telemetry %r: unexpected reply %r" % (command, reply))
    return reply[key]


def tcpterm_counters():
    """tcpterm's live counters (summed over workers), from /tcpterm/stats."""
    return telemetry("/tcpterm/stats")


def connect_from_tcpterm(service="discard", lport=None, timeout=3.0, name=None):
    """Has tcpterm open a connection (active open, /tcpterm/connect) to
    198.18.0.2:lport (default: a fresh port from the crafted range, so
    rst_guard() keeps the client kernel quiet) and waits for its SYN.

    Returns (peer, syn): a Peer for that 4-tuple (sport = lport, dport =
    tcpterm's ephemeral port) with irs/rcv_nxt taken from the SYN (and
    ts_recent from its TSval); its packet log starts with the SYN. The
    peer's own iss/snd_nxt are fresh: answer with p.send("SA", seq=p.iss, ...)
    or a crossing p.syn(...)."""
    lport = lport if lport is not None else new_port()
    rx = open_rx()                    # listening before tcpterm is asked
    t0 = time.monotonic()
    reply = telemetry("/tcpterm/connect,%s:%d,%s" % (CLI_ADDR, lport, service))
    if reply.get("queued") != 1:
        rx.close()
        raise CheckFailed("/tcpterm/connect was not queued: %r" % reply)
    deadline = time.monotonic() + timeout
    syn = None
    while syn is None:
        left = deadline - time.monotonic()
        r, _, _ = select.select([rx], [], [], max(0.0, left)) if left > 0 else ([], [], [])
        if not r:
            rx.close()
            raise CheckFailed("no SYN from tcpterm to port %d within %.1f s of /tcpterm/connect"
                              % (lport, timeout))
        frame = rx.recv(65535)
        t = time.monotonic()
        try:
            eth = Ether(frame)
        except Exception:
            continue
        if IP not in eth or TCP not in eth or eth[IP].src != TT_ADDR or eth[IP].dst != CLI_ADDR:
            continue
        if eth[IP][TCP].dport != lport or not int(eth[IP][TCP].flags) & 0x02:
            continue
        syn = Segment(eth[IP], t)
    p = Peer(syn.sport, sport=lport, name=name or "active:%d->%d" % (syn.sport, lport), rx=rx)
    p.t0 = t0
    p._record("<", str(syn) + ("" if syn.csum_ok else " BAD-CHECKSUM"))
    if not syn.csum_ok:
        raise CheckFailed("SYN from tcpterm with a wrong TCP checksum: %s" % syn)
    p.irs = syn.seq
    p.rcv_nxt = seq_add(syn.seq, 1)
    if syn.ts:
        p.ts_recent = syn.ts[0]
    return p, syn


def wait_ms(ms):
    time.sleep(ms / 1000.0)


# ---- running checks ----------------------------------------------------------------


def run_checks(title, checks):
    """checks: list of (name, function). Runs all of them, prints a summary,
    exits 1 when one failed."""
    failed = []
    random.seed(int.from_bytes(os.urandom(8), "big"))
    print("== %s" % title, flush=True)
    with rst_guard():
        link()  # resolve tcpterm's MAC first
        for name, fn in checks:
            print("-- %s" % name, flush=True)
            del _peers[:]
            try:
                fn()
            except CheckFailed as e:
                failed.append(name)
                print("FAIL %s: %s" % (name, e), flush=True)
                for p in _peers:
                    print(p.dump_log(), flush=True)
            except Exception:
                failed.append(name)
                print("FAIL %s: exception" % name, flush=True)
                traceback.print_exc()
                for p in _peers:
                    print(p.dump_log(), flush=True)
            finally:
                for p in _peers:
                    p.close()
    print("== %s: %d checks, %d failed%s" % (title, len(checks), len(failed),
                                               (": " + ", ".join(failed)) if failed else ""),
          flush=True)
    sys.exit(1 if failed else 0)
