"""TCP-AO (RFC 5925/5926) on the wire, with scapy's independent code
(scapy.contrib.tcpao) signing our segments and checking tcpterm's.

Run by test_tcp_ao.sh inside tt-cli (TT_PREFIX and TT_ROOT_NETNS exported)
against tcpterm started with
  --listen 7=echo --listen 7001=echo --listen 80=http
  --ao-key peer=198.18.0.2/32,send_id=4,recv_id=3,key=tt-ao-sha1,port=7
  --ao-key peer=198.18.0.2/32,send_id=6,recv_id=5,alg=aes-128-cmac,key=tt-ao-cmac,port=7001
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcppeer import Peer, check, run_checks, seq_add, tcpterm_counters  # noqa: E402

MSS = ("MSS", 1460)
KEYS = {7: ("HMAC-SHA-1-96", b"tt-ao-sha1", 3, 4), 7001: ("AES-128-CMAC-96", b"tt-ao-cmac", 5, 6)}


def signed_echo(port):
    alg, secret, ours, theirs = KEYS[port]
    p = Peer(port, name="ao-%d" % port)
    p.use_ao(alg, secret, ours, theirs)
    sa = p.handshake(options=[MSS, ("Timestamp", (0, 0))])
    ao = sa.opt("AO")
    check(ao is not None and ao.keyid == theirs and ao.rnextkeyid == ours,
          "%s: SYN-ACK carries TCP-AO, KeyID %d, RNextKeyID %d: %s" % (alg, theirs, ours, sa))
    check(p.ao_valid(sa), "%s: the SYN-ACK's MAC checks (traffic key of both ISNs)" % alg)
    msg = b"authenticated hello\n"
    p.send("PA", payload=msg)
    d = p.expect(lambda s: len(s.payload) > 0, 2.0, "the echoed data")
    check(d.payload == msg, "%s: echo of a signed segment: %r" % (alg, d.payload))
    check(p.ao_valid(d), "%s: the data segment's MAC checks: %s" % (alg, d))
    p.absorb(d)
    p.send("A")
    # Everything tcpterm sent after the handshake must be signed, and check.
    p.send("FA")
    fin = p.expect(lambda s: s.has("F"), 2.0, "tcpterm's FIN")
    check(p.ao_valid(fin), "%s: the FIN's MAC checks: %s" % (alg, fin))
    p.rcv_nxt = seq_add(fin.seq, len(fin.payload) + 1)
    p.send("A")


def hmac_sha1():
    signed_echo(7)


def aes_cmac():
    signed_echo(7001)


def unsigned_and_forged_dropped():
    c0 = tcpterm_counters()
    p = Peer(7, name="ao-unsigned")
    p.syn([MSS])
    p.expect_nothing(1.2, "an unsigned SYN from a keyed peer gets nothing (RFC 5925 §7.3)")
    q = Peer(7, name="ao-forged")
    q.use_ao("HMAC-SHA-1-96", b"not-the-secret", 3, 4)
    q.syn([MSS])
    q.expect_nothing(1.2, "a SYN signed with another secret gets nothing")
    r = Peer(7, name="ao-wrong-keyid")
    r.use_ao("HMAC-SHA-1-96", b"tt-ao-sha1", 9, 4)
    r.syn([MSS])
    r.expect_nothing(1.2, "a SYN with an unknown KeyID gets nothing")
    c1 = tcpterm_counters()
    check(c1["TCPAORequired"] - c0["TCPAORequired"] >= 1, "TCPAORequired moved")
    check(c1["TCPAOBad"] - c0["TCPAOBad"] >= 1, "TCPAOBad moved")
    check(c1["TCPAOKeyNotFound"] - c0["TCPAOKeyNotFound"] >= 1, "TCPAOKeyNotFound moved")


def unkeyed_port_unchanged():
    p = Peer(80, name="plain-80")
    sa = p.handshake(options=[MSS])
    check(sa.opt("AO") is None, "port 80 (no key covers it): an ordinary SYN-ACK without TCP-AO")
    p.reset()


if __name__ == "__main__":
    run_checks("TCP-AO (RFC 5925/5926) against scapy's implementation", [
        ("HMAC-SHA-1-96: signed handshake, echo and close", hmac_sha1),
        ("AES-128-CMAC-96: signed handshake, echo and close", aes_cmac),
        ("unsigned, forged and unknown-KeyID SYNs dropped", unsigned_and_forged_dropped),
        ("a port no key covers works as before", unkeyed_port_unchanged),
    ])
