// Listener rules: address binding, foreign-address restriction, SYN queue and
// accept queue bounds (RFC 9293 §3.10.7.2; Linux listen(2) semantics).
#include <catch2/catch.hpp>

#include "app/services/hold.hpp"
#include "engine_harness.hpp"
#include "recording_service.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kRst;
using tcp::kSyn;
using tcp::State;

namespace {

SegmentSpec syn_from(uint16_t port, uint32_t src = 0xC6120002, uint16_t dst_port = 80) {
    SegmentSpec s;
    s.seq = 1000;
    s.flags = kSyn;
    s.src_port = port;
    s.src = src;
    s.dst_port = dst_port;
    return s;
}

SegmentSpec third_ack(const SegmentSpec& syn, const Sent& synack) {
    SegmentSpec a = syn;
    a.flags = kAck;
    a.seq = syn.seq + 1;
    a.ack = synack.seq.v + 1;
    return a;
}

}  // namespace

TEST_CASE("LISTEN: a specific address wins over the wildcard on the same port", "[tcp][listen]") {
    EngineHarness h;
    RecordingService wildcard, specific;
    h.listen(80, &wildcard);
    h.listen(80, &specific, 0xC6120001);
    auto syn = syn_from(40000);
    h.deliver(syn);
    h.deliver(third_ack(syn, h.pop()));
    CHECK(specific.conn != nullptr);
    CHECK(wildcard.conn == nullptr);
    CHECK_FALSE(h.engine->add_listener(tcp::Listener{0, 80}));  // the same binding twice
}

TEST_CASE("listener index: specific beats wildcard whatever the order; other ports and "
          "addresses miss", "[tcp][listen][vip]") {
    constexpr uint32_t kVip1 = 0xC6120001, kVip2 = 0xC612000A, kVip3 = 0xC612000B;
    tcp::ListenerIndex idx;
    CHECK(idx.add(kVip1, 80, 0));
    CHECK(idx.add(0, 80, 1));
    CHECK(idx.add(kVip2, 80, 2));
    CHECK(idx.add(kVip2, 443, 3));
    CHECK(idx.add(0, 65535, 4));
    CHECK_FALSE(idx.add(kVip2, 80, 5));  // taken
    CHECK_FALSE(idx.add(0, 80, 5));
    CHECK(idx.find(kVip1, 80) == 0);
    CHECK(idx.find(kVip2, 80) == 2);
    CHECK(idx.find(kVip3, 80) == 1);        // no binding of its own: the wildcard
    CHECK(idx.find(kVip2, 443) == 3);
    CHECK(idx.find(kVip1, 443) == tcp::ListenerIndex::kNone);  // bound to another VIP only
    CHECK(idx.find(kVip1, 81) == tcp::ListenerIndex::kNone);
    CHECK(idx.find(kVip3, 65535) == 4);
    CHECK(idx.find(kVip3, 0) == tcp::ListenerIndex::kNone);

    tcp::ListenerIndex full;
    for (uint16_t i = 0; i < tcp::ListenerIndex::kMax; ++i)
        CHECK(full.add(0, static_cast<uint16_t>(1000 + i), i));
    CHECK_FALSE(full.add(0, 2000, 99));
    CHECK(full.find(kVip1, 1000 + tcp::ListenerIndex::kMax - 1) == tcp::ListenerIndex::kMax - 1);
}

TEST_CASE("LISTEN: two VIPs on one port reach their own listeners; a VIP without one on the "
          "port is reset", "[tcp][listen][vip]") {
    constexpr uint32_t kVip1 = 0xC6120001, kVip2 = 0xC612000A, kVip3 = 0xC612000B;
    EngineHarness h;
    RecordingService one, two;
    h.listen(80, &one, kVip1);
    h.listen(80, &two, kVip2);
    for (auto [vip, port] : {std::pair{kVip1, uint16_t{40001}}, std::pair{kVip2, uint16_t{40002}}}) {
        auto syn = syn_from(port);
        syn.dst = vip;
        h.deliver(syn);
        Sent synack = h.pop();
        CHECK(synack.has(kSyn));
        CHECK(synack.has(kAck));
        CHECK(synack.key.laddr == vip);  // answered from the address asked for
        auto ack = third_ack(syn, synack);
        h.deliver(ack);
    }
    REQUIRE(one.conn != nullptr);
    REQUIRE(two.conn != nullptr);
    CHECK(one.conn->key.laddr == kVip1);
    CHECK(two.conn->key.laddr == kVip2);

    auto stray = syn_from(40003);
    stray.dst = kVip3;
    h.deliver(stray);
    Sent rst = h.pop();
    CHECK(rst.has(kRst));
    CHECK(h.counters.TCPNoListener == 1);
}

