// Counters as the control thread sees them: per-worker snapshots, sums,
// DPDK telemetry commands and the summary printed at exit.
#pragma once

#include <cstdio>
#include <vector>

#include "app/worker.hpp"

namespace tcpterm::app {

// Registers /tcpterm/stats (sums) and /tcpterm/worker,<id> with DPDK
// telemetry. The workers must outlive the telemetry thread's use of them.
// port: the ethdev whose own counters (RxNoMbuf: failed RX refills) are shown too.
// lb: its pools' backends are shown by /tcpterm/pools and /tcpterm/pool,NAME
// and set by /tcpterm/backend_set,POOL,A.B.C.D:PORT,ACTION.
void register_telemetry(const std::vector<Worker*>& workers, uint16_t port, LoadBalancer* lb);
void unregister_telemetry();

// Prints every counter summed over workers as "name value" lines.
void print_summary(std::FILE* out, const std::vector<Worker*>& workers, uint16_t port);

}  // namespace tcpterm::app
