#include "app/lb/pool.hpp"

#include <algorithm>

namespace tcpterm::app {

namespace {
std::vector<uint32_t> configured_weights(const std::vector<BackendSpec>& backends) {
    std::vector<uint32_t> w;
    for (const BackendSpec& b : backends)
        w.push_back(b.weight);
    return w;
}
}  // namespace

Pool::Pool(PoolSpec spec, rte_rcu_qsbr* qsbr)
    : spec_(std::move(spec)),
      up_(spec_.backends.size(), true),
      weight_(configured_weights(spec_.backends)),
      admin_(spec_.backends.size(), AdminState::Enabled),
      table_(qsbr, build()) {}

std::unique_ptr<PoolTable> Pool::build() const {
    auto t = std::make_unique<PoolTable>();
    std::vector<MaglevTable::Member> members;
    for (size_t i = 0; i < spec_.backends.size(); ++i) {
        const BackendSpec& b = spec_.backends[i];
        bool in = up_[i] && admin_[i] == AdminState::Enabled;
        t->weights.push_back(in ? weight_[i] : 0);
        // Identity by address and port, not position: the same backend gets
        // the same permutation on every appliance and after a reorder.
        members.push_back({uint64_t{b.addr} << 16 | b.port, t->weights.back()});
    }
    if (spec_.algorithm == LbAlgorithm::Maglev || spec_.algorithm == LbAlgorithm::Maglev4Tuple)
        t->maglev = MaglevTable(members, spec_.table_size);
    return t;
}

void Pool::set_up(size_t backend, bool up) {
    if (up_[backend] == up)
        return;
    up_[backend] = up;
    table_.publish(build());
}

void Pool::set_weight(size_t backend, uint32_t weight) {
    if (weight_[backend] == weight)
        return;
    weight_[backend] = weight;
    table_.publish(build());
}

void Pool::set_admin(size_t backend, AdminState state) {
    if (admin_[backend] == state)
        return;
    admin_[backend] = state;
    table_.publish(build());
}

PoolWorker::PoolWorker(const Pool& pool)
    : pool_(pool),
      wrr_(pool.size()),
      failed_in_a_row_(pool.size(), 0),
      checks_in_a_row_(pool.size(), 0),
      counters_(pool.size()) {}

uint16_t PoolWorker::pick(const tcp::FlowKey& client, std::span<const uint16_t> tried) {
    const PoolTable& t = pool_.table();
    uint16_t b = choose(t, client, tried);
    if (b == Pool::kNone && !tried.empty())
        b = choose(t, client, {});  // all tried: start over
    return b;
}

uint16_t PoolWorker::choose(const PoolTable& t, const tcp::FlowKey& client,
                            std::span<const uint16_t> tried) {
    auto skip = [&](uint16_t b) { return std::find(tried.begin(), tried.end(), b) != tried.end(); };
    switch (pool_.spec().algorithm) {
    case LbAlgorithm::Maglev:
        return t.maglev.lookup(lb_mix(client.raddr), skip);
    case LbAlgorithm::Maglev4Tuple:
        return t.maglev.lookup(lb_mix(lb_mix(uint64_t{client.raddr} << 32 | client.laddr) ^
                                      (uint64_t{client.rport} << 16 | client.lport)),
                               skip);
    case LbAlgorithm::Wrr:
        return wrr_.pick(t.weights, skip);
    case LbAlgorithm::LeastConn:
        return least_conn_.pick(t.weights, [&](size_t i) { return counters_[i].current; }, skip);
    }
    return Pool::kNone;
}

void PoolWorker::connected(uint16_t b) {
    ++counters_[b].connections;
    failed_in_a_row_[b] = 0;
}

// Passive health: `fall` failures in a row on this worker is a report the
// control thread turns into "down" (it reads down_reports).
void PoolWorker::connect_failed(uint16_t b, bool refused) {
    BackendCounters& c = counters_[b];
    --c.current;
    ++(refused ? c.connect_failures : c.connect_timeouts);
    if (++failed_in_a_row_[b] >= pool_.spec().fall) {
        failed_in_a_row_[b] = 0;
        ++c.down_reports;
    }
}

void PoolWorker::check_done(uint16_t b, bool passed) {
    BackendCounters& c = counters_[b];
    ++(passed ? c.checks_passed : c.checks_failed);
    c.last_check = passed ? 1 : 2;
    // A run of passes counts up from 1, a run of failures down from -1.
    int32_t& run = checks_in_a_row_[b];
    run = passed ? std::max(run, 0) + 1 : std::min(run, 0) - 1;
    if (passed && static_cast<uint32_t>(run) >= pool_.spec().rise)
        c.check_verdict = 1;
    else if (!passed && static_cast<uint32_t>(-run) >= pool_.spec().fall)
        c.check_verdict = 2;
}

}  // namespace tcpterm::app
