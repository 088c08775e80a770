#!/usr/bin/env bash
# Keeps serving real clients through a SYN flood: hping3 floods port 80 from
# random spoofed sources for a bounded time while curl and nc connect again
# and again. Every client must succeed, and the SYN cookie counters must show
# that cookies carried the load (the SYN queue fills with half-open entries
# whose SYN-ACKs go nowhere, so the listener switches to cookies).
source "$(dirname "$0")/lib.sh"

topo_up
# A small SYN queue so cookies take over within the first moments; port 7
# always answers with cookies.
start_tcpterm --listen "80=http,syn_backlog=64" --listen "7=echo,cookies=always"
cli ping -c 1 -W 2 "$TT_ADDR" >/dev/null || fail "tcpterm does not answer ping"

FLOOD_SECONDS=10
cli timeout "$FLOOD_SECONDS" hping3 -S -p 80 --flood --rand-source "$TT_ADDR" >/dev/null 2>&1 &
flood_pid=$!
sleep 1

curl_ok=0 nc_ok=0 tries=0
deadline=$((SECONDS + FLOOD_SECONDS - 3))
while ((SECONDS < deadline)); do
  tries=$((tries + 1))
  body=$(cli curl -s -m 5 "http://$TT_ADDR/") && [[ ${#body} -eq 612 ]] && curl_ok=$((curl_ok + 1))
  reply=$(echo "flood-$tries" | cli timeout 5 nc -N "$TT_ADDR" 7) && [[ "$reply" == "flood-$tries" ]] && nc_ok=$((nc_ok + 1))
done
wait "$flood_pid" 2>/dev/null || true

assert_gt "$tries" 5 "client rounds during the flood"
assert_eq "$tries" "$curl_ok" "curl fetches that succeeded during the flood"
assert_eq "$tries" "$nc_ok" "nc echo round trips (cookies=always) that succeeded"

expect_tcpterm_alive
stop_tcpterm
syns=$(tt_counter SynsReceived)
sent=$(tt_counter SyncookiesSent)
recv=$(tt_counter SyncookiesRecv)
failed=$(tt_counter SyncookiesFailed)
log "SynsReceived=$syns SyncookiesSent=$sent SyncookiesRecv=$recv SyncookiesFailed=$failed"
assert_gt "$syns" 10000 "SYNs received from the flood"
assert_gt "$sent" 10000 "SYN cookies sent"
assert_gt "$recv" $((tries - 1)) "connections made from cookies"
