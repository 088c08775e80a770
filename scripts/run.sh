#!/usr/bin/env bash
# README command 1: install deps, build, create the test topology and run
# tcpterm in the foreground in the appliance namespace with the default
# config. Ctrl-C stops tcpterm (it prints its counters) and removes the
# topology. Extra arguments go to tcpterm, e.g.
#   sudo scripts/run.sh --listen 80=http,body=1024
# BUILD=dir chooses the build dir (default: build).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
APP_NS=${TT_APP_NS:-tt-app}
CLI_NS=${TT_CLI_NS:-tt-cli}

if ((EUID != 0)); then
  echo "run.sh: must run as root (network namespaces, DPDK)" >&2
  exit 1
fi

scripts/deps.sh
scripts/build.sh "$BUILD"

# On exit: remove the topology and the DPDK runtime dir that the default
# config's "--file-prefix tcpterm" leaves behind with --no-huge.
trap 'scripts/topology.sh down; rm -rf /var/run/dpdk/tcpterm' EXIT
scripts/topology.sh up

cat <<EOM

tcpterm will serve 198.18.0.1 on the veth in namespace $APP_NS.
Reach it from the client namespace $CLI_NS (198.18.0.2), for example:
  ip netns exec $CLI_NS ping -c 3 198.18.0.1
  ip netns exec $CLI_NS curl http://198.18.0.1/
  ip netns exec $CLI_NS nc 198.18.0.1 7            # echo
  ip netns exec $CLI_NS wrk -t1 -c32 -d10s http://198.18.0.1/
Ctrl-C stops tcpterm and removes the namespaces.

EOM

# Ctrl-C reaches tcpterm directly (same foreground process group). Give the
# shell a no-op INT/TERM handler so it waits for tcpterm to print its
# counters and exit, then runs the EXIT trap. (A handler, unlike "ignore",
# is not inherited by tcpterm.)
trap 'true' INT TERM
rc=0
ip netns exec "$APP_NS" "$BUILD/app/tcpterm" --config config/tcpterm.conf "$@" || rc=$?
exit "$rc"
