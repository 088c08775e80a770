// What every fuzz target shares: DPDK's EAL brought up once per process (no
// hugepages, no devices, a file prefix of its own so parallel runs and the
// unit tests never meet), one mbuf pool, and the per-input mbuf leak check.
#pragma once

#include <cstdint>

struct rte_mempool;

namespace tcpterm::fuzz {

// Call from LLVMFuzzerInitialize; `target` names the file prefix
// (fuzz-<target>-<pid>). Aborts when EAL cannot start: nothing to fuzz then.
void init_eal(const char* target);

// The pool every input's mbufs come from. No per-lcore cache, so that
// rte_mempool_avail_count is exact and a leak shows after every input.
rte_mempool* pool();

// Counts the pool's free mbufs when made; check() aborts (a crash libFuzzer
// records with the input) when fewer are free than then.
class MbufLeakCheck {
public:
    MbufLeakCheck();
    void check(const char* where) const;

private:
    unsigned free_at_start_;
};

// Aborts with a message: an invariant the target checks does not hold.
[[noreturn]] void invariant_failed(const char* what);

}  // namespace tcpterm::fuzz
