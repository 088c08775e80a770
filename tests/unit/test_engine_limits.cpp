// Connections that cannot be pinned (issue "hostile peers"): zero-window
// probing that ends (orphans after tcp.orphan_retries, silent peers after
// tcp.retries, everyone after the user timeout), at most tcp.max_orphans
// orphans, a listener's idle timeout, and its per-source connection limit.
#include <catch2/catch.hpp>

#include "engine_harness.hpp"
#include "recording_service.hpp"
#include "test_peer.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kRst;
using tcp::kSyn;

namespace {

tcp::EngineConfig quick_timers() {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.rto_max_us = 4'000'000;  // probes back off to 4 s, not 120 s
    return cfg;
}

tcp::Listener listener(uint16_t port, tcp::Service* svc) {
    tcp::Listener l;
    l.port = port;
    l.service = svc;
    l.cookies = cookie_mode_under_test();
    return l;
}

EngineHarness& listening(EngineHarness& h, RecordingService& svc) {
    h.listen(80, &svc);
    return h;
}

// A connection whose peer has closed its window, with 5 bytes of ours
// waiting to go: the persist timer is running.
struct ZeroWindow {
    EngineHarness h;
    RecordingService svc;
    TestPeer peer;
    explicit ZeroWindow(const tcp::EngineConfig& cfg)
        : h(cfg), peer(listening(h, svc), 40001) {
        SegmentSpec closed = peer.ack();
        closed.window = 0;
        h.deliver(closed);
        REQUIRE(h.engine->send(*svc.conn, "hello", 5) == 5);
        h.engine->flush(h.now_us);
        REQUIRE(h.nothing_sent());
    }
    // Runs the clock up to `seconds`, answering every probe with the same
    // zero window when `answer`; returns the probes seen.
    int run(int seconds, bool answer) {
        int probes = 0;
        for (int ms = 0; ms < seconds * 1000; ++ms) {
            h.advance_ms(1);
            while (!h.sent.empty()) {
                Sent s = h.pop();
                if (s.has(kRst))
                    return probes;
                ++probes;
                if (answer) {
                    SegmentSpec still_closed = peer.ack();
                    still_closed.window = 0;
                    h.deliver(still_closed);
                }
            }
        }
        return probes;
    }
};

}  // namespace

TEST_CASE("limits: an orphan whose peer keeps its window closed is aborted after "
          "tcp.orphan_retries probes, answered or not",
          "[tcp][limits]") {
    tcp::EngineConfig cfg = quick_timers();
    cfg.orphan_retries = 3;
    ZeroWindow z(cfg);
    z.h.engine->close(*z.svc.conn);
    CHECK(z.h.counters.CurrOrphans == 1);
    int probes = z.run(60, true);
    CHECK(probes == 3);
    CHECK(z.h.conn(40001) == nullptr);
    CHECK(z.h.counters.TCPAbortOnTimeout == 1);
    CHECK(z.h.counters.CurrOrphans == 0);
}

TEST_CASE("limits: a live reader with a closed window is probed for as long as it answers "
          "(RFC 9293 §3.8.6.1); a silent one is aborted after tcp.retries probes",
          "[tcp][limits]") {
    tcp::EngineConfig cfg = quick_timers();
    cfg.data_retries = 4;
    SECTION("answered") {
        ZeroWindow z(cfg);
        CHECK(z.run(60, true) > 10);
        CHECK(z.h.conn(40001) != nullptr);
    }
    SECTION("silent") {
        ZeroWindow z(cfg);
        CHECK(z.run(60, false) == 4);
        CHECK(z.h.conn(40001) == nullptr);
        CHECK(z.h.counters.TCPAbortOnTimeout == 1);
    }
}

TEST_CASE("limits: the user timeout covers zero-window probing, counted from when the "
          "window closed (RFC 5482)",
          "[tcp][limits]") {
    tcp::EngineConfig cfg = quick_timers();
    cfg.user_timeout_us = 10'000'000;
    ZeroWindow z(cfg);
    uint64_t start = z.h.now_us;
    z.run(60, true);
    CHECK(z.h.conn(40001) == nullptr);
    CHECK(z.h.counters.TCPAbortOnUserTimeout == 1);
    uint64_t took = z.h.now_us - start;
    CHECK(took >= 10'000'000);
    CHECK(took <= 10'000'000 + cfg.rto_max_us + 1000);
}

TEST_CASE("limits: past tcp.max_orphans a closing connection is reset at once", "[tcp][limits]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.max_orphans = 2;
    EngineHarness h(cfg);
    RecordingService svc;
    h.listen(80, &svc);
    for (uint16_t port = 40001; port <= 40003; ++port) {
        h.sent.clear();  // the FINs so far: TestPeer reads its SYN-ACK first
        TestPeer p(h, port);
        h.engine->close(*h.conn(port));  // FIN sent, not yet acknowledged: an orphan
        h.engine->flush(h.now_us);
    }
    CHECK(h.counters.CurrOrphans == 2);
    CHECK(h.counters.TCPAbortOnMemory == 1);
    CHECK(h.conn(40003) == nullptr);
    bool reset = false;
    for (const Sent& s : h.sent)
        reset |= s.key.rport == 40003 && s.has(kRst);
    CHECK(reset);
}

TEST_CASE("limits: a listener's idle_timeout resets a silent connection; one that talks "
          "stays",
          "[tcp][limits]") {
    EngineHarness h;
    RecordingService svc;
    tcp::Listener l = listener(80, &svc);
    l.idle_timeout_us = 3'000'000;
    REQUIRE(h.engine->add_listener(l));
    TestPeer quiet(h, 40001), chatty(h, 40002);
    for (int second = 0; second < 5; ++second) {
        h.advance_ms(1000);
        h.deliver(chatty.data(1));
    }
    CHECK(h.conn(40001) == nullptr);
    CHECK(h.conn(40002) != nullptr);
    CHECK(h.counters.TCPAbortOnIdle == 1);
    bool reset = false;
    for (const Sent& s : h.sent)
        reset |= s.key.rport == 40001 && s.has(kRst);
    CHECK(reset);
}

TEST_CASE("limits: max_per_source refuses one address's excess while others connect",
          "[tcp][limits]") {
    EngineHarness h;
    RecordingService svc;
    tcp::Listener l = listener(80, &svc);
    l.max_per_source = 2;
    REQUIRE(h.engine->add_listener(l));
    TestPeer a(h, 40001), b(h, 40002);
    SegmentSpec third;
    third.src_port = 40003;
    third.seq = TestPeer::kIsn;
    third.flags = kSyn;
    h.deliver(third);
    Sent refused = h.pop();
    CHECK(refused.has(kRst));
    CHECK(h.counters.TCPPerSourceRejected == 1);
    SegmentSpec other = third;
    other.src = 0xC6120003;  // another address
    h.deliver(other);
    CHECK(h.pop().flags == (kSyn | kAck));
    // A slot freed is a slot again.
    SegmentSpec rst = a.ack();
    rst.flags = kRst;
    h.deliver(rst);
    h.sent.clear();
    h.deliver(third);
    CHECK(h.pop().flags == (kSyn | kAck));
}
