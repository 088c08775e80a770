#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/).

Each seed is a meaningful input a fuzzer would take long to find alone: a
Linux SYN's options, a valid ARP request or ping, a whole TCP conversation
for fuzz_engine (record layout in fuzz_engine.cpp). Run it again after
changing a layout: python3 tests/fuzz/make_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUR_MAC = bytes([2, 0, 0, 0, 0, 1])
PEER_MAC = bytes([2, 0, 0, 0, 0, 2])
OUR_IP = bytes([198, 18, 0, 1])
PEER_IP = bytes([198, 18, 0, 2])
# rx_offload.hpp: selector bits 0-1 IP verdict, 2-3 L4 verdict; 2 = good.
OFFLOAD_NONE, OFFLOAD_GOOD = 0x00, 0x0A

# TCP flags
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

LINUX_SYN_OPTS = bytes.fromhex("020405b4" "0402080a" "0001e240" "00000000" "01030307")
TS_OPTS = bytes.fromhex("0101080a" "0001e241" "12345678")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(proto, payload, src=PEER_IP, dst=OUR_IP):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def tcp(flags, seq=1000, ack=0, opts=b"", payload=b"", sport=40000, dport=80):
    off = (20 + len(opts)) // 4 << 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off, flags, 65535, 0, 0) + opts
    pseudo = PEER_IP + OUR_IP + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def eth(ethertype, payload, dst=OUR_MAC):
    return dst + PEER_MAC + struct.pack("!H", ethertype) + payload


def arp(op, target=OUR_IP):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, PEER_MAC, PEER_IP,
                       bytes(6), target)


def icmp_echo():
    body = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"ping" * 8
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]


# One fuzz_engine record (layout in fuzz_engine.cpp); payload_units is r9,
# 7 payload bytes each.
def record(ms=0, flags=0, flow=0, ecn=0, action=0, from_isn=False, seq=0, ack=0,
           window=0xFF, ts=True, syn_opts=False, payload_units=0, sack=0, sack_at=0, raw=b""):
    r2 = flow | ecn << 2 | action << 4 | (0x80 if from_isn else 0)
    r8 = len(raw) | (0x40 if ts else 0) | (0x80 if syn_opts else 0)
    r10 = sack | sack_at << 2
    return struct.pack("!BBBhhBBBB", ms, flags, r2, seq, ack, window, r8, payload_units,
                       r10) + raw


# fuzz_engine service actions (r2 bits 4-6)
SHUTDOWN, CLOSE, ABORT, SEND = 4, 5, 6, 7
HANDSHAKE = [record(flags=SYN, from_isn=True, syn_opts=True), record(flags=ACK)]
# fuzz_engine setup bytes s0, s1, s2 (layout in fuzz_engine.cpp)
NO_SETUP = [0, 0, 0]


