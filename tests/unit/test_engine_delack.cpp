// When the engine acknowledges what it receives (delayed ACKs, RFC 9293
// §3.8.6.3, RFC 5681 §4.2, RFC 1122 4.2.3.2) and when it holds back what it
// sends (Nagle, RFC 9293 §3.7.4), with the fake clock.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "lib/tcp/service.hpp"
#include "tests/common/connection_access.hpp"
#include "test_peer.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kPsh;

namespace {

// Reads everything; echoes it back once told to (a request answered in
// the same burst).
class EchoService final : public tcp::Service {
public:
    void on_accept(tcp::Connection c) override { conn = tcp::ConnectionTestAccess::tcb(c); }
    void on_data(tcp::Connection c) override {
        for (auto chunk = c.recv_front(); !chunk.empty(); chunk = c.recv_front()) {
            if (echo)
                c.send(chunk.data(), chunk.size());
            received += chunk.size();
            c.consume(chunk.size());
        }
    }
    void on_closed(tcp::Connection, tcp::CloseReason) override { conn = nullptr; }

    tcp::Tcb* conn = nullptr;
    bool echo = false;
    size_t received = 0;
};

// The engine's defaults with SACK compression (tcp.comp_sack_nr) set.
tcp::EngineConfig with_comp_sack_nr(uint8_t n) {
    tcp::EngineConfig config = EngineHarness::default_config();
    config.comp_sack_nr = n;
    return config;
}

// One connection through a listener of our own (nodelay as given), from a
// TestPeer with timestamps and, if asked, SACK and window scale (Linux's SYN).
struct Conn {
    static constexpr uint32_t kSegment = 1460 - 12;  // full-sized: our MSS less timestamps

    EngineHarness h;
    EchoService svc;
    std::optional<TestPeer> peer;
    uint32_t iss = 0;

    explicit Conn(bool sack_ws, std::optional<bool> nodelay = std::nullopt,
                  const tcp::EngineConfig& config = EngineHarness::default_config())
        : h(config) {
        tcp::Listener l;
        l.port = 80;
        l.service = &svc;
        l.cookies = cookie_mode_under_test();
        l.nodelay = nodelay;
        REQUIRE(h.engine->add_listener(l));
        peer.emplace(h, 40000, 80, true, sack_ws);
        iss = peer->iss;
        REQUIRE(svc.conn != nullptr);
        REQUIRE(svc.conn->state == tcp::State::Established);
    }
    uint32_t nxt() const { return peer->nxt; }
    SegmentSpec ack(uint32_t acked) {
        SegmentSpec s = peer->ack();
        s.ack = acked;
        return s;
    }
    // len bytes at nxt + skip; in order (skip 0) they move nxt.
    SegmentSpec data(uint32_t len, uint32_t skip = 0) { return peer->data(len, skip); }
    // The connection's first segments are acknowledged at once (Linux's
    // quick ACKs): 16 full-sized ones use them up.
    void use_quick_acks() {
        for (int i = 0; i < 16; ++i) {
            h.deliver(data(kSegment));
            Sent a = h.pop();
            REQUIRE(a.ack.v == nxt());
            REQUIRE(a.payload.empty());
        }
        REQUIRE(svc.conn->quick_acks == 0);
        REQUIRE(h.nothing_sent());
    }
    // One full-sized segment: no ACK until the delayed-ACK timer, which
    // sends it (returned).
    Sent one_segment_delayed() {
        h.deliver(data(kSegment));
        CHECK(h.nothing_sent());
        h.advance_ms(39);
        CHECK(h.nothing_sent());
        h.advance_ms(1);
        Sent a = h.pop();
        CHECK(a.ack.v == nxt());
        CHECK(h.counters.DelayedACKs == 1);
        return a;
    }
    void write(const std::string& s) {
        REQUIRE(h.engine->send(*svc.conn, s.data(), s.size()) == s.size());
        h.engine->flush(h.now_us);
    }
};

}  // namespace

TEST_CASE("delayed ACK: the first 16 segments are acknowledged at once, then one full-sized "
          "segment waits for tcp.delayed_ack_ms (RFC 9293 §3.8.6.3)", "[tcp][delack]") {
    Conn c(true);
    c.use_quick_acks();
    Sent a = c.one_segment_delayed();
    CHECK(a.flags == kAck);
    CHECK(a.payload.empty());
    CHECK(c.h.nothing_sent());
    c.h.advance_ms(100);
    CHECK(c.h.nothing_sent());  // nothing more is owed
}

