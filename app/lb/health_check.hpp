// Active health checks, run by a worker on its own engine: every
// check_interval it opens a connection to each backend it is given (an
// RSS-affine ephemeral port, like the proxy's) and reports a pass or a
// failure to the backend's PoolWorker (check_done), which turns rise passes
// or fall failures in a row into a verdict the control thread acts on.
// tcp: the handshake completes within check_timeout. http: "GET check_path
// HTTP/1.0" is answered with check_status within check_timeout. A check
// that has its answer ends with a RST, as HAProxy's do, so that checks
// leave no TIME_WAIT behind on either side.
#pragma once

#include <cstdint>
#include <vector>

#include "app/lb/pool.hpp"
#include "lib/tcp/connection.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::tcp {
class Engine;
}

namespace tcpterm::app {

class HealthChecker final : public tcp::Service {
public:
    // Checks backend `backend` of side's pool from now on.
    void add(PoolWorker& side, uint16_t backend);
    bool empty() const { return targets_.empty(); }

    // Each worker loop turn: starts the checks that are due from laddr, and
    // fails those past their timeout.
    void poll(tcp::Engine& engine, uint32_t laddr, uint64_t now_us);

    void on_accept(tcp::Connection c) override;
    void on_data(tcp::Connection c) override;
    void on_peer_shutdown(tcp::Connection c) override { on_data(c); }
    void on_closed(tcp::Connection c, tcp::CloseReason reason) override;

private:
    struct Target {
        PoolWorker* side;
        uint16_t backend;
        uint64_t next_us = 0;      // when the next check starts
        uint64_t deadline_us = 0;  // when the one in flight has failed
        tcp::Connection probe;     // the check in flight (empty: none)
    };
    // Records the result of the check in flight and ends its connection.
    void finish(Target& t, bool passed);
    static const PoolSpec& spec(const Target& t) { return t.side->pool().spec(); }

    std::vector<Target> targets_;
};

}  // namespace tcpterm::app
