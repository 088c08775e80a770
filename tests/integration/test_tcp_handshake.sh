#!/usr/bin/env bash
# Packet-level handshake checks with a scripted peer (pkt_handshake.py,
# scapy): option negotiation in the SYN-ACK for every combination the peer
# may offer, the MSS tcpterm then uses (536 when none is offered, RFC 9293
# §3.7.1), unknown options skipped, malformed options dropped and counted.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

pkt pkt_handshake.py

expect_tcpterm_alive
stop_tcpterm
# The four malformed SYNs of pkt_handshake.py, and nothing else, are bad options.
assert_eq 4 "$(tt_counter TCPBadOptions)" "TCPBadOptions (malformed SYNs sent: 4)"
inerrs=$(tt_counter InErrs)
assert_gt "$inerrs" 3 "InErrs counts the malformed SYNs"