// The window a peer without window scaling sees is at most 65535 and
// already advertised whole: the service reading a segment cannot open it,
// so no window update is owed and the segment's ACK may wait like any other.
TEST_CASE("delayed ACK: without window scaling, a segment the service reads still waits for "
          "tcp.delayed_ack_ms (RFC 9293 §3.8.6.2.2: no window update that moves nothing)",
          "[tcp][delack]") {
    Conn c(false);
    REQUIRE_FALSE(c.svc.conn->ws_ok);
    c.use_quick_acks();
    CHECK(c.one_segment_delayed().window == 65535);
}

TEST_CASE("delayed ACK: a second full-sized segment is acknowledged at once (RFC 5681 §4.2: "
          "an ACK for at least every second full-sized segment)", "[tcp][delack]") {
    Conn c(true);
    c.use_quick_acks();
    c.h.deliver(c.data(Conn::kSegment));
    CHECK(c.h.nothing_sent());
    c.h.deliver(c.data(Conn::kSegment));
    Sent a = c.h.pop();
    CHECK(a.ack.v == c.nxt());  // both
    CHECK(c.h.nothing_sent());
    c.h.advance_ms(100);
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.DelayedACKs == 0);
}

TEST_CASE("delayed ACK: an out-of-order segment is acknowledged at once with SACK, and so is "
          "the segment that fills the hole (RFC 5681 §4.2, RFC 2018 §4)",
          "[tcp][delack][sack]") {
    Conn c(true);
    c.use_quick_acks();
    uint32_t hole = c.nxt();
    c.h.deliver(c.data(Conn::kSegment, Conn::kSegment));
    Sent dup = c.h.pop();
    CHECK(dup.ack.v == hole);
    REQUIRE(dup.opts.sack_count == 1);
    CHECK(dup.opts.sack[0].left == hole + Conn::kSegment);
    CHECK(dup.opts.sack[0].right == hole + 2 * Conn::kSegment);
    CHECK(c.h.nothing_sent());
    c.h.deliver(c.data(Conn::kSegment));  // fills the hole
    Sent filled = c.h.pop();
    CHECK(filled.ack.v == hole + 2 * Conn::kSegment);
    CHECK(filled.opts.sack_count == 0);
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.DelayedACKs == 0);
}

TEST_CASE("delayed ACK: in one receive burst, every out-of-order segment gets an ACK of its own "
          "whose first SACK block holds it (RFC 5681 §4.2, RFC 2018 §4)",
          "[tcp][delack][sack]") {
    // Five runs opened by one burst: one ACK for the burst could report at
    // most 3 of them (with timestamps), and the sender would retransmit the
    // others.
    Conn c(true);
    c.use_quick_acks();
    uint32_t hole = c.nxt();
    std::vector<SegmentSpec> burst;
    for (uint32_t i = 1; i <= 5; ++i)
        burst.push_back(c.data(Conn::kSegment, 2 * i * Conn::kSegment));
    c.h.deliver_burst(burst);
    for (uint32_t i = 1; i <= 5; ++i) {
        Sent dup = c.h.pop();
        INFO("ACK " << i);
        CHECK(dup.ack.v == hole);
        REQUIRE(dup.opts.sack_count >= 1);
        CHECK(dup.opts.sack[0].left == hole + 2 * i * Conn::kSegment);
        CHECK(dup.opts.sack[0].right == hole + (2 * i + 1) * Conn::kSegment);
    }
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.TCPOFOAcks == 5);

    // Two retransmissions filling the first hole (two segments long) in one
    // burst: an ACK for each, as holes remain behind it.
    c.h.deliver_burst({c.data(Conn::kSegment), c.data(Conn::kSegment)});
    Sent first = c.h.pop(), second = c.h.pop();
    CHECK(first.ack.v == hole + Conn::kSegment);
    CHECK(second.ack.v == hole + 3 * Conn::kSegment);  // the first run joined
    CHECK(second.opts.sack_count == 3);  // four runs left, three fit beside TS
    CHECK(c.h.nothing_sent());
}

