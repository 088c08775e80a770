#!/usr/bin/env bash
# User timeout and the User Timeout Option (RFC 5482), packet by packet
# (pkt_uto.py), against three configurations: the UTO advertised in the
# SYN-ACK and in tcpterm's own SYN; a 3 s user timeout aborting a connection
# whose peer never acknowledges chargen's data; a peer's UTO below
# tcp.uto_min_ms raised to it (RFC 5482 §3.1), seen in the abort time.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
export TT_ROOT_NETNS=/proc/$$/ns/net

topo_up

start_tcpterm --tcp.user_timeout_ms 20000 --tcp.uto_advertise true
TT_PHASE=advertise pkt pkt_uto.py
expect_tcpterm_alive
stop_tcpterm

start_tcpterm --tcp.user_timeout_ms 3000
TT_PHASE=abort pkt pkt_uto.py
expect_tcpterm_alive
stop_tcpterm
assert_eq 1 "$(tt_counter TCPAbortOnUserTimeout)" "TCPAbortOnUserTimeout (one stalled connection)"
assert_eq 0 "$(tt_counter TCPAbortOnTimeout)" "TCPAbortOnTimeout (the user timeout, not tcp.retries, ended it)"

start_tcpterm --tcp.user_timeout_ms 3000 --tcp.uto_min_ms 8000
TT_PHASE=peer pkt pkt_uto.py
expect_tcpterm_alive
stop_tcpterm
assert_eq 2 "$(tt_counter TCPAbortOnUserTimeout)" "TCPAbortOnUserTimeout (both stalled connections)"
assert_eq 1 "$(tt_counter TCPUserTimeoutReceived)" "TCPUserTimeoutReceived (the peer's UTO honoured)"
