"""Handshake option negotiation, MSS in use, malformed options.

Run by test_tcp_handshake.sh inside tt-cli against tcpterm's default config
(rcvbuf_max 2097152 -> window scale shift 6, MTU 1500 -> MSS 1460, http on 80).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import Peer, check, note, run_checks, seq_add  # noqa: E402

HTTP = 80
OUR_MSS = ("MSS", 1460)
OUR_WS = ("WScale", 7)
OUR_SACK = ("SAckOK", b"")
OUR_TS = ("Timestamp", (0, 0))     # handshake()/the check fill in our clock
NOP = ("NOP", None)

COMBOS = [
    ("no options", []),
    ("MSS only", [OUR_MSS]),
    ("window scale only", [NOP, OUR_WS]),
    ("SACK-permitted only", [NOP, NOP, OUR_SACK]),
    ("timestamps only", [NOP, NOP, OUR_TS]),
    ("all four", [OUR_MSS, OUR_SACK, OUR_TS, NOP, OUR_WS]),
]


def syn_ack_for(name, offered):
    p = Peer(HTTP, name="syn(%s)" % name)
    opts = list(offered)
    tsval = p.tsval()
    for i, (k, _) in enumerate(opts):
        if k == "Timestamp":
            opts[i] = ("Timestamp", (tsval, 0))
    p.syn(opts)
    sa = p.expect(lambda s: s.has("S") or s.has("R"), 2.0, "a SYN-ACK")
    kinds = {k for k, _ in offered}
    # RFC 9293 §3.10.7.2: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, RCV.NXT = SEG.SEQ+1.
    check(sa.is_("SA") and sa.ack == seq_add(p.iss, 1),
          "%s: SYN,ACK with ack = ISN+1: %s" % (name, sa))
    # RFC 9293 §3.7.1 / RFC 6691: a TCP sends its MSS in every SYN; ours is MTU 1500 - 40.
    check(sa.opt("MSS") == 1460, "%s: MSS option present, value 1460" % name)
    # RFC 7323 §2.2: a SYN's window field is never scaled; with rcvbuf 256 KiB it is 65535.
    check(sa.win == 65535, "%s: SYN-ACK window field unscaled 65535 (got %d)" % (name, sa.win))
    # RFC 7323 §2.2 / §1.3: WS only in a <SYN,ACK> when the <SYN> carried it; shift 6 for the 2 MiB of tcp.rcvbuf_max.
    if "WScale" in kinds:
        check(sa.opt("WScale") == 6, "%s: window scale echoed with shift 6 (got %s)" % (name, sa.opt("WScale")))
    else:
        check(sa.opt("WScale") is None, "%s: no window scale option (not offered)" % name)
    # RFC 2018 §2: SACK-permitted is negotiated: answered only when offered.
    if "SAckOK" in kinds:
        check(sa.opt("SAckOK") is not None, "%s: SACK-permitted answered" % name)
    else:
        check(sa.opt("SAckOK") is None, "%s: no SACK-permitted (not offered)" % name)
    # RFC 7323 §3.2: TSopt in <SYN,ACK> only when the <SYN> had it; TSecr echoes the SYN's TSval.
    if "Timestamp" in kinds:
        ts = sa.ts
        check(ts is not None and ts[1] == tsval,
              "%s: timestamps answered, TSecr = our TSval %d (got %s)" % (name, tsval, ts))
    else:
        check(sa.ts is None, "%s: no timestamp option (not offered)" % name)
    extra = set(sa.opt_names()) - {"MSS", "WScale", "SAckOK", "Timestamp"}
    check(not extra, "%s: no other options in the SYN-ACK (%s)" % (name, sorted(extra) or "none"))
    p.reset()


def make_combo_check(name, offered):
    return lambda: syn_ack_for(name, offered)


def segment_sizes(name, options, limit, want_max):
    """GET / on http; every data segment must be at most `limit` bytes."""
    p = Peer(HTTP, name="mss(%s)" % name)
    p.handshake(options=options)
    p.send("PA", payload=b"GET / HTTP/1.1\r\nHost: 198.18.0.1\r\n\r\n")

    def complete(data):
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            return False
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                return len(body) >= int(line.split(b":")[1])
        return False

    data, _ = p.read(1 << 20, 3.0, until=complete)
    note("%s: response of %d bytes in segments of %s bytes" % (name, len(data), p.seg_sizes))
    check(len(data) > limit, "%s: the response (%d bytes) needs more than one segment" % (name, len(data)))
    check(max(p.seg_sizes) <= limit,
          "%s: every data segment <= %d bytes (largest %d)" % (name, limit, max(p.seg_sizes)))
    if want_max:
        # Not an RFC MUST, but a sender with a full segment to send uses the whole MSS
        # (RFC 9293 §3.8.6.2.1, SWS avoidance: send when a full MSS can go).
        check(max(p.seg_sizes) == limit, "%s: full-sized segments are %d bytes" % (name, limit))
    p.reset()


# Malformed option areas (each a multiple of 4 bytes; the SYN carries nothing else).
MALFORMED = [
    # RFC 9293 §3.1 (and RFC 1122 4.2.2.5): a TCP must be prepared for an illegal
    # option length (zero, say); every option but EOL/NOP has a length octet that counts
    # kind and length (so >= 2) and stays inside the header. tcpterm drops such a
    # segment (counted in TCPBadOptions and InErrs): no SYN-ACK, no RST.
    ("option of length 0", bytes([2, 4, 0x05, 0xb4, 254, 0, 0, 0])),
    ("option of length 1", bytes([254, 1, 0, 0])),
    ("option running past the header", bytes([2, 4, 0x05, 0xb4, 8, 10, 0, 0])),
    # RFC 9293 §3.2: the MSS option's length is 4, exactly.
    ("MSS of length 3", bytes([2, 3, 0x05, 1])),
]


def malformed(name, raw):
    p = Peer(HTTP, name="bad(%s)" % name)
    p.send("S", raw_options=raw)
    p.expect_nothing(1.0, "%s: SYN dropped, no SYN-ACK and no RST" % name)
    # Control: the same SYN with a well-formed option area is answered on this tuple,
    # so the silence above was tcpterm's, not the capture's.
    p.syn([OUR_MSS])
    sa = p.expect(lambda s: True, 2.0, "a SYN-ACK to the well-formed SYN")
    check(sa.is_("SA") and sa.ack == seq_add(p.iss, 1),
          "%s: control SYN with valid options on the same tuple answered: %s" % (name, sa))
    p.reset()


def unknown_option_skipped():
    # RFC 9293 §3.1 (and RFC 1122 4.2.2.5): a TCP must ignore, by its length,
    # any option it does not implement.
    p = Peer(HTTP, name="unknown-option")
    p.send("S", raw_options=bytes([2, 4, 0x05, 0xb4, 253, 6, 1, 2, 3, 4, 1, 0]))
    sa = p.expect(lambda s: True, 2.0, "a SYN-ACK")
    check(sa.is_("SA") and sa.ack == seq_add(p.iss, 1) and sa.opt("MSS") == 1460,
          "SYN with an unknown 6-byte option (kind 253) is accepted: %s" % sa)
    p.reset()


checks = [("SYN-ACK options, " + n, make_combo_check(n, o)) for n, o in COMBOS]
checks += [
    # RFC 9293 §3.7.1: without an MSS option the sender assumes 536 (IPv4 default).
    ("MSS 536 when none is sent",
     lambda: segment_sizes("no MSS", [], 536, True)),
    # RFC 7323 §3.2 / RFC 6691: the timestamp option's 12 bytes come off the 536.
    ("MSS 536 less 12 with timestamps",
     lambda: segment_sizes("no MSS, TS", [NOP, NOP, OUR_TS], 524, True)),
    # RFC 9293 §3.7.1: the peer's MSS bounds our segments.
    ("MSS 300 offered", lambda: segment_sizes("MSS 300", [("MSS", 300)], 300, True)),
    ("unknown option skipped", unknown_option_skipped),
]
checks += [("malformed options: " + n, (lambda n=n, r=r: malformed(n, r))) for n, r in MALFORMED]

if __name__ == "__main__":
    run_checks("handshake and options", checks)
