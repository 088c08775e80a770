#!/usr/bin/env bash
# Install every Debian 12 package tcpterm needs to build, test and benchmark.
# Idempotent and fast when nothing is missing: dpkg-query decides whether the
# (slow) apt-get update + install step runs at all.
set -euo pipefail

PACKAGES=(
  # build
  build-essential pkg-config meson ninja-build
  libdpdk-dev dpdk dpdk-dev libboost-program-options-dev catch2 libtbb-dev
  # tests (clients in the client namespace, topology, fault injection;
  # python3-cryptography: AES-CMAC in scapy's TCP-AO code, pkt_tcp_ao.py)
  python3 python3-scapy python3-cryptography hping3 nmap wrk netcat-openbsd curl iputils-ping
  iproute2 ethtool nftables procps coreutils util-linux
  # the VM test (scripts/vm, test_vm.sh): QEMU, a guest kernel with its
  # modules (uio_pci_generic), a static busybox for the initramfs
  qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils
  # bench: the Linux side of the side-by-side run
  nginx-light
  # bench/proxy_vs_linux.sh: the L4 proxies beside tcpterm's (nginx stream, HAProxy mode tcp)
  libnginx-mod-stream haproxy
  # fuzzing (scripts/fuzz.sh): clang 14, and its runtimes: libFuzzer and
  # the ASan/UBSan runtimes clang links (gcc's come with build-essential)
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  # "install ok installed" is the only state in which the package is usable.
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if ((EUID != 0)); then
  echo "deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
