#include "app/lb/balancer.hpp"

#include <algorithm>
#include <cinttypes>

#include "lib/net/ipv4_addr.hpp"

namespace tcpterm::app {

namespace {
// A counter is written by one worker; the control thread reads whole values.
uint64_t read(const uint64_t& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }

std::string endpoint(const BackendSpec& b) {
    return net::format_ipv4(b.addr) + ":" + std::to_string(b.port);
}
}  // namespace

LoadBalancer::LoadBalancer(const std::vector<PoolSpec>& pools, uint16_t workers)
    : qsbr_(std::max<uint16_t>(workers, 1)) {
    for (const PoolSpec& spec : pools) {
        pools_.push_back(std::make_unique<Pool>(spec, qsbr_.get()));
        sides_.emplace_back();
        for (uint16_t w = 0; w < workers; ++w)
            sides_.back().push_back(std::make_unique<PoolWorker>(*pools_.back()));
        health_.emplace_back(spec.backends.size());
    }
}

LoadBalancer::~LoadBalancer() = default;

PoolWorker* LoadBalancer::worker_side(const std::string& pool, uint16_t worker) {
    for (size_t p = 0; p < pools_.size(); ++p)
        if (pools_[p]->spec().name == pool && worker < sides_[p].size())
            return sides_[p][worker].get();
    return nullptr;
}

void LoadBalancer::tick(uint64_t now_us, std::FILE* log) {
    std::lock_guard lock(control_);
    for (size_t p = 0; p < pools_.size(); ++p) {
        Pool& pool = *pools_[p];
        for (size_t b = 0; b < pool.size(); ++b) {
            uint64_t reports = 0;
            for (const auto& side : sides_[p])
                reports += read(side->counters()[b].down_reports);
            Health& h = health_[p][b];
            bool reported = reports > h.reports_seen;
            h.reports_seen = reports;
            const std::string name = pool.spec().name + " backend " + endpoint(pool.spec().backends[b]);
            if (pool.admin(b) == AdminState::Drain && !h.drained_logged &&
                view_locked(p, b).sum.current == 0) {
                h.drained_logged = true;
                std::fprintf(log, "tcpterm: pool %s drained: no connections left\n", name.c_str());
            }
            if (pool.admin(b) == AdminState::Disabled)
                continue;  // maintenance: health is not tracked
            uint64_t verdict = 0;  // only the checking worker's is set
            for (const auto& side : sides_[p])
                verdict = std::max(verdict, read(side->counters()[b].check_verdict));
            if (verdict != h.verdict_seen) {
                h.verdict_seen = verdict;
                if (verdict == 2 && pool.is_up(b)) {
                    pool.set_up(b, false);
                    std::fprintf(log, "tcpterm: pool %s down: %u health checks failed in a row\n", name.c_str(),
                                 pool.spec().fall);
                } else if (verdict == 1 && !pool.is_up(b)) {
                    pool.set_up(b, true);
                    std::fprintf(log, "tcpterm: pool %s up: %u health checks passed in a row\n", name.c_str(),
                                 pool.spec().rise);
                }
                continue;
            }
            bool checks_say_down = h.verdict_seen == 2;
            if (reported && pool.is_up(b)) {
                h.down_since_us = now_us;
                pool.set_up(b, false);
                std::fprintf(log, "tcpterm: pool %s down: %u failed connects in a row\n", name.c_str(),
                             pool.spec().fall);
            } else if (!pool.is_up(b) && !checks_say_down &&
                       now_us - h.down_since_us >= pool.spec().down_time_ms * 1000) {
                pool.set_up(b, true);
                std::fprintf(log, "tcpterm: pool %s up again after %" PRIu64 " ms down: on probation\n",
                             name.c_str(), pool.spec().down_time_ms);
            }
        }
        pool.reclaim();
    }
    std::fflush(log);
}

BackendView LoadBalancer::view_locked(size_t p, size_t b) const {
    const Pool& pool = *pools_[p];
    BackendView v;
    v.endpoint = endpoint(pool.spec().backends[b]);
    v.weight = pool.weight(b);
    v.up = pool.is_up(b);
    v.admin = pool.admin(b);
    for (const auto& side : sides_[p]) {
        const BackendCounters& c = side->counters()[b];
        v.sum.connections += read(c.connections);
        v.sum.current += read(c.current);
        v.sum.bytes_to_backend += read(c.bytes_to_backend);
        v.sum.bytes_from_backend += read(c.bytes_from_backend);
        v.sum.connect_failures += read(c.connect_failures);
        v.sum.connect_timeouts += read(c.connect_timeouts);
        v.sum.client_timeouts += read(c.client_timeouts);
        v.sum.server_timeouts += read(c.server_timeouts);
        v.sum.down_reports += read(c.down_reports);
        v.sum.checks_passed += read(c.checks_passed);
        v.sum.checks_failed += read(c.checks_failed);
        v.sum.last_check = std::max(v.sum.last_check, read(c.last_check));
    }
    return v;
}

std::vector<BackendView> LoadBalancer::view(size_t p) const {
    std::lock_guard lock(control_);
    std::vector<BackendView> out;
    for (size_t b = 0; b < pools_[p]->size(); ++b)
        out.push_back(view_locked(p, b));
    return out;
}

bool LoadBalancer::apply(const BackendCommand& cmd, std::FILE* log, BackendView* after) {
    std::lock_guard lock(control_);
    for (size_t p = 0; p < pools_.size(); ++p) {
        Pool& pool = *pools_[p];
        if (pool.spec().name != cmd.pool)
            continue;
        for (size_t b = 0; b < pool.size(); ++b) {
            const BackendSpec& spec = pool.spec().backends[b];
            if (spec.addr != cmd.addr || spec.port != cmd.port)
                continue;
            const BackendView before = view_locked(p, b);
            const std::string name = pool.spec().name + " backend " + before.endpoint;
            if (cmd.action == BackendCommand::Action::Weight) {
                pool.set_weight(b, cmd.weight);
                if (cmd.weight != before.weight)
                    std::fprintf(log, "tcpterm: pool %s weight %u (was %u)\n", name.c_str(), cmd.weight,
                                 before.weight);
            } else {
                AdminState next = cmd.action == BackendCommand::Action::Drain     ? AdminState::Drain
                                  : cmd.action == BackendCommand::Action::Disable ? AdminState::Disabled
                                                                                  : AdminState::Enabled;
                pool.set_admin(b, next);
                if (next != before.admin) {
                    health_[p][b].drained_logged = false;
                    std::fprintf(log, "tcpterm: pool %s %s (was %s)%s, %" PRIu64 " open connections\n",
                                 name.c_str(), admin_state_name(next), admin_state_name(before.admin),
                                 next == AdminState::Enabled
                                     ? (pool.is_up(b) ? ": takes new connections" : ": down, out until up")
                                     : ": no new connections, open ones finish",
                                 before.sum.current);
                }
            }
            std::fflush(log);
            if (after)
                *after = view_locked(p, b);
            return true;
        }
    }
    return false;
}

void LoadBalancer::print_summary(std::FILE* out) const {
    for (size_t p = 0; p < pools_.size(); ++p)
        for (const BackendView& v : view(p))
            std::fprintf(out,
                         "backend %s %s: state %s weight %u connections %" PRIu64 " current %" PRIu64
                         " bytes_to_backend %" PRIu64 " bytes_from_backend %" PRIu64
                         " connect_failures %" PRIu64 " connect_timeouts %" PRIu64 " client_timeouts %" PRIu64
                         " server_timeouts %" PRIu64 " checks_passed %" PRIu64
                         " checks_failed %" PRIu64 " admin %s\n",
                         pools_[p]->spec().name.c_str(), v.endpoint.c_str(), v.up ? "up" : "down", v.weight,
                         v.sum.connections, v.sum.current, v.sum.bytes_to_backend, v.sum.bytes_from_backend,
                         v.sum.connect_failures, v.sum.connect_timeouts, v.sum.client_timeouts,
                         v.sum.server_timeouts, v.sum.checks_passed, v.sum.checks_failed,
                         admin_state_name(v.admin));
    std::fflush(out);
}

}  // namespace tcpterm::app
