#!/usr/bin/env bash
# Listeners, packet by packet (pkt_listeners.py): accept queue bound (the
# final ACK ignored, or RST with abort_on_overflow, as Linux listen(2)),
# foreign-address restriction (allow=, reject=rst|drop), a specific local
# address beating the wildcard (RFC 9293 §3.9.1.1), the SYN queue bound with
# cookies off, and SYN cookies taking over at cookie_threshold (RFC 4987).
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
export TT_ROOT_NETNS=/proc/$$/ns/net

topo_up
start_tcpterm --address 198.18.0.1/24 --address 198.18.0.99/24 \
  --listen 8000=hold,backlog=2 \
  --listen 8001=hold,backlog=2,abort_on_overflow=true \
  --listen "9000=echo,allow=198.18.0.128/25" \
  --listen "9001=echo,allow=198.18.0.128/25,reject=drop" \
  --listen "9002=echo,allow=198.18.0.128/25,allow=198.18.0.0/30" \
  --listen 198.18.0.1:7000=echo --listen 7000=discard \
  --listen 7001=discard --listen 198.18.0.1:7001=echo \
  --listen 198.18.0.99:7002=echo --listen 7002=discard \
  --listen "8100=echo,syn_backlog=4,cookies=off" \
  --listen "8200=echo,cookies=auto,cookie_threshold=4"

# In a subshell, so that the counters below are checked even when a packet
# check failed; the test still fails at the end.
pkt_rc=0
( pkt pkt_listeners.py ) || pkt_rc=$?

expect_tcpterm_alive
stop_tcpterm
assert_gt "$(tt_counter ListenOverflows)" 1 "ListenOverflows (third handshake on 8000, twice, and on 8001)"
assert_eq 2 "$(tt_counter TCPForeignRejected)" "TCPForeignRejected (9000 and 9001)"
assert_eq 6 "$(tt_counter TCPReqQFullDrop)" "TCPReqQFullDrop (SYNs 5..10 on 8100)"
assert_eq 6 "$(tt_counter SyncookiesSent)" "SyncookiesSent (SYNs 5..10 on 8200)"
assert_eq 1 "$(tt_counter SyncookiesRecv)" "SyncookiesRecv (one cookie handshake completed)"
assert_eq 0 "$(tt_counter SyncookiesFailed)" "SyncookiesFailed"
((pkt_rc == 0)) || fail "pkt_listeners.py: checks failed, see FAIL lines above"
