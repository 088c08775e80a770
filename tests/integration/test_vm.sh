#!/usr/bin/env bash
# tcpterm in a QEMU virtual machine, on DPDK's virtio PMD driving a real
# virtio-net-pci device (bound to uio_pci_generic in the guest), reached by
# Linux clients in a network namespace through the device's tap backend:
# ping, curl, a 20 MB echo (sha256 checked), wrk keep-alive and
# "Connection: close", an hping3 SYN flood with curl still succeeding.
# Prints the boot time and the figures; tcpterm's exit counters come back
# over the serial console. Then the same (shorter) with multi-queue: a
# 2-vCPU guest, virtio-net mq=on with 2 queue pairs on a multi-queue tap,
# tcpterm with 2 workers; the device offers no RSS, so tcpterm steers flows in
# software, and both workers must have accepted connections. Last, the same
# with the device's RSS (rss=on, no flood): tcpterm programs the key and
# RETA, and no segment may be handed from one worker to another.
#
# The guest is built from the host's packages by scripts/vm/build_guest.sh
# and booted by scripts/vm/run_guest.sh (VM_ACCEL=auto). On the project's CI
# machines /dev/kvm is the kvm_pvm module, which runs the stock Debian guest
# kernel about 100x slower than native (a PVM guest kernel is needed), so the
# guest runs under TCG there: run_guest.sh says which accelerator it took.
# SKIP only where /dev/kvm is missing.
# test-timeout: 300
source "$(dirname "$0")/lib.sh"

[[ -e /dev/kvm ]] || skip "no /dev/kvm on this machine"
[[ -x "$TCPTERM" ]] || fail "tcpterm binary not found at $TCPTERM (build first)"

VM_NS=vm-it-$$
VM_TAP=vm-it$$
VM_CONSOLE="$TT_WORK/console.log"
VM_PID=""
VM_IN=""

vm_exit() {
  local rc=$?
  set +e
  if [[ -n "$VM_PID" ]]; then
    kill -TERM "$VM_PID" 2>/dev/null      # run_guest.sh kills QEMU, removes the netns
    for _ in $(seq 50); do kill -0 "$VM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$VM_PID" 2>/dev/null
    wait "$VM_PID" 2>/dev/null
  fi
  ip netns del "$VM_NS" 2>/dev/null
  ((rc == 0)) || { echo "--- guest console (last lines):"; tr -d '\r' < "$VM_CONSOLE" 2>/dev/null | tail -n 30; }
  (exit "$rc")
  tt_cleanup
}
trap vm_exit EXIT

