#!/usr/bin/env bash
# SYN flood benchmark: tcpgen (app/tcpgen) floods a server with SYNs from
# spoofed sources in 198.18.128.0/17 while a population of legitimate
# HTTP/1.1 clients (198.18.0.2, the project's own TCP engine) measures what
# the server still does for them. Figures, not pass/fail. Prints a table and
# writes bench/results/syn_flood.json.
#
# Cases, one after the other (never two at once; 2-core machine):
#   memif-arp1024  tcpterm <-> tcpgen over net_memif, flood unpaced ("max").
#                  tcpterm is 198.18.0.1/16, so every spoofed source is on-link
#                  and tcpterm ARPs for it (tcpgen answers for the whole /17);
#                  tcpterm's default ARP table (1024 entries) fills, and
#                  SYN-ACKs to sources it cannot hold are dropped before the wire.
#   memif-arp64k   the same with --arp.entries 65536: every SYN-ACK goes out.
#   memif-paced    as memif-arp64k, flood paced at PACED_PCT % of the rate
#                  memif-arp64k reached (the server not saturated).
#   vhost-max      as memif-arp64k, but tcpterm drives DPDK's virtio PMD:
#                  net_virtio_user in tcpterm, net_vhost in tcpgen, joined by
#                  a vhost-user socket (tcpgen owns it, so it starts first;
#                  tcpterm's TCP checksums go out as virtio offload and the
#                  vhost side completes them).
#   vhost-paced    as vhost-max, flood paced at PACED_PCT % of vhost-max's rate.
#   afp-cal        af_packet on a veth pair in namespaces tg-app/tg-cli: a short
#                  unpaced run against tcpterm to find the rate the path takes
#                  (only when AFP_RATE=auto); the side-by-side rate is AFP_PCT %
#                  of it, low enough that tcpgen can offer it to Linux too (the
#                  kernel's veth/RPS work slows tcpgen's sending there).
#   afp-tcpterm    af_packet, tcpterm, flood paced at AFP_RATE.
#   afp-linux-sc1  af_packet client against the Linux kernel (nginx-light in
#                  tg-app), net.ipv4.tcp_syncookies=1, same rates.
#   afp-linux-sc2  the same with tcp_syncookies=2 (cookies always).
#   afp-lockout    tcpterm 198.18.0.1/16 on the veth (spoofed prefix on-link,
#                  default ARP table): 3 s of flood at FLOOD_RATE_LOCKOUT
#                  (20000) pps with clients, then, flood over, clients from an
#                  address tcpterm has not seen yet (198.18.0.3). Shows whether
#                  a flood locks new on-link neighbours out.
# On the veth, the spoofed prefix is routed via 198.18.0.2 (tcpgen) on both
# servers (tcpterm --gateway, a kernel route): one neighbour entry, not one
# per spoofed source. That keeps the kernel's neighbour table, which all
# network namespaces share, out of the flood.
#
# CPU placement: tcpgen on core 0 (one lcore), tcpterm's worker on core 1
# (--lcores=0@0,1@1; its main thread only sleeps), nginx pinned to core 1
# with the veth's receive processing steered there too (RPS), so both
# servers get core 1.
#
# Environment:
#   DURATION=8            seconds of flood + clients per case
#   CLIENTS_RATE=200      legitimate connections per second
#   AFP_RATE=auto         af_packet flood rate in pps, or auto (calibrate)
#   AFP_PCT=60            with AFP_RATE=auto: % of the calibrated rate
#   PACED_PCT=50          memif-paced rate, % of memif-arp64k's
#   VHOST_QUEUE_SIZE=256  ring size of tcpterm's virtio_user port (up to 1024)
#   CASES="memif-arp1024 memif-arp64k memif-paced vhost-max vhost-paced afp-tcpterm afp-linux-sc1 afp-linux-sc2 afp-lockout"
#   FLOOD_RATE_LOCKOUT=20000
#   BUILD=build           build dir; SKIP_BUILD=1 uses the binaries as they are
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${DURATION:-8}
CLIENTS_RATE=${CLIENTS_RATE:-200}
AFP_RATE=${AFP_RATE:-auto}
PACED_PCT=${PACED_PCT:-50}
VHOST_QUEUE_SIZE=${VHOST_QUEUE_SIZE:-256}   # virtio_user ring size (256: the PMD default)
AFP_PCT=${AFP_PCT:-60}
CASES=${CASES:-memif-arp1024 memif-arp64k memif-paced vhost-max vhost-paced afp-tcpterm afp-linux-sc1 afp-linux-sc2 afp-lockout}
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
TCPTERM="$BUILD/app/tcpterm"
TCPGEN="$BUILD/app/tcpgen/tcpgen"
APP_NS=tg-app
CLI_NS=tg-cli
APP_IF=tg-app0
CLI_IF=tg-cli0
PFX="tg-flood-$$"
SOCK="/tmp/$PFX.memif.sock"
VHOST_SOCK="/tmp/$PFX.vhost.sock"
OUT_DIR="$ROOT/bench/results"
OUT_JSON="$OUT_DIR/syn_flood.json"
FLOOD_PREFIX=198.18.128.0/17
PY=/usr/bin/python3