TEST_CASE("LISTEN: peers outside the allowed prefixes get RST, or nothing", "[tcp][listen]") {
    for (bool rst : {true, false}) {
        EngineHarness h;
        RecordingService svc;
        tcp::Listener l;
        l.port = 80;
        l.service = &svc;
        l.allowed[0] = {0xC6120000, 25};  // 198.18.0.0/25
        l.allowed_count = 1;
        l.reject_with_rst = rst;
        l.cookies = cookie_mode_under_test();
        REQUIRE(h.engine->add_listener(l));
        h.deliver(syn_from(40000, 0xC6120002));  // inside
        CHECK(h.pop().flags == (kSyn | kAck));
        h.deliver(syn_from(40001, 0xC61200F0));  // 198.18.0.240: outside
        if (rst) {
            Sent r = h.pop();
            CHECK(r.flags == (kRst | kAck));
            CHECK(r.ack.v == 1001);
        } else {
            CHECK(h.nothing_sent());
        }
        CHECK(h.counters.TCPForeignRejected == 1);
        CHECK(h.counters.ListenDrops == 1);
    }
}

TEST_CASE("LISTEN: a full SYN queue drops further SYNs, counted", "[tcp][listen][stateful]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc, 0, 3);
    for (uint16_t p = 0; p < 5; ++p)
        h.deliver(syn_from(static_cast<uint16_t>(40000 + p)));
    CHECK(h.sent.size() == 3);
    CHECK(h.counters.TCPReqQFullDrop == 2);
    CHECK(h.counters.ListenDrops == 2);
    CHECK(h.engine->connection_count() == 3);
}

TEST_CASE("SYN_RECEIVED: a service that never accepts fills the accept queue; further "
          "handshakes stay half-open", "[tcp][listen][stateful]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.rcvbuf = 4096;
    EngineHarness h(cfg);
    app::HoldService hold;
    tcp::Listener l;
    l.port = 8000;
    l.service = &hold;
    l.accept_backlog = 2;
    l.cookies = cookie_mode_under_test();
    REQUIRE(h.engine->add_listener(l));
    for (uint16_t p = 0; p < 3; ++p) {
        auto syn = syn_from(static_cast<uint16_t>(40000 + p), 0xC6120002, 8000);
        h.deliver(syn);
        h.deliver(third_ack(syn, h.pop()));
    }
    CHECK(h.conn(40000, 8000)->state == State::Established);
    CHECK(h.conn(40001, 8000)->state == State::Established);
    CHECK(h.conn(40002, 8000)->state == State::SynReceived);  // its ACK was ignored
    CHECK(h.counters.ListenOverflows == 1);
    // Data for a queued connection waits unread; the window closes on it.
    SegmentSpec data = third_ack(syn_from(40000, 0xC6120002, 8000), Sent{});
    data.ack = h.conn(40000, 8000)->snd_una.v;
    data.payload = std::string(1000, 'q');
    h.deliver(data);
    CHECK(h.conn(40000, 8000)->recvq.bytes == 1000);
    CHECK(h.pop().window == 4096 - 1000);
    // A queued connection that is reset frees its place.
    SegmentSpec rst = data;
    rst.flags = kRst;
    rst.seq = 1001 + 1000;
    rst.payload.clear();
    h.deliver(rst);
    CHECK(h.conn(40000, 8000) == nullptr);
    h.advance_ms(1000);  // the half-open one's SYN-ACK is retransmitted
    Sent again = h.pop();
    CHECK(again.flags == (kSyn | kAck));
    h.deliver(third_ack(syn_from(40002, 0xC6120002, 8000), again));
    CHECK(h.conn(40002, 8000)->state == State::Established);
}

TEST_CASE("SYN_RECEIVED: with abort_on_overflow a full accept queue answers RST", "[tcp][listen]") {
    EngineHarness h;
    app::HoldService hold;
    tcp::Listener l;
    l.port = 8000;
    l.service = &hold;
    l.accept_backlog = 1;
    l.abort_on_overflow = true;
    l.cookies = cookie_mode_under_test();
    REQUIRE(h.engine->add_listener(l));
    for (uint16_t p = 0; p < 2; ++p) {
        auto syn = syn_from(static_cast<uint16_t>(40000 + p), 0xC6120002, 8000);
        h.deliver(syn);
        h.deliver(third_ack(syn, h.pop()));
    }
    CHECK(h.pop().has(kRst));
    CHECK(h.conn(40001, 8000) == nullptr);
    CHECK(h.counters.ListenOverflows == 1);
}
