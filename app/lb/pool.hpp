// A backend pool at run time. Pool is shared by every worker: the spec and
// the current table (which backends are in, with what weight, and the Maglev
// table), which only the control thread replaces (published.hpp). PoolWorker
// is one worker's side of it: its picks (round-robin and least-connection
// state are per worker), its per-backend counters and the failures it saw,
// written by that worker only and read by the control thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <rte_common.h>

#include "app/lb/backend_command.hpp"
#include "app/lb/least_conn.hpp"
#include "app/lb/maglev.hpp"
#include "app/lb/pool_spec.hpp"
#include "app/lb/published.hpp"
#include "app/lb/wrr.hpp"
#include "lib/tcp/tcb.hpp"

namespace tcpterm::app {

// What workers read: immutable once published.
struct PoolTable {
    std::vector<uint32_t> weights;  // per backend; 0: out of the pool (down)
    MaglevTable maglev;             // the maglev algorithms only
};

class Pool {
public:
    static constexpr uint16_t kNone = 0xFFFF;

    Pool(PoolSpec spec, rte_rcu_qsbr* qsbr);
    const PoolSpec& spec() const { return spec_; }
    size_t size() const { return spec_.backends.size(); }

    // Worker side: valid until the worker's next quiescent state.
    const PoolTable& table() const { return *table_.get(); }

    // Control side: takes a backend out of the table or puts it back
    // (health), changes its weight or administrative state (an operator's
    // command); each change is a rebuild, published. A backend is in the
    // table while up, enabled and of weight > 0. reclaim() frees tables no
    // worker can still read.
    void set_up(size_t backend, bool up);
    bool is_up(size_t backend) const { return up_[backend]; }
    void set_weight(size_t backend, uint32_t weight);
    uint32_t weight(size_t backend) const { return weight_[backend]; }
    void set_admin(size_t backend, AdminState state);
    AdminState admin(size_t backend) const { return admin_[backend]; }
    void reclaim() { table_.reclaim(); }

private:
    std::unique_ptr<PoolTable> build() const;

    PoolSpec spec_;
    // Control side only.
    std::vector<bool> up_;
    std::vector<uint32_t> weight_;    // the spec's until an operator sets one
    std::vector<AdminState> admin_;
    Published<PoolTable> table_;
};

// One worker's counters for one backend (summed by the control thread).
struct BackendCounters {
    uint64_t connections = 0;       // handshakes completed
    uint64_t current = 0;           // open now, handshakes in progress included
    uint64_t bytes_to_backend = 0;
    uint64_t bytes_from_backend = 0;
    uint64_t connect_failures = 0;  // refused (RST to our SYN)
    uint64_t connect_timeouts = 0;  // no answer within the attempt's share of connect_timeout
    uint64_t client_timeouts = 0;   // client_timeout (or tunnel_timeout on the client side) ran out
    uint64_t server_timeouts = 0;   // server_timeout (or tunnel_timeout on the backend side) ran out
    uint64_t down_reports = 0;      // times this worker saw `fall` failures in a row
    // Active health checks (on the one worker that checks this backend).
    uint64_t checks_passed = 0;
    uint64_t checks_failed = 0;
    uint64_t last_check = 0;        // 0: none yet, 1: passed, 2: failed
    uint64_t check_verdict = 0;     // 0: none yet, 1: up (rise passed in a row), 2: down (fall failed)
};

class alignas(RTE_CACHE_LINE_SIZE) PoolWorker {
public:
    explicit PoolWorker(const Pool& pool);
    const Pool& pool() const { return pool_; }

    // The backend for an attempt of the client's connection, skipping the
    // ones already tried (a retry); kNone when no backend is in the pool.
    // When every backend in the pool was tried, they are all candidates again.
    uint16_t pick(const tcp::FlowKey& client, std::span<const uint16_t> tried);

    // The proxy's reports, each about one backend connection.
    void connect_started(uint16_t b) { ++counters_[b].current; }
    void connected(uint16_t b);
    // refused: a RST answered the SYN; otherwise it timed out.
    void connect_failed(uint16_t b, bool refused);
    void closed(uint16_t b) { --counters_[b].current; }
    void sent_to_backend(uint16_t b, size_t n) { counters_[b].bytes_to_backend += n; }
    void received_from_backend(uint16_t b, size_t n) { counters_[b].bytes_from_backend += n; }
    void idle_timeout(uint16_t b, bool client_side) {
        ++(client_side ? counters_[b].client_timeouts : counters_[b].server_timeouts);
    }
    // An active health check's result: rise passes in a row make the
    // verdict up, fall failures in a row down (the control thread acts on
    // a change of verdict).
    void check_done(uint16_t b, bool passed);

    // Read by the control thread (relaxed loads of whole words).
    const std::vector<BackendCounters>& counters() const { return counters_; }

private:
    uint16_t choose(const PoolTable& t, const tcp::FlowKey& client, std::span<const uint16_t> tried);

    const Pool& pool_;
    SmoothWrr wrr_;
    LeastConn least_conn_;
    std::vector<uint32_t> failed_in_a_row_;
    std::vector<int32_t> checks_in_a_row_;  // passed (> 0) or failed (< 0) in a row
    std::vector<BackendCounters> counters_;
};

}  // namespace tcpterm::app