if ((EUID != 0)); then echo "syn_flood.sh: must run as root" >&2; exit 1; fi

TMP=$(mktemp -d /tmp/tg-flood.XXXXXX)
chmod 755 "$TMP"   # nginx workers (www-data) read $TMP/www
SERVER_PID=""
GEN_PID=""

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

stop_pid() {  # stop_pid PID SIGNAL: signal, wait up to 10 s, then KILL
  local pid=$1 sig=$2
  [[ -n "$pid" ]] || return 0
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

topology_down() {
  local ns
  for ns in "$APP_NS" "$CLI_NS"; do
    ns_exists "$ns" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.3
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

cleanup() {
  set +e
  # tcpgen first only when it is not polling (--hold-after): see stop_pair.
  stop_pid "$SERVER_PID" INT
  stop_pid "$GEN_PID" INT
  topology_down
  rm -rf "/var/run/dpdk/$PFX-srv" "/var/run/dpdk/$PFX-gen" "$SOCK" "$VHOST_SOCK" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A sleep that forks nothing: read with a timeout on a pipe we also hold
# open for writing (so it never sees EOF). Keeps the harness from disturbing
# the measured loops while it waits.
exec {SLEEP_FD}<> <(:)
qsleep() { read -r -t "$1" -u "$SLEEP_FD" || true; }

RSS_KB=0
rss_kb() {  # rss_kb PID: sets RSS_KB from /proc (builtins only)
  local k v u
  RSS_KB=0
  [[ -r "/proc/$1/status" ]] || return 0
  while read -r k v u; do
    if [[ $k == VmRSS: ]]; then RSS_KB=$v; return 0; fi
  done <"/proc/$1/status"
}

file_has() { [[ -f "$1" && "$(<"$1")" == *"$2"* ]]; }

wait_for_line() {  # wait_for_line FILE TEXT PID SECONDS
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    file_has "$1" "$2" && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

topology_up() {
  topology_down
  ip netns add "$APP_NS"
  ip netns add "$CLI_NS"
  for ns in "$APP_NS" "$CLI_NS"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n "$APP_NS" link add "$APP_IF" type veth peer name "$CLI_IF" netns "$CLI_NS"
  # Both ends are opened by af_packet (or Linux on the app side): GRO off so
  # the PMDs see wire frames, TX checksum offload off so Linux's segments
  # carry full checksums. No kernel address on the tcpgen end.
  ip netns exec "$APP_NS" ethtool -K "$APP_IF" gro off tx off >/dev/null 2>&1 || true
  ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" gro off tx off >/dev/null 2>&1 || true
  ip -n "$APP_NS" link set "$APP_IF" up
  ip -n "$CLI_NS" link set "$CLI_IF" up
}

# --- one case --------------------------------------------------------------
# run_case NAME KIND TCPGEN_ARGS... ; KIND: memif | vhost | afp-tcpterm | afp-linux
# Server arguments come from SERVER_EXTRA (array). Results land in $TMP/NAME.*
SERVER_EXTRA=()

start_tcpterm() {  # start_tcpterm NAME memif|vhost|afp|afp-onlink
  local name=$1 kind=$2
  if [[ $kind == vhost ]]; then
    # --no-huge memory is a memfd, which virtio_user shares with the vhost
    # side (no hugepages, no --single-file-segments needed).
    "$TCPTERM" --eal "--lcores=0@0,1@1 --no-huge -m 512 --no-pci --no-shconf --file-prefix $PFX-srv --vdev=net_virtio_user0,path=$VHOST_SOCK,queues=1,queue_size=$VHOST_QUEUE_SIZE" \
      --address 198.18.0.1/16 --listen 80=http "${SERVER_EXTRA[@]}" >"$TMP/$name.server.log" 2>&1 &
  elif [[ $kind == memif ]]; then
    rm -f "$SOCK"
    "$TCPTERM" --eal "--lcores=0@0,1@1 --no-huge -m 512 --no-pci --file-prefix $PFX-srv --vdev=net_memif0,role=server,socket=$SOCK,socket-abstract=no" \
      --address 198.18.0.1/16 --listen 80=http "${SERVER_EXTRA[@]}" >"$TMP/$name.server.log" 2>&1 &
  else
    local addr=(--address 198.18.0.1/24 --gateway 198.18.0.2)
    [[ $kind == afp-onlink ]] && addr=(--address 198.18.0.1/16)
    ip netns exec "$APP_NS" "$TCPTERM" --eal "--lcores=0@0,1@1 --no-huge -m 512 --no-pci --file-prefix $PFX-srv --vdev=net_af_packet0,iface=$APP_IF" \
      "${addr[@]}" --listen 80=http "${SERVER_EXTRA[@]}" >"$TMP/$name.server.log" 2>&1 &
  fi
  SERVER_PID=$!
  wait_for_line "$TMP/$name.server.log" "tcpterm: ready" "$SERVER_PID" 15 ||
    { echo "tcpterm did not start:"; cat "$TMP/$name.server.log"; exit 1; }
}

start_nginx() {  # start_nginx NAME SYNCOOKIES
  local name=$1 sc=$2
  ip -n "$APP_NS" addr add 198.18.0.1/24 dev "$APP_IF"
  ip -n "$APP_NS" route add "$FLOOD_PREFIX" via 198.18.0.2 dev "$APP_IF"
  ip netns exec "$APP_NS" sysctl -qw net.ipv4.tcp_syncookies="$sc"
  # The same SYN queue bound as tcpterm's default (syn_backlog=1024).
  ip netns exec "$APP_NS" sysctl -qw net.ipv4.tcp_max_syn_backlog=1024
  # The veth's receive processing (the kernel TCP stack) on core 1, with nginx.
  ip netns exec "$APP_NS" sh -c "echo 2 > /sys/class/net/$APP_IF/queues/rx-0/rps_cpus" 2>/dev/null || true
  mkdir -p "$TMP/nginx" "$TMP/www"
  head -c 612 /dev/zero | tr '\0' x >"$TMP/www/index.html"   # tcpterm's default body size
  cat >"$TMP/nginx/nginx.conf" <<EOC
daemon off;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    server_tokens off;
    keepalive_timeout 65;
    default_type text/plain;
    client_body_temp_path $TMP/nginx/client_body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 198.18.0.1:80 backlog=1024;
        root $TMP/www;
        index index.html;
    }
}
EOC
  ip netns exec "$APP_NS" taskset -c 1 nginx -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" \
    >"$TMP/$name.server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do
    ip netns exec "$APP_NS" ss -ltn 2>/dev/null | grep -q '198.18.0.1:80' && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "nginx died:"; cat "$TMP/$name.server.log" "$TMP/nginx/error.log"; exit 1; }
    sleep 0.1
  done
  ip netns exec "$APP_NS" sysctl net.ipv4.tcp_syncookies net.ipv4.tcp_max_syn_backlog net.core.somaxconn \
    net.ipv4.tcp_synack_retries >"$TMP/$name.sysctl"
}

stop_nginx() {
  stop_pid "$SERVER_PID" QUIT
  SERVER_PID=""
  ip -n "$APP_NS" route del "$FLOOD_PREFIX" 2>/dev/null || true
  ip -n "$APP_NS" addr del 198.18.0.1/24 dev "$APP_IF" 2>/dev/null || true
  ip -n "$APP_NS" neigh flush dev "$APP_IF" 2>/dev/null || true
}

linux_counters() {  # linux_counters FILE: the namespace's TCP counters and socket memory
  ip netns exec "$APP_NS" cat /proc/net/snmp /proc/net/netstat /proc/net/sockstat >"$1"
}

# other_load NAME: what else keeps the CPUs busy just before a case (this is
# a shared 2-core machine: a compile next door halves the figures).
other_load() {
  {
    cat /proc/loadavg
    top -b -n 2 -d 0.5 -w 200 2>/dev/null | awk '/^top -/{n++} n==2 && $1 ~ /^[0-9]+$/ && $9+0 >= 5 {print $9 "% " $12}'
  } >"$TMP/$1.load"
}

run_case() {
  local name=$1 kind=$2
  shift 2
  echo "=== $name: ${SERVER_EXTRA[*]:-} | tcpgen $*"
  other_load "$name"
  [[ $(wc -l <"$TMP/$name.load") -le 1 ]] || { echo "  (busy before the case:"; sed -n '2,$p' "$TMP/$name.load" | sed 's/^/    /'; echo "  )"; }
  local gen_eal ns_exec=()
  case $kind in
  memif)
    start_tcpterm "$name" memif
    gen_eal="--lcores=0@0 --no-huge -m 512 --no-pci --file-prefix $PFX-gen --vdev=net_memif0,role=client,socket=$SOCK,socket-abstract=no"
    ;;
  vhost)
    # tcpgen's net_vhost is the vhost-user server: it starts below, and
    # tcpterm after it (tcpgen waits up to 10 s for tcpterm's ARP reply).
    rm -f "$VHOST_SOCK"
    gen_eal="--lcores=0@0 --no-huge -m 512 --no-pci --no-shconf --file-prefix $PFX-gen --vdev=net_vhost0,iface=$VHOST_SOCK,queues=1"
    ;;
  afp-tcpterm)
    start_tcpterm "$name" afp
    gen_eal="--lcores=0@0 --no-huge -m 512 --no-pci --file-prefix $PFX-gen --vdev=net_af_packet0,iface=$CLI_IF"
    ns_exec=(ip netns exec "$CLI_NS")
    ;;
  afp-linux)
    start_nginx "$name" "${LINUX_SYNCOOKIES:?}"
    gen_eal="--lcores=0@0 --no-huge -m 512 --no-pci --file-prefix $PFX-gen --vdev=net_af_packet0,iface=$CLI_IF"
    ns_exec=(ip netns exec "$CLI_NS")
    linux_counters "$TMP/$name.linux.before"
    ;;
  esac
  rss_kb "$SERVER_PID"
  local rss_before=$RSS_KB rss_samples="$RSS_KB"
  "${ns_exec[@]}" "$TCPGEN" --eal "$gen_eal" --duration "$DURATION" --clients-rate "$CLIENTS_RATE" \
    --hold-after -q --json "$TMP/$name.tcpgen.json" "$@" >"$TMP/$name.tcpgen.log" 2>&1 &
  GEN_PID=$!
  if [[ $kind == vhost ]]; then
    for _ in $(seq 100); do [[ -S "$VHOST_SOCK" ]] && break; sleep 0.1; done
    start_tcpterm "$name" vhost
    rss_kb "$SERVER_PID"   # tcpterm was not running at the sample above
    rss_before=$RSS_KB rss_samples="$RSS_KB"
  fi
  # Wait quietly for tcpgen to finish (it then holds the port without
  # polling), sampling the server's RSS once a second.
  local t
  for ((t = 0; t < DURATION + 30; t++)); do
    qsleep 1
    rss_kb "$SERVER_PID"
    rss_samples+=" $RSS_KB"
    file_has "$TMP/$name.tcpgen.log" "holding the port" && break
    kill -0 "$GEN_PID" 2>/dev/null || break
  done
  rss_kb "$SERVER_PID"
  local rss_after=$RSS_KB
  echo "$rss_before $rss_after $rss_samples" >"$TMP/$name.rss"
  if ! file_has "$TMP/$name.tcpgen.log" "holding the port"; then
    echo "tcpgen failed:"; cat "$TMP/$name.tcpgen.log"
    exit 1
  fi
  # Stop order (virtual-nics.md: memif crashes a side that is forwarding
  # when its peer goes): tcpgen is no longer polling; the server stops
  # polling at SIGINT, then closes its port; then tcpgen goes.
  if [[ $kind == afp-linux ]]; then
    linux_counters "$TMP/$name.linux.after"
    stop_nginx
  else
    kill -INT "$SERVER_PID"
    local rc=0
    wait "$SERVER_PID" || rc=$?
    echo "$rc" >"$TMP/$name.server.rc"
    ((rc == 0)) || echo "!!! tcpterm exited with $rc"
    SERVER_PID=""
  fi
  stop_pid "$GEN_PID" INT
  GEN_PID=""
  rm -rf "/var/run/dpdk/$PFX-srv" "/var/run/dpdk/$PFX-gen" "$SOCK" "$VHOST_SOCK"
  grep -v '^EAL\|^TELEMETRY\|^VHOST_CONFIG\|csum will be done' "$TMP/$name.tcpgen.log" | sed 's/^/  /'
  echo "$kind" >"$TMP/$name.kind"
  echo "$*" >"$TMP/$name.args"
  echo "${SERVER_EXTRA[*]:-}" >"$TMP/$name.server_args"
}

