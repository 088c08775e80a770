#!/usr/bin/env bash
# TCP-AO (RFC 5925/5926), packet by packet (pkt_tcp_ao.py): a scripted peer
# signing with scapy's independent TCP-AO code completes signed handshakes,
# echoes and closes with HMAC-SHA-1-96 and AES-128-CMAC-96 keys, and checks
# the MAC of every tcpterm segment; unsigned, forged and unknown-KeyID SYNs
# are dropped and counted; a port no key covers is unaffected.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
export TT_ROOT_NETNS=/proc/$$/ns/net

topo_up
start_tcpterm --listen 7=echo --listen 7001=echo --listen 80=http \
  --ao-key "peer=198.18.0.2/32,send_id=4,recv_id=3,key=tt-ao-sha1,port=7" \
  --ao-key "peer=198.18.0.2/32,send_id=6,recv_id=5,alg=aes-128-cmac,key=tt-ao-cmac,port=7001"

pkt_rc=0
( pkt pkt_tcp_ao.py ) || pkt_rc=$?

expect_tcpterm_alive
stop_tcpterm
assert_gt "$(tt_counter TCPAOGood)" 5 "TCPAOGood (signed segments accepted)"
((pkt_rc == 0)) || fail "pkt_tcp_ao.py checks failed"
