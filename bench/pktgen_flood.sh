#!/usr/bin/env bash
# SYN flood from Pktgen-DPDK (scripts/pktgen/syn_flood.pkt) at a few rates
# while tcpgen's legitimate HTTP clients measure what tcpterm still does for
# them; beside each pktgen rate, tcpgen's own flood at the same rate. Figures,
# not pass/fail: prints a table and writes bench/results/pktgen_flood.json.
#
# Topology: tcpterm opens one end of a veth (namespace $APP_NS) with
# net_af_packet; pktgen and tcpgen both open the other end (namespace
# $CLI_NS, no kernel address) with net_af_packet, one packet socket each.
# tcpterm is 198.18.0.1/24 with its gateway 198.18.0.2 = tcpgen's client
# address, so every SYN-ACK to the spoofed prefix goes to tcpgen's MAC (one
# ARP entry); pktgen is told it is 198.18.0.3, so it does not answer ARP
# for tcpgen's address. (tcpterm has one port, and memif joins exactly two
# processes, so pktgen and tcpgen cannot share a memif.)
#
# CPU: tcpterm's worker on core 1; pktgen (main + one sending lcore) and
# tcpgen (one lcore) on core 0.
#
# Environment:
#   PKTGEN=/path/to/pktgen, or PKTGEN_SRC=<Pktgen-DPDK 23.03.0 tree or
#              tarball> to build it (scripts/pktgen/build.sh, cached in build-pktgen/)
#   RATES="20000 50000 100000"  flood rates, SYNs/s (pktgen's 'set 0 rate' is a
#              percentage of the port's link speed: af_packet reports 10 Gb/s,
#              so 1 % = 148,810 64-byte frames/s)
#   DURATION=8             seconds of clients per case
#   CLIENTS_RATE=200       legitimate connections per second
#   APP_NS=pg-app CLI_NS=pg-cli   namespace names
#   BUILD=build            build dir; SKIP_BUILD=1 uses the binaries as they are
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RATES=${RATES:-20000 50000 100000}
DURATION=${DURATION:-8}
CLIENTS_RATE=${CLIENTS_RATE:-200}
APP_NS=${APP_NS:-pg-app}
CLI_NS=${CLI_NS:-pg-cli}
APP_IF=pg-app0
CLI_IF=pg-cli0
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
TCPTERM="$BUILD/app/tcpterm"
TCPGEN="$BUILD/app/tcpgen/tcpgen"
PFX="pg-flood-$$"
OUT_JSON="$ROOT/bench/results/pktgen_flood.json"
LINK_PPS_PER_PCT=148810   # 1 % of 10 Gb/s in 64-byte frames (84 bytes on the wire)

if ((EUID != 0)); then echo "pktgen_flood.sh: must run as root" >&2; exit 1; fi
if [[ -z "${PKTGEN:-}" ]]; then
  [[ -n "${PKTGEN_SRC:-}" ]] || { echo "set PKTGEN=/path/to/pktgen or PKTGEN_SRC=<Pktgen-DPDK source> (scripts/pktgen/README.md)" >&2; exit 2; }
  PKTGEN=$("$ROOT/scripts/pktgen/build.sh" "$PKTGEN_SRC" "$ROOT/build-pktgen" | tail -n 1)
fi
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then ninja -C "$BUILD" >/dev/null; fi
[[ -x "$TCPTERM" && -x "$TCPGEN" && -x "$PKTGEN" ]] || { echo "missing tcpterm, tcpgen or pktgen" >&2; exit 1; }

TMP=$(mktemp -d /tmp/pg-flood.XXXXXX)
SERVER_PID="" PG_PID=""

