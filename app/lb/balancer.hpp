// The load balancer's shared side: every pool, each worker's PoolWorker for
// it, the RCU variable the workers report on, and the control thread's work:
// turning the workers' failure reports into health changes (a table rebuild
// each) and summing per-backend counters for telemetry and the exit summary.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/lb/pool.hpp"
#include "app/lb/pool_spec.hpp"
#include "app/lb/published.hpp"

namespace tcpterm::app {

// One backend as the control thread sums it over the workers.
struct BackendView {
    std::string endpoint;  // A.B.C.D:PORT
    uint32_t weight = 0;   // as configured, or as an operator last set it
    bool up = true;        // health
    AdminState admin = AdminState::Enabled;
    BackendCounters sum;
};

class LoadBalancer {
public:
    LoadBalancer(const std::vector<PoolSpec>& pools, uint16_t workers);
    ~LoadBalancer();

    size_t pools() const { return pools_.size(); }
    Pool& pool(size_t i) { return *pools_[i]; }
    const PoolSpec& pool_spec(size_t i) const { return pools_[i]->spec(); }
    // The worker's side of the pool with that name (nullptr: no such pool).
    PoolWorker* worker_side(const std::string& pool, uint16_t worker);

    // Worker side: from online() to offline() the worker is waited for
    // before an old table is freed; quiescent() after every loop turn.
    void online(uint16_t worker) { qsbr_.online(worker); }
    void quiescent(uint16_t worker) { qsbr_.quiescent(worker); }
    void offline(uint16_t worker) { qsbr_.offline(worker); }

    // Control thread, every few tens of ms: a backend some worker saw fail
    // `fall` times in a row goes down (leaves the table) for down_time, then
    // comes back (unless its active checks say it is down). A change of the
    // active checks' verdict takes it out or puts it back at once. Prints
    // one line per change to `log`.
    void tick(uint64_t now_us, std::FILE* log);

    // Control side (telemetry): an operator's command on one backend, applied
    // at once (the pool's table rebuilt and published), one line to `log`
    // per change. False when the pool or the backend does not exist;
    // otherwise *after (if given) is the backend as it now is.
    bool apply(const BackendCommand& command, std::FILE* log, BackendView* after = nullptr);

    // Control side (telemetry, exit summary): counters summed over workers,
    // health as the control thread last set it.
    std::vector<BackendView> view(size_t pool) const;
    void print_summary(std::FILE* out) const;

private:
    struct Health {
        uint64_t reports_seen = 0;  // down_reports summed, when last looked at
        uint64_t down_since_us = 0;
        bool drained_logged = false;  // a drain's "no connections left" said
        uint64_t verdict_seen = 0;    // the active checks' verdict last acted on
    };
    BackendView view_locked(size_t pool, size_t backend) const;
    Qsbr qsbr_;
    std::vector<std::unique_ptr<Pool>> pools_;
    // [pool][worker]; each written by its worker only.
    std::vector<std::vector<std::unique_ptr<PoolWorker>>> sides_;
    std::vector<std::vector<Health>> health_;  // [pool][backend], control thread only
    // Between tick() and the telemetry thread's view() and apply(); workers
    // never take it.
    mutable std::mutex control_;
};

}  // namespace tcpterm::app
