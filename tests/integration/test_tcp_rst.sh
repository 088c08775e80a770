#!/usr/bin/env bash
# Packet-level checks with a scripted peer (pkt_rst.py, scapy): RSTs for
# segments without a connection (RFC 9293 §3.10.7.1-2), RFC 5961 (exact RST,
# challenge ACKs for in-window RSTs and SYNs, ACK validation), PAWS (RFC 7323
# §5) and the sequence acceptability test, also across the 2^32 wrap.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

pkt pkt_rst.py

expect_tcpterm_alive
stop_tcpterm
# Lower bounds: what pkt_rst.py provoked on purpose.
assert_gt "$(tt_counter TCPChallengeACK)" 5 "TCPChallengeACK (in-window RSTs, in-window SYN, too-old ACK, wrap)"
assert_gt "$(tt_counter PAWSEstab)" 0 "PAWSEstab"
assert_gt "$(tt_counter TCPSeqOutOfWindow)" 2 "TCPSeqOutOfWindow"
assert_gt "$(tt_counter TCPAckTooNew)" 0 "TCPAckTooNew"
assert_gt "$(tt_counter InRsts)" 1 "InRsts (exact RSTs)"
