// Active health checks (app/lb/health_check.hpp) on the engine with a fake
// clock, a scripted backend answering the probes; then the verdicts a
// PoolWorker draws from results and what the control thread does with them.
#include <catch2/catch.hpp>

#include <cstdio>

#include "app/lb/balancer.hpp"
#include "app/lb/health_check.hpp"
#include "engine_harness.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kPsh;
using tcp::kRst;
using tcp::kSyn;

namespace {

constexpr uint32_t kUs = 0xC6120001, kBackend = 0xC6120003;

app::PoolSpec checked_pool(app::HealthCheck kind) {
    app::PoolSpec p;
    p.name = std::string(1, 'p');  // not = "p": gcc 12's false -Wrestrict
    p.backends = {app::BackendSpec{kBackend, 80}};
    p.algorithm = app::LbAlgorithm::Wrr;
    p.health_check = kind;
    p.check_interval_ms = 1000;
    p.check_timeout_ms = 500;
    p.check_path = "/health";
    p.rise = 2;
    p.fall = 2;
    return p;
}

struct Checked {
    EngineHarness h;
    app::LoadBalancer lb;
    app::HealthChecker checker;
    explicit Checked(app::HealthCheck kind) : lb({checked_pool(kind)}, 1) {
        checker.add(*lb.worker_side("p", 0), 0);
    }
    // Runs the checker at the harness's time; returns the SYN it sent.
    Sent start_check() {
        h.sent.clear();  // what ended the previous check
        checker.poll(*h.engine, kUs, h.now_us);
        h.engine->flush(h.now_us);
        Sent syn = h.pop();
        REQUIRE(syn.flags == kSyn);
        REQUIRE(syn.key.raddr == kBackend);
        return syn;
    }
    SegmentSpec from_backend(const Sent& syn, uint8_t flags, uint32_t seq, const std::string& payload = "") {
        SegmentSpec s;
        s.src = kBackend;
        s.src_port = 80;
        s.dst_port = syn.key.lport;
        s.seq = seq;
        s.ack = syn.seq.v + 1;
        s.flags = flags;
        s.payload = payload;
        return s;
    }
    app::BackendCounters counts() { return lb.view(0)[0].sum; }
};

}  // namespace

TEST_CASE("health check tcp: a handshake passes (then RST), a refusal fails", "[lb][health]") {
    Checked c(app::HealthCheck::Tcp);
    Sent syn = c.start_check();
    c.h.deliver(c.from_backend(syn, kSyn | kAck, 7000));
    CHECK(c.counts().checks_passed == 1);
    CHECK(c.h.pop().has(kRst));  // no TIME_WAIT left behind
    c.h.advance_ms(1000);
    syn = c.start_check();
    SegmentSpec rst = c.from_backend(syn, kRst | kAck, 0);
    c.h.deliver(rst);
    CHECK(c.counts().checks_failed == 1);
    CHECK(c.counts().last_check == 2);
}

TEST_CASE("health check http: GET check_path; the expected status passes, another fails, "
          "silence past check_timeout fails", "[lb][health]") {
    Checked c(app::HealthCheck::Http);
    Sent syn = c.start_check();
    c.h.deliver(c.from_backend(syn, kSyn | kAck, 7000));
    std::string request;
    while (!c.h.nothing_sent())
        request += c.h.pop().payload;
    CHECK(request.rfind("GET /health HTTP/1.0\r\nHost: 198.18.0.3\r\n", 0) == 0);
    c.h.deliver(c.from_backend(syn, kAck | kPsh, 7001, "HTTP/1.1 200 OK\r\n\r\n"));
    CHECK(c.counts().checks_passed == 1);

    c.h.advance_ms(1000);
    syn = c.start_check();
    c.h.deliver(c.from_backend(syn, kSyn | kAck, 8000));
    c.h.sent.clear();
    c.h.deliver(c.from_backend(syn, kAck | kPsh, 8001, "HTTP/1.1 503 Busy\r\n\r\n"));
    CHECK(c.counts().checks_failed == 1);

    c.h.advance_ms(1000);
    syn = c.start_check();
    c.h.deliver(c.from_backend(syn, kSyn | kAck, 9000));  // connects, never answers
    c.h.advance_ms(499);
    c.checker.poll(*c.h.engine, kUs, c.h.now_us);
    CHECK(c.counts().checks_failed == 1);
    c.h.advance_ms(1);
    c.checker.poll(*c.h.engine, kUs, c.h.now_us);
    CHECK(c.counts().checks_failed == 2);
    CHECK(c.counts().checks_passed == 1);
}

TEST_CASE("health verdicts: fall failures in a row take a backend out, rise passes bring it back, "
          "one log line each", "[lb][health]") {
    app::LoadBalancer lb({checked_pool(app::HealthCheck::Tcp)}, 1);
    app::PoolWorker& w = *lb.worker_side("p", 0);
    std::FILE* log = std::tmpfile();
    // Results, then a tick at t_us; whether the backend is in the table then.
    auto after = [&](std::initializer_list<bool> results, uint64_t t_us) {
        for (bool passed : results)
            w.check_done(0, passed);
        lb.tick(t_us, log);
        return lb.pool(0).is_up(0);
    };
    CHECK(after({true, true, false}, 1'000'000));  // verdict up: already up, nothing to say
    CHECK_FALSE(after({false}, 1'100'000));         // fall (2) in a row
    CHECK_FALSE(after({}, 900'000'000));           // down_time long past: the checks still say down
    CHECK_FALSE(after({true}, 900'100'000));
    CHECK(after({true}, 900'200'000));             // rise (2) in a row
    std::fflush(log);
    std::rewind(log);
    char line[256];
    int lines = 0;
    while (std::fgets(line, sizeof(line), log))
        ++lines;
    CHECK(lines == 2);
    std::fclose(log);
}