def engine_seeds():
    return {
        # passive open, 80 bytes echoed, the peer closes first, LAST_ACK
        "handshake_data_fin": NO_SETUP + HANDSHAKE + [
            record(ms=5, flags=PSH | ACK, payload_units=10),
            record(ms=1, flags=ACK),
            record(ms=5, flags=FIN | ACK),
            record(ms=1, flags=ACK)],
        # the service closes first: FIN_WAIT, TIME_WAIT, its 2 MSL expiry
        "active_close_time_wait": NO_SETUP + HANDSHAKE + [
            record(ms=1, flags=PSH | ACK, payload_units=4),
            record(ms=1, flags=ACK, action=CLOSE),
            record(ms=1, flags=FIN | ACK),
            record(ms=205, flags=ACK)],
        # the peer resets an established connection
        "handshake_rst": NO_SETUP + HANDSHAKE + [record(ms=1, flags=RST, ts=False)],
        # every SYN answered with a cookie; the third ACK makes the connection
        "cookies_always": [0x01, 0, 0] + HANDSHAKE + [
            record(ms=1, flags=PSH | ACK, payload_units=2)],
        # the engine opens to the peer (flow 2): SYN-ACK back, data, abort
        "active_open": [0x80, 0, 0] + [
            record(flags=SYN | ACK, flow=2, from_isn=True, syn_opts=True),
            record(ms=1, flags=PSH | ACK, flow=2, payload_units=3),
            record(ms=1, flags=ACK, flow=2, action=ABORT)],
        # small buffers; the service pushes 3000 bytes, the peer acknowledges
        # the first segment with a zero window: persist probes, then it opens
        "zero_window": [0x20, 0, 0] + HANDSHAKE + [
            record(ms=1, flags=ACK, action=SEND, ack=-3000),
            record(ms=1, flags=ACK, ack=-1552, window=0),
            record(ms=205, flags=ACK, ack=-1552, window=0),
            record(ms=1, flags=ACK, window=0x40)],
        # the service pushes data the peer never acknowledges: RTO backoff
        # up to the retry limit, then the connection is aborted
        "rto_give_up": NO_SETUP + HANDSHAKE + [
            record(ms=1, flags=ACK, action=SEND, ack=-3000),
            record(ms=254, flags=ACK, ack=-3000)],
        # 3000 bytes out; the peer acknowledges none of it but SACKs the
        # second half of the first segment three times: fast retransmit of
        # the hole (RFC 6675), then the rest is acknowledged
        "sack_recovery": NO_SETUP + HANDSHAKE + [
            record(ms=1, flags=ACK, action=SEND, ack=-3000),
            record(ms=1, flags=ACK, ack=-3000, sack=1),
            record(ms=1, flags=ACK, ack=-3000, sack=1),
            record(ms=1, flags=ACK, ack=-3000, sack=2),
            record(ms=1, flags=ACK, ack=-3000, sack=2),
            record(ms=5, flags=ACK)],
        # TCP-AO with HMAC-SHA-1, then AES-128-CMAC: every segment signed;
        # a signed handshake, data echoed, the peer closes
        "ao_hmac_conversation": [0, 0, 1] + HANDSHAKE + [
            record(ms=1, flags=PSH | ACK, payload_units=5),
            record(ms=1, flags=FIN | ACK),
            record(ms=1, flags=ACK)],
        "ao_cmac_handshake": [0, 0, 3] + HANDSHAKE + [
            record(ms=1, flags=PSH | ACK, payload_units=5)],
        # tables of 2 connections and 1 TIME_WAIT entry: the active open and
        # flow 0 fill the table, flow 1's SYN finds it full; flow 0 then
        # closes twice over into the one TIME_WAIT slot
        "tables_full": [0x80, 0, 4] + HANDSHAKE + [
            record(flags=SYN, flow=1, from_isn=True, syn_opts=True),
            record(ms=1, flags=ACK, action=CLOSE),
            record(ms=1, flags=FIN | ACK),
            record(ms=1, flags=SYN | ACK, flow=2, from_isn=True, syn_opts=True),
            record(ms=1, flags=FIN | ACK, flow=2),
            record(ms=1, flags=ACK, flow=2, action=CLOSE)],
        # keepalive on: a SYN to a closed port (RST), then an idle connection
        # probed three times and reset
        "closed_port_and_keepalive": [0x10, 0, 0] + [
            record(flags=SYN, flow=3, from_isn=True, syn_opts=True)] + HANDSHAKE + [
            record(ms=210, flags=ACK, ts=False)],
        # TIME_WAIT taken over by a new SYN above the old sequence (RFC 6191)
        "time_wait_reuse": NO_SETUP + HANDSHAKE + [
            record(ms=1, flags=ACK, action=CLOSE),
            record(ms=1, flags=FIN | ACK),
            record(ms=100, flags=SYN, seq=5000, syn_opts=True),
            record(ms=1, flags=ACK)],
    }


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    write("options", "linux_syn", LINUX_SYN_OPTS)
    write("options", "nop_nop_ts", TS_OPTS)
    write("options", "ts_sack2", TS_OPTS + bytes.fromhex("0101" "0512") + struct.pack("!4I", 1, 2, 3, 4))
    write("options", "uto_ao", bytes.fromhex("1c048005") + bytes([29, 16, 1, 2]) + bytes(12))
    write("options", "mss_ws_unknown", bytes.fromhex("020405b4" "010303" "0e" "fe0400" "0000"))

    syn = tcp(SYN, opts=LINUX_SYN_OPTS)
    write("segment", "linux_syn", bytes([OFFLOAD_NONE]) + syn)
    write("segment", "ack_data", bytes([OFFLOAD_GOOD]) + tcp(ACK | PSH, 1001, 5000, TS_OPTS, b"hello"))
    write("segment", "rst", bytes([OFFLOAD_NONE]) + tcp(RST, 1001))

    write("interface", "arp_request", bytes([OFFLOAD_NONE]) + eth(0x0806, arp(1), bytes([0xFF] * 6)))
    write("interface", "arp_reply", bytes([OFFLOAD_NONE]) + eth(0x0806, arp(2)))
    write("interface", "ping", bytes([OFFLOAD_NONE]) + eth(0x0800, ipv4(1, icmp_echo())))
    write("interface", "tcp_syn", bytes([OFFLOAD_NONE]) + eth(0x0800, ipv4(6, syn)))
    padded = eth(0x0800, ipv4(6, tcp(RST, 7))) + bytes(6)  # Ethernet padding
    write("interface", "tcp_rst_padded", bytes([OFFLOAD_GOOD]) + padded)

    for name, parts in engine_seeds().items():
        setup = bytes(parts[:3])
        write("engine", name, setup + b"".join(parts[3:]))


if __name__ == "__main__":
    main()