# run_lockout NAME: tcpterm with the spoofed prefix on-link (198.18.0.1/16,
# default ARP table) on the veth. Phase 1: a short flood (FLOOD_RATE_LOCKOUT
# pps, 3 s) with clients from 198.18.0.2; phase 2, flood over: clients from
# an address tcpterm has not seen (198.18.0.3). tcpterm keeps serving.
run_lockout() {
  local name=$1 gen_eal="--lcores=0@0 --no-huge -m 512 --no-pci --file-prefix $PFX-gen --vdev=net_af_packet0,iface=$CLI_IF"
  echo "=== $name: tcpterm 198.18.0.1/16 (spoofed prefix on-link), flood then a new client"
  SERVER_EXTRA=()
  start_tcpterm "$name" afp-onlink
  rss_kb "$SERVER_PID"
  local rss_before=$RSS_KB
  ip netns exec "$CLI_NS" "$TCPGEN" --eal "$gen_eal" --duration 3 --clients-rate "$CLIENTS_RATE" -q \
    --client-address 198.18.0.2/24 --flood-rate "${FLOOD_RATE_LOCKOUT:-20000}" \
    --json "$TMP/$name.phase1.json" >"$TMP/$name.phase1.log" 2>&1 || { cat "$TMP/$name.phase1.log"; exit 1; }
  ip netns exec "$CLI_NS" "$TCPGEN" --eal "$gen_eal" --duration 3 --clients-rate "$CLIENTS_RATE" -q \
    --client-address 198.18.0.3/24 --flood-rate 0 --timeout-ms 2500 \
    --json "$TMP/$name.tcpgen.json" >"$TMP/$name.tcpgen.log" 2>&1 || { cat "$TMP/$name.tcpgen.log"; exit 1; }
  rss_kb "$SERVER_PID"
  echo "$rss_before $RSS_KB" >"$TMP/$name.rss"
  kill -INT "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  echo "$rc" >"$TMP/$name.server.rc"
  SERVER_PID=""
  rm -rf "/var/run/dpdk/$PFX-srv" "/var/run/dpdk/$PFX-gen"
  for p in phase1 tcpgen; do
    echo "  -- ${p/tcpgen/phase 2}:"
    grep -E 'flood:|clients:|handshake us' "$TMP/$name.$p.log" | sed 's/^/  /'
  done
  grep -E '^(ArpTableFull|ArpHeldDropped|SyncookiesSent) ' "$TMP/$name.server.log" | sed 's/^/  tcpterm /'
  echo afp-onlink >"$TMP/$name.kind"
  echo "phase 1: --client-address 198.18.0.2/24 --flood-rate ${FLOOD_RATE_LOCKOUT:-20000} --duration 3; phase 2: --client-address 198.18.0.3/24 --flood-rate 0 --duration 3" >"$TMP/$name.args"
  echo "--address 198.18.0.1/16 (default arp.entries 1024)" >"$TMP/$name.server_args"
}

