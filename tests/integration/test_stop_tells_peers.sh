#!/usr/bin/env bash
# SIGTERM tells every peer (engine_shutdown.cpp): 20 idle echo connections,
# one upload into discard and 5 connections whose data sits unread (hold
# never accepts) must all be gone from the client's ESTABLISHED list within
# 2 s of the signal, their clients ended by the RST, and the exit summary
# counts them (TCPAbortOnShutdown, TCPAbortOnClose). Beside them, 2 HTTP
# connections the service closed (FIN_WAIT_2: their FIN is re-sent,
# TCPFinOnShutdown) and one in TIME_WAIT (dropped, TCPTimeWaitOnShutdown).
source "$(dirname "$0")/lib.sh"

IDLE=20
UNREAD=5
FINISHED=2
PEERS=$((IDLE + 1 + UNREAD))

in_state() {  # STATE: client connections to tcpterm now in it
  cli ss -tnH state "$1" dst "$TT_ADDR" | wc -l
}
established() { in_state established; }

# wait_for COUNT-TEST TIMEOUT_MS WHAT: polls established() every 20 ms until
# "$(established) COUNT-TEST" holds, e.g. "-eq 26"; fails after TIMEOUT_MS.
wait_for() {
  local deadline=$(( $(now_ms) + $2 )) n
  while n=$(established); ! (( n $1 )); do
    (( $(now_ms) < deadline )) || fail "$3: $n ESTABLISHED after $2 ms (want $1)"
    sleep 0.02
  done
}

# stop_case WHAT [tcpterm args]: the clients, SIGTERM, the checks.
stop_case() {
  local what=$1 pid pids=() holders=() t0 t_told t_exit deadline
  shift
  start_tcpterm --listen 7=echo --listen 9=discard --listen 8000=hold,backlog=16 \
    --listen 80=http "$@"
  # Finished: http closes after a Connection: close response. curl closes
  # too (tcpterm's side ends in TIME_WAIT); the holders keep their socket
  # open after EOF (CLOSE_WAIT here, FIN_WAIT_2 at tcpterm).
  cli curl -s -o /dev/null --max-time 5 -H 'Connection: close' "http://$TT_ADDR/" ||
    fail "$what: curl to http failed"
  for _ in $(seq "$FINISHED"); do
    cli bash -c "exec 3<>/dev/tcp/$TT_ADDR/80 && printf 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >&3 && cat <&3 >/dev/null && exec sleep 30" &
    holders+=($!)
  done
  # Each client is a process of its own, so that its exit shows it was told.
  for _ in $(seq "$IDLE"); do  # idle: reads until the connection ends
    cli nc -d "$TT_ADDR" 7 >/dev/null 2>&1 &
    pids+=($!)
  done
  cli nc "$TT_ADDR" 9 </dev/zero >/dev/null 2>&1 &  # an upload that never ends
  pids+=($!)
  for _ in $(seq "$UNREAD"); do  # bytes sent, never read by hold
    cli bash -c "exec 3<>/dev/tcp/$TT_ADDR/8000 && printf 'unread' >&3 && cat <&3" >/dev/null 2>&1 &
    pids+=($!)
  done
  wait_for "== PEERS" 5000 "$what: clients connected"
  deadline=$(( $(now_ms) + 5000 ))
  until (( $(in_state close-wait) == FINISHED )); do
    (( $(now_ms) < deadline )) || fail "$what: $(in_state close-wait) http holders in CLOSE_WAIT (want $FINISHED)"
    sleep 0.02
  done
  assert_eq "$PEERS" "$(established)" "$what: client connections ESTABLISHED before the stop"

  t0=$(now_ms)
  kill -TERM "$TT_PID"
  wait_for "== 0" 2000 "$what: connections left ESTABLISHED after SIGTERM"
  t_told=$(( $(now_ms) - t0 ))
  log "$what: all $PEERS peers out of ESTABLISHED $t_told ms after SIGTERM"

  # The clients end on their own: a RST or FIN reached each of them.
  deadline=$(( $(now_ms) + 2000 ))
  for pid in "${pids[@]}"; do
    while tt_alive "$pid"; do
      (( $(now_ms) < deadline )) || fail "$what: client $pid still running 2 s after SIGTERM"
      sleep 0.02
    done
  done
  log "$what: every client exited"
  cli ss -tan | grep -E "$TT_ADDR:(7|9|8000)\b" | grep -v TIME-WAIT && fail "$what: sockets left towards tcpterm" || true

  stop_tcpterm TERM  # already exiting: waits for it and checks exit code 0
  t_exit=$(( $(now_ms) - t0 ))
  log "$what: tcpterm exited $t_exit ms after SIGTERM"
  assert_eq $((IDLE + 1)) "$(tt_counter TCPAbortOnShutdown)" "$what: TCPAbortOnShutdown (idle echo and the upload)"
  assert_eq "$UNREAD" "$(tt_counter TCPAbortOnClose)" "$what: TCPAbortOnClose (data left unread in hold's accept queue)"
  assert_eq "$FINISHED" "$(tt_counter TCPFinOnShutdown)" "$what: TCPFinOnShutdown (http closed, FIN_WAIT_2)"
  assert_eq 1 "$(tt_counter TCPTimeWaitOnShutdown)" "$what: TCPTimeWaitOnShutdown (the curl)"
  assert_eq 0 "$(tt_counter CurrConnections)" "$what: CurrConnections after the stop"
  kill "${holders[@]}" 2>/dev/null || true
}

topo_up
stop_case "one worker"
# Two workers on a two-queue port (as test_workers.sh): each tells its own peers.
TT_EAL="--lcores=0@0,1@0,2@1 --no-huge -m 512 --no-pci --vdev=net_af_packet0,iface=tt-app0,qpairs=2"
stop_case "two workers" --workers 2
