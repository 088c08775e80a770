// Segment hygiene and side channels (issue "hostile peers"): illegal flag
// combinations, segments a synchronized connection must not take, replies
// to invalid segments limited per connection (Linux's
// tcp_invalid_ratelimit), challenge ACKs that reveal nothing about other
// connections (RFC 5961 §7, CVE-2016-5696), and IPv4 IDs that reveal no
// counter (RFC 6864, RFC 7739).
#include <catch2/catch.hpp>

#include <set>

#include "engine_harness.hpp"
#include "recording_service.hpp"
#include "test_peer.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::kPsh;
using tcp::kRst;
using tcp::kSyn;

namespace {

uint16_t ip_id_of(const Sent& s) {
    return static_cast<uint16_t>(s.datagram[4] << 8 | s.datagram[5]);
}

SegmentSpec bare(uint8_t flags, uint16_t dst_port = 80) {
    SegmentSpec s;
    s.seq = 777;
    s.flags = flags;
    s.dst_port = dst_port;
    return s;
}

}  // namespace

TEST_CASE("hygiene: SYN with FIN or RST is dropped and counted at a listener, a closed port "
          "and a connection",
          "[tcp][hygiene]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    h.deliver(bare(kSyn | kFin));       // listener
    h.deliver(bare(kSyn | kRst));
    h.deliver(bare(kSyn | kFin, 81));   // closed port
    CHECK(h.nothing_sent());
    CHECK(h.engine->connection_count() == 0);
    TestPeer p(h, 40001);
    SegmentSpec synfin = p.ack();
    synfin.flags = kSyn | kFin | kAck;
    h.deliver(synfin);                  // connection: no challenge ACK either
    CHECK(h.nothing_sent());
    CHECK(h.counters.TCPBadFlags == 4);
    CHECK(h.counters.SynsReceived == 1);  // only the peer's real SYN
}

TEST_CASE("hygiene: a segment without ACK on a synchronized connection is dropped and counted",
          "[tcp][hygiene]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    TestPeer p(h, 40001);
    SegmentSpec data = p.data(5);
    data.flags = kPsh;  // no ACK
    h.deliver(data);
    CHECK(svc.received.empty());
    CHECK(h.nothing_sent());
    CHECK(h.counters.TCPAckMissing == 1);
}

TEST_CASE("hygiene: on a timestamped connection a segment without a timestamp is dropped, "
          "a RST without one is still taken (RFC 7323 §3.2)",
          "[tcp][hygiene]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    TestPeer p(h, 40001, 80, true);
    REQUIRE(h.conn(40001)->ts_ok);
    SegmentSpec data = p.data(5);
    data.opts.has_timestamps = false;
    h.deliver(data);
    CHECK(svc.received.empty());
    CHECK(h.nothing_sent());
    CHECK(h.counters.PAWSNoTimestamp == 1);
    SegmentSpec rst = p.ack();
    rst.seq = TestPeer::kIsn + 1;
    rst.flags = kRst;
    rst.opts.has_timestamps = false;
    h.deliver(rst);
    CHECK(h.conn(40001) == nullptr);
    CHECK(h.counters.InRsts == 1);
}

TEST_CASE("side channels: ACKs to out-of-window segments go out once per "
          "tcp.invalid_ratelimit on each connection; duplicate data is always answered",
          "[tcp][hygiene]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    TestPeer p(h, 40001);
    SegmentSpec old = p.ack();
    old.seq = TestPeer::kIsn - 5000;  // far below RCV.NXT
    for (int i = 0; i < 10; ++i)
        h.deliver(old);
    CHECK(h.sent.size() == 1);
    CHECK(h.counters.TCPSeqOutOfWindow == 10);
    CHECK(h.counters.TCPACKSkippedSeq == 9);
    h.sent.clear();
    h.advance_ms(500);
    h.deliver(old);
    CHECK(h.sent.size() == 1);  // a new interval
    h.sent.clear();
    // Data the receiver already has (a spurious retransmission): every copy
    // gets its duplicate ACK, which the sender's recovery relies on.
    SegmentSpec data = p.data(10);
    h.deliver(data);
    h.sent.clear();
    for (int i = 0; i < 5; ++i)
        h.deliver(data);
    CHECK(h.sent.size() == 5);
}

TEST_CASE("side channels: challenge ACKs are limited per connection, so spoofed RSTs at "
          "one connection do not change what another draws (RFC 5961 §7)",
          "[tcp][hygiene]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    TestPeer victim(h, 40001), attacker(h, 40002);
    auto in_window_rst = [](TestPeer& p) {
        SegmentSpec rst = p.ack();
        rst.seq = p.nxt + 100;  // in the window, not at RCV.NXT
        rst.flags = kRst;
        return rst;
    };
    auto probe = [&]() {  // 20 in-window RSTs on the attacker's own connection
        h.sent.clear();
        for (int i = 0; i < 20; ++i)
            h.deliver(in_window_rst(attacker));
        size_t n = h.sent.size();
        h.sent.clear();
        return n;
    };
    size_t quiet = probe();
    h.advance_ms(1000);
    for (int i = 0; i < 2000; ++i)  // the off-path attacker's spoofed RSTs at the victim
        h.deliver(in_window_rst(victim));
    h.sent.clear();
    size_t after_spoofing = probe();
    CHECK(quiet == 1);
    CHECK(after_spoofing == quiet);
    CHECK(h.conn(40001) != nullptr);  // the victim lives on
    CHECK(h.counters.TCPACKSkippedChallenge >= 2000 - 1 + 2 * 19);
}

TEST_CASE("side channels: the worker's challenge ACK budget per second is drawn at random "
          "around tcp.challenge_ack_limit",
          "[tcp][hygiene]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.challenge_ack_per_second = 10;
    EngineHarness h(cfg);
    RecordingService svc;
    h.listen(80, &svc);
    std::vector<TestPeer> peers;
    for (uint16_t i = 0; i < 40; ++i)
        peers.emplace_back(h, static_cast<uint16_t>(41000 + i));
    std::set<uint64_t> budgets;
    for (int second = 0; second < 8; ++second) {
        h.advance_ms(1000);
        h.sent.clear();
        uint64_t before = h.counters.TCPChallengeACK;
        for (TestPeer& p : peers) {  // one SYN each: a challenge per connection
            SegmentSpec syn = p.ack();
            syn.flags = kSyn;
            h.deliver(syn);
        }
        uint64_t sent = h.counters.TCPChallengeACK - before;
        CHECK(sent >= 5);
        CHECK(sent < 15);
        CHECK(h.sent.size() == sent);
        budgets.insert(sent);
    }
    CHECK(budgets.size() > 1);  // not one fixed number an attacker could count against
}

TEST_CASE("side channels: IPv4 IDs count per connection from a random start; replies "
          "without a connection carry 0 (RFC 6864, RFC 7739)",
          "[tcp][hygiene]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    std::set<uint16_t> starts;
    for (uint16_t i = 0; i < 8; ++i) {
        TestPeer p(h, static_cast<uint16_t>(42000 + i));
        h.deliver(p.data(10));
        Sent first = h.pop();
        h.deliver(p.data(10));
        Sent second = h.pop();
        CHECK(static_cast<uint16_t>(ip_id_of(first) + 1) == ip_id_of(second));
        starts.insert(ip_id_of(first));
    }
    CHECK(starts.size() >= 7);  // random starts, not one shared counter
    h.deliver(bare(kAck, 81));  // closed port: RST in place
    Sent rst = h.pop();
    CHECK(rst.has(kRst));
    CHECK(ip_id_of(rst) == 0);
}