vcli() { ip netns exec "$VM_NS" "$@"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# 1. the guest
TCPTERM="$TCPTERM" "$TT_ROOT/scripts/vm/build_guest.sh" "$TT_ROOT" "$TT_WORK/guest" ||
  fail "build_guest.sh failed"

# boot QUEUES: boots the guest (QUEUES queue pairs, as many workers and
# vCPUs); its console input is a fifo we keep open ("stop" at the end)
boot() {
  local q=$1
  # a file of its own per boot, there before QEMU starts: the wait below must
  # never see an earlier boot's "ready"
  VM_CONSOLE="$TT_WORK/console-q$q${rss:+-rss}.log"
  : > "$VM_CONSOLE"
  rm -f "$TT_WORK/console.in"; mkfifo "$TT_WORK/console.in"
  exec {VM_IN}<>"$TT_WORK/console.in"
  t0=$(date +%s%N)
  VM_QUEUES=$q VM_RSS=${rss:-0} VM_NS=$VM_NS VM_TAP=$VM_TAP "$TT_ROOT/scripts/vm/run_guest.sh" "$TT_WORK/guest" \
    <&"$VM_IN" >"$VM_CONSOLE" 2>&1 &
  VM_PID=$!
  until grep -q 'tcpterm: ready' "$VM_CONSOLE"; do
    kill -0 "$VM_PID" 2>/dev/null || fail "the VM stopped before tcpterm was ready"
    grep -q 'TT-EXIT' "$VM_CONSOLE" && fail "tcpterm exited in the guest before it was ready"
    (( $(ms_since "$t0") < 150000 )) || fail "tcpterm not ready in the guest within 150 s"
    sleep 0.2
  done
  boot_ms=$(ms_since "$t0")
  accel=$(sed -n 's/^run_guest: accel=\([a-z]*\).*/\1/p' "$VM_CONSOLE")
  kernel_s=$(tr -d '\r' < "$VM_CONSOLE" | sed -n 's/^TT-BOOT uptime \([0-9.]*\) s$/\1/p')
  log "guest up ($q queue(s), $q vCPU(s)): accel=$accel; QEMU start to 'tcpterm: ready' ${boot_ms} ms (guest kernel to /init ${kernel_s} s)"
  assert_grep 'Probe PCI driver: net_virtio' "$VM_CONSOLE" "DPDK's virtio PMD probed the virtio-net-pci device"
  assert_grep 'port 0 \(net_virtio\)' "$VM_CONSOLE" "tcpterm serves on net_virtio"
}

# clients SECONDS [noflood]: ping, curl, the 20 MB echo, wrk for SECONDS per
# mode, a SYN flood with curls during it (unless noflood)
clients() {
  local secs=$1 flood=${2:-flood} mode hdr rps errs code t ms ok worst sent HPID
  vcli ping -c 5 -i 0.2 -W 2 "$TT_ADDR" > "$TT_WORK/ping.txt" || { cat "$TT_WORK/ping.txt"; fail "ping"; }
  log "ping: $(tail -n 1 "$TT_WORK/ping.txt")"

  code=$(vcli curl -s -o "$TT_WORK/index" -w '%{http_code}' --max-time 10 "http://$TT_ADDR/")
  assert_eq 200 "$code" "curl http://$TT_ADDR/ status"
  assert_eq 612 "$(stat -c %s "$TT_WORK/index")" "curl body bytes"

  [[ -s "$TT_WORK/echo.in" ]] || head -c 20000000 /dev/urandom > "$TT_WORK/echo.in"
  t=$(date +%s%N)
  vcli timeout 60 nc -N "$TT_ADDR" 7 < "$TT_WORK/echo.in" > "$TT_WORK/echo.out" || fail "nc echo failed"
  echo_ms=$(ms_since "$t")
  assert_eq "$(sha256sum < "$TT_WORK/echo.in")" "$(sha256sum < "$TT_WORK/echo.out")" "20 MB echo sha256"
  log "20 MB echo in $echo_ms ms ($(( 20000000 / 1000 / (echo_ms > 0 ? echo_ms : 1) )) MB/s each way)"

  if command -v wrk >/dev/null; then
    for mode in keep-alive close; do
      hdr=(); [[ $mode == close ]] && hdr=(-H 'Connection: close')
      vcli wrk -t2 -c10 -d"${secs}s" "${hdr[@]}" "http://$TT_ADDR/" > "$TT_WORK/wrk-$mode.txt" 2>&1 || fail "wrk $mode"
      rps=$(awk '/^Requests\/sec/ {print $2}' "$TT_WORK/wrk-$mode.txt")
      errs=$(grep -E 'Socket errors|Non-2xx' "$TT_WORK/wrk-$mode.txt" || true)
      [[ -z "$errs" ]] || { cat "$TT_WORK/wrk-$mode.txt"; fail "wrk $mode: $errs"; }
      log "wrk $mode: $rps requests/s (10 connections, $secs s), no errors"
    done
  else
    log "wrk not installed: wrk runs not done"
  fi

  [[ $flood == flood ]] || return 0
  vcli timeout 5 hping3 -S --flood -p 80 "$TT_ADDR" > "$TT_WORK/hping.txt" 2>&1 &
  HPID=$!
  sleep 1
  ok=0; worst=0
  for _ in 1 2 3 4 5; do
    t=$(vcli curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 15 "http://$TT_ADDR/" || true)
    [[ ${t%% *} == 200 ]] && ok=$((ok + 1))
    ms=$(awk -v s="${t#* }" 'BEGIN {printf "%d", s * 1000}')
    ((ms > worst)) && worst=$ms
    sleep 0.3
  done
  wait "$HPID" || true
  sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$TT_WORK/hping.txt")
  assert_eq 5 "$ok" "curls that succeeded during the SYN flood"
  log "SYN flood: hping3 sent ${sent:-?} SYNs in 5 s; 5/5 curls during it, the slowest ${worst} ms"
}

# stop: "stop" on the console; tcpterm prints its counters and exits 0, the
# guest powers off; TT_LOG becomes the console (tt_counter reads it)
stop() {
  echo stop >&"$VM_IN"
  for _ in $(seq 300); do grep -q 'TT-EXIT' "$VM_CONSOLE" && break; sleep 0.1; done
  assert_grep 'TT-EXIT 0' "$VM_CONSOLE" "tcpterm in the guest exited 0"
  tr -d '\r' < "$VM_CONSOLE" > "${VM_CONSOLE%.log}.txt"
  TT_LOG="${VM_CONSOLE%.log}.txt"
  for _ in $(seq 100); do kill -0 "$VM_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$VM_PID" || true
  VM_PID=""
  exec {VM_IN}>&-
  ip netns del "$VM_NS" 2>/dev/null || true
}

# both_workers_accepted NOTE: prints the two workers' lines of the exit
# summary; each must have accepted connections
both_workers_accepted() {
  local w line n
  for w in 0 1; do
    line=$(grep "^worker $w:" "$TT_LOG") || fail "no 'worker $w:' line in the exit summary"
    log "$line"
    n=$(sed -n 's/.* PassiveOpens \([0-9]*\).*/\1/p' <<< "$line")
    assert_gt "${n:-0}" 0 "connections accepted by worker $w$1"
  done
}

# 2. one queue, one worker
boot 1
clients 3
stop
syns=$(tt_counter SynsReceived)
cookies=$(tt_counter SyncookiesSent)
assert_gt "$syns" 1000 "SYNs tcpterm received in the guest"
log "guest counters: SynsReceived $syns SyncookiesSent $cookies"
summary="1 queue: accel=$accel boot ${boot_ms} ms, 20 MB echo ${echo_ms} ms"

# 3. multi-queue: 2 queue pairs, 2 workers, 2 vCPUs, software steering
boot 2
assert_grep 'flow steering in software' "$VM_CONSOLE" "2 workers steer flows in software (no RSS on the device)"
clients 2
stop
both_workers_accepted ""
log "guest counters: SynsReceived $(tt_counter SynsReceived) FlowHandoffsOut $(tt_counter FlowHandoffsOut)"
summary+="; 2 queues: boot ${boot_ms} ms, 20 MB echo ${echo_ms} ms"

# 4. the same device with RSS (rss=on: QEMU hashes in software and DPDK's
# virtio PMD programs the key and RETA tcpterm gives it): the NIC-side
# steering path of lib/net/port.cpp. Both directions of every flow must land
# on its owner: no hand-offs at all. No SYN flood here: with QEMU 7.2's
# software RSS a flood stalls the device's receive side for good (ping and
# new connections fail after it; README "Running tcpterm in a VM").
rss=1 boot 2
assert_grep 'flow steering by the NIC' "$VM_CONSOLE" "2 workers steered by the device's RSS (key and RETA programmed)"
clients 2 noflood
stop
both_workers_accepted " (RSS)"
assert_eq 0 "$(tt_counter FlowHandoffsOut)" "segments handed to another worker with RSS"
log "PASS: $summary; 2 queues with RSS: boot ${boot_ms} ms, 20 MB echo ${echo_ms} ms, no hand-offs"