stop_pid() {  # stop_pid PID SIGNAL: signal, wait up to 10 s, then KILL
  [[ -n "$1" ]] || return 0
  kill "-$2" "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
topology_down() {
  for ns in "$APP_NS" "$CLI_NS"; do
    ip netns list | awk '{print $1}' | grep -qx "$ns" || continue
    for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns"
  done
}
cleanup() {
  set +e
  stop_pid "$PG_PID" KILL
  stop_pid "$SERVER_PID" INT
  topology_down
  rm -rf /var/run/dpdk/"$PFX"-*
  [[ "${KEEP:-0}" == 1 ]] && echo "kept: $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The veth: no kernel address on either end, GRO and TX checksum offload off
# (af_packet on both sides; see scripts/topology.sh).
topology_down
ip netns add "$APP_NS"
ip netns add "$CLI_NS"
ip -n "$APP_NS" link add "$APP_IF" type veth peer name "$CLI_IF" netns "$CLI_NS"
for pair in "$APP_NS $APP_IF" "$CLI_NS $CLI_IF"; do
  set -- $pair
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "net.ipv6.conf.$2.disable_ipv6=1"
  ip netns exec "$1" ethtool -K "$2" gro off tx off >/dev/null 2>&1 || true
  ip -n "$1" link set lo up
  ip -n "$1" link set "$2" up
done
# tcpterm's MAC is the veth's: the one syn_flood.pkt sends to.
ip -n "$APP_NS" link set "$APP_IF" address 02:00:00:00:00:01

# run_case NAME RATE pktgen|tcpgen: tcpterm fresh, the flood (RATE SYNs/s from
# pktgen, or from tcpgen itself, or none when RATE is 0), after 1 s the
# clients for DURATION s; tcpterm's counters and tcpgen's JSON kept in $TMP.
run_case() {
  local name=$1 rate=$2 who=$3 flood_args=(--flood-rate 0)
  echo "=== $name"
  ip netns exec "$APP_NS" "$TCPTERM" --eal "--lcores=0@0,1@1 --no-huge -m 512 --no-pci --no-shconf --file-prefix $PFX-srv --vdev=net_af_packet0,iface=$APP_IF" \
    --address 198.18.0.1/24 --gateway 198.18.0.2 --listen 80=http >"$TMP/$name.server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do grep -q 'tcpterm: ready' "$TMP/$name.server.log" && break; sleep 0.1; done
  grep -q 'tcpterm: ready' "$TMP/$name.server.log" || { cat "$TMP/$name.server.log"; exit 1; }
  if [[ $who == pktgen ]] && ((rate > 0)); then
    # syn_flood.pkt, then this case's own lines: pktgen is 198.18.0.3 (so it
    # leaves ARP for 198.18.0.2 to tcpgen), the rate, and the stop.
    local pct
    pct=$(awk -v r="$rate" -v p="$LINK_PPS_PER_PCT" 'BEGIN { printf "%.5f", r / p }')
    printf 'set 0 src ip 198.18.0.3/24\nset 0 rate %s\ndelay %d\nstop 0\ndelay 300\nquit\n' \
      "$pct" $(( (DURATION + 3) * 1000 )) >"$TMP/$name.pkt"
    ip netns exec "$CLI_NS" "$PKTGEN" --lcores=0@0,1@0 --no-huge -m 512 --no-pci --no-shconf --file-prefix "$PFX-pg" \
      --vdev="net_af_packet0,iface=$CLI_IF" -- -P -m 1.0 -f scripts/pktgen/syn_flood.pkt -f "$TMP/$name.pkt" \
      </dev/null >"$TMP/$name.pktgen.log" 2>&1 &
    PG_PID=$!
    sleep 1
  elif [[ $who == tcpgen ]]; then
    flood_args=(--flood-rate "$rate")
  fi
  ip netns exec "$CLI_NS" "$TCPGEN" --eal "--lcores=0@0 --no-huge -m 512 --no-pci --no-shconf --file-prefix $PFX-gen --vdev=net_af_packet0,iface=$CLI_IF" \
    --client-address 198.18.0.2/24 --clients-rate "$CLIENTS_RATE" --duration "$DURATION" -q \
    --json "$TMP/$name.tcpgen.json" "${flood_args[@]}" >"$TMP/$name.tcpgen.log" 2>&1 || { cat "$TMP/$name.tcpgen.log"; exit 1; }
  if [[ -n "$PG_PID" ]]; then wait "$PG_PID" || echo "  (pktgen exited with $?)"; PG_PID=""; fi
  stop_pid "$SERVER_PID" INT
  SERVER_PID=""
  rm -rf /var/run/dpdk/"$PFX"-*
  grep -E 'flood:|clients:|handshake us' "$TMP/$name.tcpgen.log" | sed 's/^/  /'
  echo "$name $rate $who" >>"$TMP/cases"
}

run_case none 0 none
for r in $RATES; do
  run_case "pktgen-$r" "$r" pktgen
  run_case "tcpgen-$r" "$r" tcpgen
done
topology_down

mkdir -p "$(dirname "$OUT_JSON")"
/usr/bin/python3 - "$TMP" "$OUT_JSON" "$DURATION" "$CLIENTS_RATE" "$(git rev-parse --short HEAD)" <<'EOF'
# Table and JSON: per case the flood rate tcpterm saw (its SYNs minus the
# clients' over the case's time), cookies, clients completed, handshake
# percentiles (tcpgen's).
import json, sys, time
tmp, out, duration, clients_rate, commit = sys.argv[1:6]

def counters(path):
    c, on = {}, False
    for line in open(path):
        if line.startswith("tcpterm: counters"):
            on = True
        elif on and len(line.split()) == 2 and line.split()[1].isdigit():
            c[line.split()[0]] = int(line.split()[1])
    return c

cases = []
for line in open(tmp + "/cases"):
    name, rate, who = line.split()
    g = json.load(open("%s/%s.tcpgen.json" % (tmp, name)))
    c = counters("%s/%s.server.log" % (tmp, name))
    # pktgen floods 1 s before the clients start and ~2 s after they end.
    secs = g["run_s"] + (3.0 if who == "pktgen" else 0.0)
    flood_syns = c.get("SynsReceived", 0) + c.get("IpInMartians", 0) - g["clients"]["tried"]
    cases.append({
        "name": name, "flood_from": who, "asked_pps": int(rate),
        "tcpterm_syn_pps": flood_syns / secs if who != "none" else 0,
        "tcpgen_flood_sent_pps": g["flood"]["rate_pps"],
        "cookies": c.get("SyncookiesSent", 0), "tcpterm": c,
        "clients_tried": g["clients"]["tried"], "clients_completed": g["clients"]["completed"],
        "handshake_us": g["handshake_us"], "tcpgen": g,
    })
doc = {"benchmark": "pktgen_flood", "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "commit": commit,
       "params": {"duration_s": int(duration), "clients_rate": int(clients_rate),
                  "link": "net_af_packet on a veth, pktgen and tcpgen on the same end"},
       "cases": cases}
json.dump(doc, open(out, "w"), indent=2)
print("\n%-15s %9s %12s %10s %7s %7s %10s %10s %10s" % (
    "case", "asked", "SYNs/s seen", "cookies", "tried", "ok", "hs p50us", "hs p99us", "hs p999us"))
for k in cases:
    h = k["handshake_us"]
    print("%-15s %9d %12.0f %10d %7d %7d %10.1f %10.1f %10.1f" % (
        k["name"], k["asked_pps"], k["tcpterm_syn_pps"], k["cookies"], k["clients_tried"],
        k["clients_completed"], h["p50"] or 0, h["p99"] or 0, h["p999"] or 0))
print("written: " + out)
EOF
