#include "app/lb/health_check.hpp"

#include <cstring>
#include <string>
#include <utility>

#include "lib/net/ipv4_addr.hpp"
#include "lib/tcp/engine.hpp"

namespace tcpterm::app {

namespace {
// A probe's state: which target it checks. The status line is read in
// place (it must arrive in the first segment's bytes, as it always does).
struct Probe {
    uint16_t target;
};

// "HTTP/1.x NNN": the status code, or 0 when the line is not that.
uint32_t http_status(std::span<const uint8_t> bytes) {
    if (bytes.size() < 12 || std::memcmp(bytes.data(), "HTTP/1.", 7) != 0 || bytes[8] != ' ')
        return 0;
    uint32_t status = 0;
    for (size_t i = 9; i < 12; ++i) {
        if (bytes[i] < '0' || bytes[i] > '9')
            return 0;
        status = status * 10 + (bytes[i] - '0');
    }
    return status;
}
}  // namespace

void HealthChecker::add(PoolWorker& side, uint16_t backend) { targets_.push_back({&side, backend}); }

void HealthChecker::poll(tcp::Engine& engine, uint32_t laddr, uint64_t now_us) {
    for (size_t i = 0; i < targets_.size(); ++i) {
        Target& t = targets_[i];
        if (t.probe) {
            if (now_us >= t.deadline_us)
                finish(t, false);  // connected, but no (good) answer in time
            continue;
        }
        if (now_us < t.next_us)
            continue;
        const PoolSpec& s = spec(t);
        const BackendSpec& b = s.backends[t.backend];
        t.next_us = now_us + s.check_interval_ms * 1000;
        t.deadline_us = now_us + s.check_timeout_ms * 1000;
        // The handshake itself is bounded by the engine's connect timeout.
        tcp::Tcb* tcb = engine.connect(laddr, b.addr, b.port, this, 0, now_us, s.check_timeout_ms * 1000);
        if (!tcb) {  // no port or table slot: the check could not run
            t.side->check_done(t.backend, false);
            continue;
        }
        t.probe = tcp::Connection(engine, *tcb);
        t.probe.emplace_state<Probe>(Probe{static_cast<uint16_t>(i)});
    }
}

void HealthChecker::on_accept(tcp::Connection c) {
    Target& t = targets_[c.state<Probe>().target];
    const PoolSpec& s = spec(t);
    if (s.health_check == HealthCheck::Tcp) {
        finish(t, true);
        return;
    }
    const BackendSpec& b = s.backends[t.backend];
    std::string request = "GET " + s.check_path + " HTTP/1.0\r\nHost: " + net::format_ipv4(b.addr) +
                          "\r\nUser-Agent: tcpterm-health-check\r\n\r\n";
    if (c.send(request.data(), request.size()) != request.size())
        finish(t, false);
}

void HealthChecker::on_data(tcp::Connection c) {
    Target& t = targets_[c.state<Probe>().target];
    auto bytes = c.recv_front();
    if (bytes.size() < 12 && !c.peer_finished())
        return;  // the status line is not all here yet
    finish(t, http_status(bytes) == spec(t).check_status);
}

void HealthChecker::on_closed(tcp::Connection c, tcp::CloseReason) {
    Target& t = targets_[c.state<Probe>().target];
    if (t.probe != c)
        return;  // a check that had its answer (finish aborted it)
    t.probe = {};  // ended before an answer: refused, reset, timed out
    t.side->check_done(t.backend, false);
}

void HealthChecker::finish(Target& t, bool passed) {
    tcp::Connection probe = std::exchange(t.probe, {});  // first: abort() calls on_closed
    t.side->check_done(t.backend, passed);
    probe.abort();
}

}  // namespace tcpterm::app
