#!/usr/bin/env bash
# The hoarding peer (issue: hostile peers, "memory that cannot be hoarded"):
# one source address holds 40 connections to a listener that never reads and
# sends them 20k segments/s: 1-byte in-order segments, full-sized ones and
# 1-byte segments beyond a hole (pkt_hoard.py), while curl and ping run from
# the same namespace. The pool is small (6143 mbufs; 12287 shared by two
# workers and 80 connections in the second run) so that the memory marks are reached. Before
# the memory rules this pinned 65,504 of 65,535 mbufs within 5 s and curl and
# ping failed for good; Linux closes the window after ~106 KB and serves
# everyone. Passes when every curl and ping succeeds during the flood, on one
# worker and on two, the port never failed an RX refill (RxNoMbuf 0), the
# hoarder's RST gets in, and the counters show coalescing, pressure and the
# largest holders reset. The same flood against the Linux kernel (a listener
# that never accepts, an HTTP server) runs last, as the reference.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
export TT_ROOT_NETNS=/proc/$$/ns/net
export HOARD_PORT=8000 HOARD_CONNS=40 HOARD_SECONDS=${HOARD_SECONDS:-8}

# flood LABEL: curl and ping loops beside pkt_hoard.py; leaves
# $TT_WORK/LABEL.{curl,ping} and sets hoard_rc.
flood() {
  local label=$1
  (
    end=$((SECONDS + HOARD_SECONDS + 6))
    while ((SECONDS < end)); do
      if cli curl -s -o /dev/null -m 2 "http://$TT_ADDR/"; then echo ok; else echo bad; fi
      sleep 0.2
    done
  ) >"$TT_WORK/$label.curl" 2>&1 &
  local curl_pid=$!
  cli ping -i 0.2 -W 1 -c $(( (HOARD_SECONDS + 6) * 5 )) "$TT_ADDR" >"$TT_WORK/$label.ping" 2>&1 &
  local ping_pid=$!
  hoard_rc=0
  ( pkt pkt_hoard.py ) || hoard_rc=$?
  wait "$curl_pid" || true
  wait "$ping_pid" || true
  log "$label: curl during the flood: $(grep -c '^ok$' "$TT_WORK/$label.curl" || true) ok," \
      "$(grep -c '^bad$' "$TT_WORK/$label.curl" || true) failed; ping:" \
      "$(grep 'packets transmitted' "$TT_WORK/$label.ping" || echo 'no summary')"
}

# expect_served LABEL: every curl and ping of that run answered.
expect_served() {
  assert_gt "$(grep -c '^ok$' "$TT_WORK/$1.curl" || true)" 20 "$1: curl requests completed during the flood"
  assert_eq 0 "$(grep -c '^bad$' "$TT_WORK/$1.curl" || true)" "$1: curl requests that failed during the flood"
  assert_grep ' 0% packet loss' "$TT_WORK/$1.ping" "$1: every ping answered during the flood"
}

topo_up
for workers in 1 2; do
  if ((workers == 1)); then
    # The derived hard mark (6143 less the RX/TX rings and a reserve: 3071)
    # is about where this flood levels off once pressure stops the windows
    # (2,300-3,050 mbufs seen; one CI run levelled at 2,372 with the hard
    # mark at 2,400 and reset nobody): set the marks well below it, so that
    # the hard mark is crossed every run, not one run in two.
    start_tcpterm --mbufs 6143 --tcp.mem_high 2100 --tcp.mem_pressure 1700 --tcp.mem_low 1200 \
      --listen 80=http --listen 8000=hold,backlog=256
  else
    TT_EAL="--lcores=0@0,1@0,2@1 --no-huge -m 512 --no-pci --vdev=net_af_packet0,iface=tt-app0,qpairs=2"
    start_tcpterm --workers 2 --mbufs 12287 --listen 80=http --listen 8000=hold,backlog=256
    export HOARD_CONNS=80  # the flood is shared by two workers
  fi
  flood "tcpterm-$workers"
  expect_tcpterm_alive
  stop_tcpterm
  expect_served "tcpterm-$workers"
  assert_eq 0 "$(tt_counter RxNoMbuf)" "RxNoMbuf (failed RX refills)"
  assert_gt "$(tt_counter TCPRcvCoalesce)" 1000 "TCPRcvCoalesce (1-byte segments merged)"
  assert_gt "$(tt_counter TCPMemoryPressures)" 0 "TCPMemoryPressures (the worker reached tcp.mem_pressure)"
  # One worker takes the whole flood: past the hard mark, the largest holders
  # go. Two share it: whether either passes its hard mark after pressure has
  # stopped the windows depends on how the flows spread (both are right).
  ((workers == 2)) ||
    assert_gt "$(tt_counter TCPAbortOnMemory)" 0 "TCPAbortOnMemory (largest holders reset at tcp.mem_high)"
  assert_eq 0 "$(tt_counter TCPMemoryMbufs)" "TCPMemoryMbufs after the stop (every queue freed)"
  ((hoard_rc == 0)) || fail "pkt_hoard.py: checks failed, see FAIL lines above"
done

# The reference: the same flood at the Linux kernel.
ip -n "$TT_APP_NS" addr add "$TT_ADDR/24" dev tt-app0
ip netns exec "$TT_APP_NS" ethtool -K tt-app0 tx off >/dev/null
ip -n "$TT_CLI_NS" neigh flush dev tt-cli0
ip netns exec "$TT_APP_NS" "$TT_PY" -u "$TT_ROOT/tests/integration/linux_servers.py" >"$TT_WORK/linux.log" 2>&1 &
linux_pid=$!
for _ in $(seq 50); do grep -q ready "$TT_WORK/linux.log" && break; sleep 0.1; done
TARGET=linux flood linux
kill "$linux_pid" 2>/dev/null || true
wait "$linux_pid" 2>/dev/null || true
((hoard_rc == 0)) || fail "pkt_hoard.py against Linux (the reference) failed: see above"
