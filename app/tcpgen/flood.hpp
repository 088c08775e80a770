// The SYN flood: spoofed SYNs from a preallocated mempool, bursts of 32,
// paced by a token bucket on the TSC (or unpaced with --flood-rate max).
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_spinlock.h>

#include "app/tcpgen/syn_builder.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace tcpterm::tcpgen {

// One TX queue of the port; with a lock when two lcores share it.
struct TxQueue {
    uint16_t port = 0;
    uint16_t queue = 0;
    rte_spinlock_t* lock = nullptr;
    uint16_t send(rte_mbuf** pkts, uint16_t n) const;
};

// Written by the flood lcore only; read by the main lcore for the reports.
struct alignas(64) FloodStats {
    std::atomic<uint64_t> sent{0};          // accepted by the port
    std::atomic<uint64_t> tx_full{0};       // bursts the port did not take whole
    std::atomic<uint64_t> alloc_failed{0};  // bursts skipped: flood pool empty
    std::atomic<uint64_t> start_tsc{0};
    std::atomic<uint64_t> end_tsc{0};
};

class Flood {
public:
    static constexpr uint16_t kBurst = 32;

    Flood(const Options& o, const SynBuilder& builder, rte_mempool* pool, TxQueue tx, uint64_t hz);
    ~Flood();
    Flood(const Flood&) = delete;
    Flood& operator=(const Flood&) = delete;

    void start(uint64_t now_tsc);
    // Sends what the bucket allows now (at most one burst).
    void poll(uint64_t now_tsc);
    // Records the end time and frees a burst the port had not taken.
    void finish(uint64_t now_tsc);
    const FloodStats& stats() const { return stats_; }

private:
    static void add(std::atomic<uint64_t>& c, uint64_t n) {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    const SynBuilder& builder_;
    rte_mempool* pool_;
    TxQueue tx_;
    uint64_t hz_;
    uint64_t rate_;
    uint64_t min_burst_;    // packets the bucket must hold before a burst goes
    uint64_t bucket_;       // packets it holds at most
    bool unpaced_;
    uint64_t credit_ = 0;   // packets * hz
    uint64_t last_tsc_ = 0;
    Rng rng_;
    rte_mbuf* pending_[kBurst];
    uint16_t pending_n_ = 0;
    uint16_t pending_off_ = 0;
    FloodStats stats_;
};

}  // namespace tcpterm::tcpgen