TEST_CASE("delayed ACK: a burst of out-of-order segments that extends one run gets an ACK per "
          "segment without SACK compression, its block growing; a duplicate's D-SACK is never "
          "overwritten unsent (RFC 2883 §4)", "[tcp][delack][sack]") {
    Conn c(true, std::nullopt, with_comp_sack_nr(0));
    c.use_quick_acks();
    uint32_t hole = c.nxt();
    std::vector<SegmentSpec> burst;
    for (uint32_t i = 1; i <= 6; ++i)
        burst.push_back(c.data(Conn::kSegment, i * Conn::kSegment));
    c.h.deliver_burst(burst);
    for (uint32_t i = 1; i <= 6; ++i) {
        Sent a = c.h.pop();
        CHECK(a.ack.v == hole);
        REQUIRE(a.opts.sack_count == 1);
        CHECK(a.opts.sack[0].left == hole + Conn::kSegment);
        CHECK(a.opts.sack[0].right == hole + (i + 1) * Conn::kSegment);
    }
    CHECK(c.h.counters.TCPAckCompressed == 0);
    CHECK(c.h.nothing_sent());

    // Two old segments again in one burst: a D-SACK block for each, in two ACKs.
    SegmentSpec dup1 = c.peer->ack(), dup2 = c.peer->ack();
    dup1.seq = hole - 2 * Conn::kSegment;
    dup2.seq = hole - Conn::kSegment;
    dup1.payload.assign(Conn::kSegment, 'q');
    dup2.payload.assign(Conn::kSegment, 'q');
    c.h.deliver_burst({dup1, dup2});
    Sent d1 = c.h.pop(), d2 = c.h.pop();
    REQUIRE(d1.opts.sack_count >= 2);
    REQUIRE(d2.opts.sack_count >= 2);
    CHECK(d1.opts.sack[0].left == hole - 2 * Conn::kSegment);
    CHECK(d2.opts.sack[0].left == hole - Conn::kSegment);
    CHECK(d2.opts.sack[1].left == hole + Conn::kSegment);  // the run still held
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.TCPDSACKOldSent == 2);
}

TEST_CASE("delayed ACK: without SACK every out-of-order segment of a burst is a duplicate ACK "
          "of its own (RFC 5681 §4.2)", "[tcp][delack]") {
    Conn c(false);
    c.use_quick_acks();
    uint32_t hole = c.nxt();
    std::vector<SegmentSpec> burst;
    for (uint32_t i = 1; i <= 4; ++i)
        burst.push_back(c.data(Conn::kSegment, i * Conn::kSegment));
    c.h.deliver_burst(burst);
    for (int i = 0; i < 4; ++i) {
        Sent dup = c.h.pop();
        CHECK(dup.ack.v == hole);
        CHECK(dup.opts.sack_count == 0);
    }
    CHECK(c.h.nothing_sent());
}

TEST_CASE("delayed ACK: a duplicate segment is acknowledged at once with a D-SACK block "
          "(RFC 2883 §4)", "[tcp][delack][sack]") {
    Conn c(true);
    c.use_quick_acks();
    SegmentSpec again = c.peer->ack();  // the last of the 16 once more
    again.seq = c.nxt() - Conn::kSegment;
    again.payload.assign(Conn::kSegment, 'q');
    c.h.deliver(again);
    Sent a = c.h.pop();
    CHECK(a.ack.v == c.nxt());
    REQUIRE(a.opts.sack_count == 1);
    CHECK(a.opts.sack[0].left == c.nxt() - Conn::kSegment);
    CHECK(a.opts.sack[0].right == c.nxt());
    CHECK(c.h.counters.TCPDSACKOldSent == 1);
    CHECK(c.h.nothing_sent());
    CHECK(c.svc.received == 16 * Conn::kSegment);  // not delivered twice
}

TEST_CASE("delayed ACK: a segment partly below RCV.NXT is acknowledged at once with a D-SACK "
          "block for the repeated part (RFC 2883 §4.1.3)", "[tcp][delack][sack]") {
    Conn c(true);
    c.use_quick_acks();
    uint32_t old_nxt = c.nxt();
    SegmentSpec overlap = c.data(Conn::kSegment - 100);  // 1348 new bytes
    overlap.seq -= 100;  // after 100 again
    overlap.payload.assign(Conn::kSegment, 'q');
    c.h.deliver(overlap);
    Sent a = c.h.pop();
    CHECK(a.ack.v == c.nxt());
    REQUIRE(a.opts.sack_count == 1);
    CHECK(a.opts.sack[0].left == old_nxt - 100);
    CHECK(a.opts.sack[0].right == old_nxt);
    CHECK(c.h.counters.TCPDSACKOldSent == 1);
    CHECK(c.h.nothing_sent());
    CHECK(c.svc.received == 16 * Conn::kSegment + Conn::kSegment - 100);
}

TEST_CASE("delayed ACK: data the service sends in answer carries the ACK: no pure ACK "
          "(RFC 9293 §3.8.6.3)", "[tcp][delack]") {
    Conn c(true);
    c.use_quick_acks();
    c.svc.echo = true;
    c.h.deliver(c.data(100));
    Sent answer = c.h.pop();
    CHECK(answer.payload.size() == 100);
    CHECK(answer.seq.v == c.iss + 1);
    CHECK(answer.ack.v == c.nxt());
    CHECK(answer.has(kAck));
    CHECK(c.h.nothing_sent());
    c.h.advance_ms(100);
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.DelayedACKs == 0);
}

