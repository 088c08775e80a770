#include "tests/fuzz/fuzz_eal.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

namespace tcpterm::fuzz {

namespace {

rte_mempool* g_pool = nullptr;
std::string g_runtime_dir;

// libFuzzer ends with exit() (time limit, -runs): leave no runtime dir behind.
void cleanup() {
    rte_eal_cleanup();
    std::error_code ignored;
    std::filesystem::remove_all(g_runtime_dir, ignored);
}

}  // namespace

void init_eal(const char* target) {
    std::string name = std::string("fuzz-") + target + "-" + std::to_string(getpid());
    std::string prefix = "--file-prefix=" + name;
    // -m 256 with --no-huge is plain anonymous memory, which ASan is fine
    // with; --no-shconf keeps the process from sharing anything.
    const char* args[] = {target, "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
                          "--no-telemetry", "--log-level=error", "-l", "0", prefix.c_str()};
    if (rte_eal_init(sizeof(args) / sizeof(args[0]), const_cast<char**>(args)) < 0) {
        std::fprintf(stderr, "%s: rte_eal_init failed\n", target);
        std::abort();
    }
    g_runtime_dir = "/var/run/dpdk/" + name;
    std::atexit(cleanup);
    g_pool = rte_pktmbuf_pool_create("fuzz_pool", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                     SOCKET_ID_ANY);
    if (g_pool == nullptr) {
        std::fprintf(stderr, "%s: no mbuf pool\n", target);
        std::abort();
    }
}

rte_mempool* pool() { return g_pool; }

MbufLeakCheck::MbufLeakCheck() : free_at_start_(rte_mempool_avail_count(g_pool)) {}

void MbufLeakCheck::check(const char* where) const {
    unsigned now = rte_mempool_avail_count(g_pool);
    if (now != free_at_start_) {
        std::fprintf(stderr, "mbuf leak in %s: %u free before the input, %u after\n", where,
                     free_at_start_, now);
        std::abort();
    }
}

void invariant_failed(const char* what) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
}

}  // namespace tcpterm::fuzz
