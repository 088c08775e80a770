// Our own connect taking over a tuple we hold in TIME_WAIT (tcp.tw_reuse, as
// Linux's tcp_tw_reuse; Engine::time_wait_reusable): allowed once the old
// connection's last peer timestamp is 1 s old, refused before, without
// timestamps, or with the switch off. And the source pool form of connect
// (Engine::Source): addresses in turn, the caller's port range.
#include <catch2/catch.hpp>

#include <set>

#include "engine_harness.hpp"
#include "recording_service.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::kSyn;
using tcp::State;

namespace {

constexpr uint32_t kUs = 0xC6120001, kUs2 = 0xC6120005, kPeer = 0xC6120002;
constexpr uint16_t kPort = 40000;  // our one source port

tcp::EngineConfig one_port_config(bool timestamps = true, bool tw_reuse = true) {
    tcp::EngineConfig c = EngineHarness::default_config();
    c.timestamps = timestamps;
    c.tw_reuse = tw_reuse;
    return c;
}

struct TwReuse {
    EngineHarness h;
    RecordingService svc;
    uint32_t peer_ts = 5000;

    explicit TwReuse(const tcp::EngineConfig& c) : h(c) {}

    tcp::Tcb* connect() {
        const uint32_t addrs[] = {kUs};
        tcp::Tcb* t = h.engine->connect(tcp::Engine::Source{addrs, kPort, kPort}, kPeer, 9000, &svc, h.now_us);
        h.engine->flush(h.now_us);
        return t;
    }
    SegmentSpec from_peer(uint8_t flags, uint32_t seq, uint32_t ack) {
        SegmentSpec s;
        s.src_port = 9000;
        s.dst_port = kPort;
        s.flags = flags;
        s.seq = seq;
        s.ack = ack;
        if (h.engine->config().timestamps) {
            s.opts.has_timestamps = true;
            s.opts.ts_val = peer_ts++;
        }
        return s;
    }
    // connect, the peer accepts, we close first, the peer's FIN: TIME_WAIT.
    // Returns our SYN.
    Sent open_and_close_first() {
        tcp::Tcb* t = connect();
        REQUIRE(t);
        Sent syn = h.pop();
        h.deliver(from_peer(kSyn | kAck, 7000, syn.seq.v + 1));
        REQUIRE(t->state == State::Established);
        h.engine->close(*t);
        h.engine->flush(h.now_us);
        h.sent.clear();
        h.deliver(from_peer(kAck | kFin, 7001, syn.seq.v + 2));
        REQUIRE(h.engine->find_time_wait({kPeer, kUs, 9000, kPort}) != nullptr);
        h.sent.clear();
        return syn;
    }
};

}  // namespace

TEST_CASE("tw_reuse: a connect takes over our TIME_WAIT tuple once the peer's last timestamp is 1 s old",
          "[tcp][active][tw_reuse]") {
    TwReuse r(one_port_config());
    Sent old_syn = r.open_and_close_first();
    r.h.advance_ms(999);
    CHECK(r.connect() == nullptr);  // too soon: the one port stays in TIME_WAIT
    CHECK(r.h.counters.TCPNoEphemeralPort == 1);
    CHECK(r.h.counters.TWRecycled == 0);
    r.h.advance_ms(1);
    tcp::Tcb* t = r.connect();
    REQUIRE(t);
    CHECK(r.h.counters.TWRecycled == 1);
    CHECK(r.h.counters.CurrTimeWait == 0);
    Sent syn = r.h.pop();
    CHECK(syn.flags == kSyn);
    CHECK(syn.key.lport == kPort);
    // The new ISS above everything the old connection sent (SYN, FIN: +2)...
    CHECK(syn.seq.v == old_syn.seq.v + 2 + 65535 + 2);
    // ...and our first timestamp above the old connection's.
    CHECK(static_cast<int32_t>(syn.opts.ts_val - old_syn.opts.ts_val) >= 1000);
}

TEST_CASE("tw_reuse: refused without timestamps, or when switched off", "[tcp][active][tw_reuse]") {
    auto [timestamps, tw_reuse] = GENERATE(std::pair{false, true}, std::pair{true, false});
    CAPTURE(timestamps, tw_reuse);
    TwReuse r(one_port_config(timestamps, tw_reuse));
    r.open_and_close_first();
    r.h.advance_ms(5000);
    CHECK(r.connect() == nullptr);
    CHECK(r.h.counters.TWRecycled == 0);
    CHECK(r.h.counters.TCPNoEphemeralPort == 1);
}

TEST_CASE("tw_reuse: a SYN-ACK older than the old connection's last timestamp is dropped (PAWS)",
          "[tcp][active][tw_reuse]") {
    TwReuse r(one_port_config());
    r.open_and_close_first();
    r.h.advance_ms(1000);
    tcp::Tcb* t = r.connect();
    REQUIRE(t);
    Sent syn = r.h.pop();
    r.peer_ts = 4000;  // from before the old connection's last segment
    r.h.deliver(r.from_peer(kSyn | kAck, 90000, syn.seq.v + 1));
    CHECK(r.h.counters.PAWSActive == 1);
    CHECK(t->state == State::SynSent);
    r.peer_ts = 6000;
    r.h.deliver(r.from_peer(kSyn | kAck, 90000, syn.seq.v + 1));
    CHECK(t->state == State::Established);
}

TEST_CASE("connect from a source pool: addresses in turn, ports in the caller's range",
          "[tcp][active]") {
    EngineHarness h;
    RecordingService svc;
    const uint32_t addrs[] = {kUs, kUs2};
    tcp::Engine::Source from{addrs, 50000, 50002};
    std::set<std::pair<uint32_t, uint16_t>> seen;
    for (int i = 0; i < 6; ++i) {
        tcp::Tcb* t = h.engine->connect(from, kPeer, 9000, &svc, h.now_us);
        REQUIRE(t);
        CHECK(t->key.laddr == addrs[i % 2]);
        CHECK(t->key.lport >= 50000);
        CHECK(t->key.lport <= 50002);
        seen.insert({t->key.laddr, t->key.lport});
    }
    CHECK(seen.size() == 6);  // 2 addresses x 3 ports, each once
    CHECK(h.engine->connect(from, kPeer, 9000, &svc, h.now_us) == nullptr);
    CHECK(h.counters.TCPNoEphemeralPort == 1);
}
