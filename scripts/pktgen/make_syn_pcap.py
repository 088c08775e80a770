#!/usr/bin/python3
"""Writes a pcap of N spoofed TCP SYNs for replay at tcpterm with
`pktgen -s 0:FILE`, `tcpreplay`, or DPDK's net_pcap (rx_pcap=FILE).

Each SYN comes from a random address in the flood prefix (network and
broadcast addresses skipped) and a random port 1024..65535, with a random
ISN and IP ID, and carries the options a real SYN does (MSS; optionally
SACK-permitted, timestamps and window scale, in Linux's order). Scapy fills
in the IPv4 and TCP checksums. Needs Debian's python3-scapy (/usr/bin/python3).

  make_syn_pcap.py --count 100000 --dst-mac 02:00:00:00:00:01 --out syn.pcap
"""
import argparse
import ipaddress
import random
import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import PcapWriter


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", "-n", type=int, default=10000, help="SYNs to write (default 10000)")
    p.add_argument("--prefix", default="198.18.128.0/17", help="spoofed source prefix")
    p.add_argument("--target", default="198.18.0.1:80", help="A.B.C.D:PORT")
    p.add_argument("--dst-mac", required=True, help="the target's MAC (tcpterm prints it at start)")
    p.add_argument("--src-mac", default="02:00:00:00:00:02", help="source MAC (default 02:00:00:00:00:02)")
    p.add_argument("--options", default="mss",
                   help="'mss', 'all', or a comma list of mss,sack,ts,ws (MSS always present)")
    p.add_argument("--mss", type=int, default=1460)
    p.add_argument("--seed", type=int, default=1, help="random seed (the file is reproducible)")
    p.add_argument("--out", "-o", required=True, help="pcap file to write")
    a = p.parse_args(argv)
    if a.count < 1:
        p.error("--count must be at least 1")
    try:
        a.net = ipaddress.IPv4Network(a.prefix, strict=False)
        host, port = a.target.rsplit(":", 1)
        a.target_ip, a.target_port = str(ipaddress.IPv4Address(host)), int(port)
        if not 1 <= a.target_port <= 65535:
            raise ValueError("port")
    except ValueError as e:
        p.error("bad --prefix or --target: %s" % e)
    names = set(a.options.split(","))
    if names == {"all"}:
        names = {"mss", "sack", "ts", "ws"}
    if not names <= {"mss", "sack", "ts", "ws"}:
        p.error("--options: 'mss', 'all' or a comma list of mss,sack,ts,ws")
    a.opt_names = names
    return a


def syn_options(names, mss, tsval):
    opts = [("MSS", mss)]
    if "sack" in names:
        opts.append(("SAckOK", b""))
    if "ts" in names:
        opts.append(("Timestamp", (tsval, 0)))
    if "ws" in names:
        opts += [("NOP", None), ("WScale", 7)]
    return opts


def main(argv):
    a = parse_args(argv)
    rng = random.Random(a.seed)
    base = int(a.net.network_address)
    hosts = a.net.num_addresses
    edges = a.net.prefixlen < 31
    writer = PcapWriter(a.out, linktype=1, sync=False)
    for i in range(a.count):
        h = rng.randrange(hosts)
        if edges and (h == 0 or h == hosts - 1):
            h ^= 1
        src = str(ipaddress.IPv4Address(base + h))
        pkt = (Ether(dst=a.dst_mac, src=a.src_mac) /
               IP(src=src, dst=a.target_ip, id=rng.randrange(65536), flags="DF", ttl=64) /
               TCP(sport=rng.randrange(1024, 65536), dport=a.target_port, flags="S",
                   seq=rng.randrange(1 << 32), window=64240,
                   options=syn_options(a.opt_names, a.mss, rng.randrange(1 << 32))))
        pkt.time = i * 1e-6  # 1 Mpps spacing; tcpreplay --pps / --topspeed overrides it
        writer.write(pkt)
    writer.close()
    print("wrote %d SYNs from %s to %s:%d (%s) into %s" %
          (a.count, a.net, a.target_ip, a.target_port, ",".join(sorted(a.opt_names)), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
