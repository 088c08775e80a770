#!/usr/bin/env bash
# VIPs (issue 10): tcpterm owns three addresses on one port (two on the
# client's /24, one /32 the client reaches by an on-link route), answers ARP
# and ping for each and nothing else, and each listener bound to a VIP gets
# only that VIP's connections: curl to each reaches the http listener whose
# body size says which one it is, a port bound to one VIP only is refused on
# the others, and the wildcard serves the VIP without a binding of its own.
source "$(dirname "$0")/lib.sh"

VIP1=198.18.0.1 VIP2=198.18.0.10 VIP3=198.19.0.10 NOT_OURS=198.18.0.11

topo_up
# The /32 VIP is on the wire, off the client's subnet: reach it directly.
cli ip route add "$VIP3/32" dev tt-cli0
start_tcpterm --address "$VIP1/24" --address "$VIP2/24" --address "$VIP3/32" \
  --listen "$VIP1:80=http,body=111" --listen "$VIP2:80=http,body=222" --listen "80=http,body=333" \
  --listen "$VIP2:81=echo" --listen "7=echo"
assert_grep "ready: $VIP1/24,$VIP2/24,$VIP3/32 listening" "$TT_LOG" "ready line lists the three addresses"

# ARP and ping: each VIP answers, with tcpterm's MAC; an address on the
# same subnet that is not ours gets no ARP answer.
cli ip neigh flush dev tt-cli0
for vip in $VIP1 $VIP2 $VIP3; do
  cli ping -c 2 -W 1 "$vip" >"$TT_WORK/ping-$vip.out" || { cat "$TT_WORK/ping-$vip.out"; fail "ping $vip failed"; }
  assert_grep ' 0% packet loss' "$TT_WORK/ping-$vip.out" "ping $vip: both echo requests answered"
done
macs=$(cli ip neigh show dev tt-cli0 | awk -v a="$VIP1 $VIP2 $VIP3" \
  'BEGIN { split(a, w, " "); for (i in w) want[w[i]] = 1 } ($1 in want) && /lladdr/ { print $3 }' | sort -u)
assert_eq 1 "$(wc -w <<<"$macs")" "ARP: the three VIPs resolve to one MAC ($macs)"
for vip in $VIP1 $VIP2 $VIP3; do
  cli ip neigh show "$vip" dev tt-cli0 | grep -q lladdr || fail "ARP: no neighbour entry for $vip"
done
log "ok: ARP answered for $VIP1 $VIP2 $VIP3"
if cli ping -c 1 -W 1 "$NOT_OURS" >/dev/null 2>&1; then fail "ping $NOT_OURS (not ours) was answered"; fi
cli ip neigh show "$NOT_OURS" dev tt-cli0 | grep -q lladdr && fail "ARP: $NOT_OURS (not ours) was answered"
log "ok: $NOT_OURS (not ours): no ARP answer, no ping"

# Each VIP's listener: the body size says which one served.
fetch_size() { cli curl -s --max-time 5 -o /dev/null -w '%{http_code} %{size_download}' "http://$1:$2/"; }
assert_eq "200 111" "$(fetch_size $VIP1 80)" "curl $VIP1:80 reaches $VIP1:80=http,body=111"
assert_eq "200 222" "$(fetch_size $VIP2 80)" "curl $VIP2:80 reaches $VIP2:80=http,body=222"
assert_eq "200 333" "$(fetch_size $VIP3 80)" "curl $VIP3:80 reaches the wildcard 80=http,body=333"

# A port bound to one VIP only: RST on the others (curl: connection refused, 7).
rc=0; cli curl -s --max-time 5 -o /dev/null "http://$VIP1:81/" || rc=$?
assert_eq 7 "$rc" "curl $VIP1:81 (81 is bound to $VIP2 only): refused"
echo_out=$(printf 'vip2\n' | cli timeout 5 nc -N "$VIP2" 81) || fail "nc $VIP2:81 failed"
assert_eq vip2 "$echo_out" "echo on $VIP2:81"
# The wildcard echo answers on every VIP.
for vip in $VIP1 $VIP2 $VIP3; do
  out=$(printf 'hello %s\n' "$vip" | cli timeout 5 nc -N "$vip" 7) || fail "nc $vip:7 failed"
  assert_eq "hello $vip" "$out" "wildcard 7=echo on $vip"
done

expect_tcpterm_alive
stop_tcpterm
assert_eq 1 "$(tt_counter TCPNoListener)" "TCPNoListener (the SYN to $VIP1:81)"
