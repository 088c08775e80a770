#!/usr/bin/env bash
# A real scanner against tcpterm: nmap's SYN scan of ports 1-100 must find
# exactly the default config's listeners open (7 echo, 9 discard, 13 daytime,
# 19 chargen, 80 http) and every other port closed: a SYN-ACK from a listener,
# a RST,ACK from a closed port (RFC 9293 §3.10.7.1), never silence.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

rc=0
cli timeout 60 nmap -n -Pn -sS -T4 --max-retries 2 -p 1-100 -oG "$TT_WORK/nmap.gnmap" "$TT_ADDR" \
  >"$TT_WORK/nmap.out" 2>&1 || rc=$?
cat "$TT_WORK/nmap.out"
assert_eq 0 "$rc" "nmap exit code"
line=$(grep 'Ports:' "$TT_WORK/nmap.gnmap") || fail "no Ports: line in nmap's grepable output"
open=$(grep -o '[0-9]*/open/' <<<"$line" | cut -d/ -f1 | sort -n | paste -sd, -)
assert_eq "7,9,13,19,80" "$open" "open ports"
# The 95 others are closed (answered by RST). nmap folds them into
# "Ignored State: closed (95)"; none may be filtered (no answer at all).
closed=$(( $(grep -o '[0-9]*/closed/' <<<"$line" | wc -l) + $(grep -o 'Ignored State: closed ([0-9]*)' <<<"$line" | grep -o '[0-9]*' || echo 0) ))
assert_eq 95 "$closed" "closed ports (RST)"
assert_no_grep 'filtered' "$TT_WORK/nmap.gnmap" "no filtered (unanswered) port"

expect_tcpterm_alive
stop_tcpterm