reached_rate() {  # reached_rate NAME: the flood rate tcpgen reached (pps, integer)
  "$PY" -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["flood"]["rate_pps"]))' "$TMP/$1.tcpgen.json"
}

has_case() { [[ " $CASES " == *" $1 "* ]]; }

# --- main ------------------------------------------------------------------
"$ROOT/scripts/deps.sh"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  ninja -C "$BUILD" >/dev/null
fi
[[ -x "$TCPGEN" && -x "$TCPTERM" ]] || { echo "missing $TCPGEN or $TCPTERM (build first)"; exit 1; }

# Which tcpterm was measured (the work tree may hold uncommitted changes).
{
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "uncommitted_files_in_lib_app $(git -C "$ROOT" status --porcelain -- lib app 2>/dev/null | wc -l)"
  echo "tcpterm_sha256 $(sha256sum "$TCPTERM" | cut -c1-16)"
} >"$TMP/build.info"

ran=()
if has_case memif-arp1024; then
  SERVER_EXTRA=()
  run_case memif-arp1024 memif --flood-rate max
  ran+=(memif-arp1024)
fi
# max_and_paced KIND MAX_CASE PACED_CASE: the unpaced case (tcpterm with a
# 64k ARP table), then, if asked for, the same paced at PACED_PCT % of the
# rate the unpaced one reached.
max_and_paced() {
  local kind=$1 max=$2 paced=$3 rate
  has_case "$max" || has_case "$paced" || return 0
  SERVER_EXTRA=(--arp.entries 65536)
  run_case "$max" "$kind" --flood-rate max
  ran+=("$max")
  has_case "$paced" || return 0
  rate=$(( $(reached_rate "$max") * PACED_PCT / 100 / 1000 * 1000 ))
  ((rate > 0)) || rate=1000
  run_case "$paced" "$kind" --flood-rate "$rate"
  ran+=("$paced")
}
max_and_paced memif memif-arp64k memif-paced
max_and_paced vhost vhost-max vhost-paced

