#!/usr/bin/env bash
# Packet-level timer checks with a scripted peer (pkt_timers.py, scapy): a
# SYN-ACK never ACKed and a data segment never ACKed are retransmitted after
# the initial RTO of 1 s, then after 2 s (RFC 6298 backoff).
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

pkt pkt_timers.py

expect_tcpterm_alive
stop_tcpterm
assert_gt "$(tt_counter TCPTimeouts)" 3 "TCPTimeouts counts the 4 expiries"
assert_gt "$(tt_counter RetransSegs)" 3 "RetransSegs counts the 4 retransmissions"
