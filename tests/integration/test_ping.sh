#!/usr/bin/env bash
# tcpterm answers ARP and ICMP echo: three pings from the client namespace.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

cli ping -c 3 -W 1 "$TT_ADDR" | tee "$TT_WORK/ping.out" || fail "ping -c 3 -W 1 $TT_ADDR failed"
assert_grep ' 0% packet loss' "$TT_WORK/ping.out" "all 3 echo requests answered"

expect_tcpterm_alive
stop_tcpterm