if has_case afp-tcpterm || has_case afp-linux-sc1 || has_case afp-linux-sc2; then
  topology_up
  SERVER_EXTRA=()
  if [[ $AFP_RATE == auto ]]; then
    DURATION_SAVED=$DURATION
    DURATION=4
    run_case afp-cal afp-tcpterm --flood-rate max
    DURATION=$DURATION_SAVED
    ran+=(afp-cal)
    AFP_RATE=$(( $(reached_rate afp-cal) * AFP_PCT / 100 / 1000 * 1000 ))
    ((AFP_RATE > 0)) || AFP_RATE=1000
    echo "af_packet flood rate for the side-by-side runs: $AFP_RATE pps"
  fi
  if has_case afp-tcpterm; then
    run_case afp-tcpterm afp-tcpterm --flood-rate "$AFP_RATE"
    ran+=(afp-tcpterm)
  fi
  for sc in 1 2; do
    has_case "afp-linux-sc$sc" || continue
    LINUX_SYNCOOKIES=$sc run_case "afp-linux-sc$sc" afp-linux --flood-rate "$AFP_RATE"
    ran+=("afp-linux-sc$sc")
  done
fi
if has_case afp-lockout; then
  ns_exists "$APP_NS" || topology_up
  run_lockout afp-lockout
  ran+=(afp-lockout)
fi
topology_down

mkdir -p "$OUT_DIR"
"$PY" "$ROOT/bench/syn_flood_report.py" "$TMP" "$OUT_JSON" "$DURATION" "$CLIENTS_RATE" "${ran[@]}"