TEST_CASE("Nagle: with nodelay off a small write waits while data is unacknowledged and goes "
          "with the ACK (RFC 9293 §3.7.4)", "[tcp][delack][nagle]") {
    Conn c(false, false);
    REQUIRE_FALSE(c.svc.conn->nodelay);
    c.write("abc");
    Sent first = c.h.pop();  // nothing in flight: it goes
    CHECK(first.payload == "abc");
    c.write("def");
    c.write("ghi");
    CHECK(c.h.nothing_sent());
    c.h.deliver(c.ack(c.iss + 4));
    Sent second = c.h.pop();
    CHECK(second.seq.v == c.iss + 4);
    CHECK(second.payload == "defghi");  // the small writes coalesced
    CHECK(c.h.nothing_sent());
}

TEST_CASE("Nagle: with nodelay (the default) every write goes at once", "[tcp][delack][nagle]") {
    Conn c(false);
    REQUIRE(c.svc.conn->nodelay);
    c.write("abc");
    c.write("def");
    Sent first = c.h.pop();
    Sent second = c.h.pop();
    CHECK(first.payload == "abc");
    CHECK(second.seq.v == c.iss + 4);
    CHECK(second.payload == "def");
    CHECK(c.h.nothing_sent());
}

TEST_CASE("SACK compression: after three duplicate ACKs for a hole, segments that only grow the "
          "newest run share the ACK at the end of the burst, at most tcp.comp_sack_nr of them "
          "(Linux's tcp_comp_sack_nr)", "[tcp][delack][sack]") {
    Conn c(true, std::nullopt, with_comp_sack_nr(4));
    c.use_quick_acks();
    uint32_t hole = c.nxt();
    auto block_right = [&](uint32_t segments) { return hole + (segments + 1) * Conn::kSegment; };

    // Ten segments beyond the hole, one run: three duplicate ACKs at once,
    // four folded, the fifth candidate sent (the cap), then two folded into
    // the ACK at the end of the burst.
    std::vector<SegmentSpec> burst;
    for (uint32_t i = 1; i <= 10; ++i)
        burst.push_back(c.data(Conn::kSegment, i * Conn::kSegment));
    c.h.deliver_burst(burst);
    for (uint32_t segments : {1u, 2u, 3u, 8u, 10u}) {
        INFO("the ACK once " << segments << " segments are held");
        Sent a = c.h.pop();
        CHECK(a.ack.v == hole);
        REQUIRE(a.opts.sack_count == 1);
        CHECK(a.opts.sack[0].left == hole + Conn::kSegment);
        CHECK(a.opts.sack[0].right == block_right(segments));
    }
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.TCPAckCompressed == 6);

    // A new run beyond a second hole is never folded: its ACK reports it
    // first, the grown run second.
    c.h.deliver(c.data(Conn::kSegment, 12 * Conn::kSegment));
    Sent fresh = c.h.pop();
    REQUIRE(fresh.opts.sack_count == 2);
    CHECK(fresh.opts.sack[0].left == hole + 12 * Conn::kSegment);
    CHECK(fresh.opts.sack[1].right == block_right(10));
    CHECK(c.h.nothing_sent());

    // The hole filled: RCV.NXT moves, the ACK goes at once (RFC 5681 §4.2),
    // and the next segments beyond the remaining hole count three
    // duplicate ACKs again before any is folded.
    c.h.deliver(c.data(Conn::kSegment));
    Sent filled = c.h.pop();
    CHECK(filled.ack.v == block_right(10));
    while (!c.h.nothing_sent())  // the window update once the service read
        CHECK(c.h.pop().ack.v == block_right(10));
    uint64_t folded = c.h.counters.TCPAckCompressed;
    std::vector<SegmentSpec> more;
    for (uint32_t i = 13; i <= 16; ++i)  // RCV.NXT is one segment on: these join the run at 12
        more.push_back(c.data(Conn::kSegment, (i - 1) * Conn::kSegment));
    c.h.deliver_burst(more);
    for (int i = 0; i < 3; ++i)
        c.h.pop();
    Sent last = c.h.pop();  // the end of the burst: the fourth folded in
    REQUIRE(last.opts.sack_count >= 1);
    CHECK(last.opts.sack[0].right == hole + 17 * Conn::kSegment);
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.TCPAckCompressed == folded + 1);
}

TEST_CASE("SACK compression: never for a sender without SACK, whose duplicate ACKs are its only "
          "signal (RFC 5681 §4.2)", "[tcp][delack]") {
    Conn c(false);
    c.use_quick_acks();
    std::vector<SegmentSpec> burst;
    for (uint32_t i = 1; i <= 8; ++i)
        burst.push_back(c.data(Conn::kSegment, i * Conn::kSegment));
    c.h.deliver_burst(burst);
    for (int i = 0; i < 8; ++i)
        CHECK_FALSE(c.h.pop().opts.sack_count);
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.TCPAckCompressed == 0);
}
