// ESTABLISHED: data in both directions, reassembly and SACK, the window,
// and the RFC 5961 checks on RST and SYN.
// Test names read "<state>: <event>"; each cites the rule it checks.
#include <catch2/catch.hpp>

#include <algorithm>

#include "state_fixtures.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::kPsh;
using tcp::kRst;
using tcp::kSyn;
using tcp::State;

TEST_CASE("ESTABLISHED: data is acknowledged and delivered in order", "[tcp][data]") {
    Established c;
    c.h.deliver(c.data("hello "));
    Sent ack = c.h.pop();
    CHECK(ack.flags == kAck);
    CHECK(ack.ack.v == kPeerIsn + 1 + 6);
    c.peer_nxt += 6;
    c.h.deliver(c.data("world"));
    CHECK(c.h.pop().ack.v == kPeerIsn + 1 + 11);
    CHECK(c.svc.received == "hello world");
}

TEST_CASE("ESTABLISHED: a duplicate segment is re-ACKed and not delivered twice", "[tcp][data]") {
    Established c;
    c.h.deliver(c.data("abc"));
    c.h.pop();
    c.h.deliver(c.data("abc"));  // same sequence number again
    CHECK(c.h.pop().ack.v == kPeerIsn + 4);
    CHECK(c.svc.received == "abc");
}

TEST_CASE("ESTABLISHED: out-of-order segments are held, reported in SACK blocks, and delivered "
          "when the hole fills (RFC 2018 §4)", "[tcp][data][sack][stateful]") {
    Established c(EngineHarness::default_config(), true);
    uint32_t base = c.peer_nxt;
    auto at = [&](uint32_t offset, const std::string& text) {
        SegmentSpec s = c.data(text);
        s.seq = base + offset;
        return s;
    };
    c.h.deliver(at(10, "KLMNO"));          // hole at 0..9
    Sent dup = c.h.pop();
    CHECK(dup.ack.v == base);              // a duplicate ACK, sent at once
    REQUIRE(dup.opts.sack_count == 1);
    CHECK(dup.opts.sack[0].left == base + 10);
    CHECK(dup.opts.sack[0].right == base + 15);
    c.h.deliver(at(20, "UVWXY"));          // a second island
    Sent dup2 = c.h.pop();
    REQUIRE(dup2.opts.sack_count == 2);
    CHECK(dup2.opts.sack[0].left == base + 20);  // the newest block first
    CHECK(dup2.opts.sack[1].left == base + 10);
    c.h.deliver(at(12, "MNOPQRST"));       // overlaps the first, bridges to the second
    Sent dup3 = c.h.pop();
    REQUIRE(dup3.opts.sack_count == 1);
    CHECK(dup3.opts.sack[0].left == base + 10);
    CHECK(dup3.opts.sack[0].right == base + 25);
    CHECK(c.svc.received.empty());
    c.h.deliver(at(0, "ABCDEFGHIJ"));      // fills the hole
    Sent ack = c.h.pop();
    CHECK(ack.ack.v == base + 25);
    CHECK(ack.opts.sack_count == 0);
    CHECK(c.svc.received == "ABCDEFGHIJKLMNOPQRSTUVWXY");
    CHECK(c.h.counters.TCPOFOQueue == 3);
    CHECK(c.h.counters.TCPOFOMerge == 3);
}

TEST_CASE("ESTABLISHED: without SACK an out-of-order segment still waits for the hole",
          "[tcp][data]") {
    Established c;
    uint32_t base = c.peer_nxt;
    SegmentSpec later = c.data("world");
    later.seq = base + 6;
    c.h.deliver(later);
    Sent dup = c.h.pop();
    CHECK(dup.ack.v == base);
    CHECK(dup.opts.sack_count == 0);
    c.h.deliver(c.data("hello "));
    CHECK(c.h.pop().ack.v == base + 11);
    CHECK(c.svc.received == "hello world");
}

TEST_CASE("ESTABLISHED: a FIN beyond a hole is taken once the hole fills (RFC 9293 §3.10.7.4 "
          "eighth)", "[tcp][data][close]") {
    for (bool fin_carries_data : {true, false}) {
        Established c;
        uint32_t base = c.peer_nxt;
        SegmentSpec later = c.data(fin_carries_data ? "world" : "");
        later.seq = base + 6;
        later.flags |= kFin;
        c.h.deliver(later);
        CHECK(c.h.pop().ack.v == base);  // duplicate ACK: the hole is still there
        CHECK(c.svc.conn->state == State::Established);
        SegmentSpec hole = c.data(fin_carries_data ? "hello " : "hello!");
        c.h.deliver(hole);
        uint32_t end = base + 6 + (fin_carries_data ? 5 : 0);
        CHECK(c.h.pop().ack.v == end + 1);  // the data and the FIN, at once
        CHECK(c.svc.conn->state == State::CloseWait);
        CHECK(c.svc.saw("peer_shutdown"));
        CHECK(c.svc.received == (fin_carries_data ? "hello world" : "hello!"));
    }
}

TEST_CASE("ESTABLISHED: data beyond the window is trimmed, not queued", "[tcp][data]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.rcvbuf = 1500;
    Established c(cfg);
    c.svc.read_data = false;
    c.h.deliver(c.data(std::string(1900, 'z')));
    Sent ack = c.h.pop();
    CHECK(ack.ack.v == c.peer_nxt + 1500);
    CHECK(ack.window == 0);
    CHECK(c.h.counters.TCPRcvWndTrimmed == 1900 - 1500);
}

TEST_CASE("ESTABLISHED: service data goes out in MSS segments and is freed when ACKed",
          "[tcp][data][stateful]") {
    Established c;
    std::string blob(3000, 'x');
    REQUIRE(c.h.engine->send(*c.svc.conn, blob.data(), blob.size()) == blob.size());
    c.h.engine->flush(c.h.now_us);
    Sent s1 = c.h.pop(), s2 = c.h.pop(), s3 = c.h.pop();
    CHECK(s1.payload.size() == 1400);  // the peer's MSS
    CHECK(s2.payload.size() == 1400);
    CHECK(s3.payload.size() == 200);
    CHECK(s3.has(kPsh));
    CHECK(s1.seq.v == c.iss + 1);
    CHECK(s2.seq.v == c.iss + 1401);
    c.h.deliver(c.ack(c.iss + 1 + 3000));
    CHECK(c.svc.conn->sendq.bytes == 0);
    CHECK(c.svc.conn->snd_una.v == c.iss + 3001);
}

TEST_CASE("ESTABLISHED: RST with exact sequence resets; in-window RST gets a challenge ACK "
          "(RFC 5961 §3.2)", "[tcp][rst][rfc5961]") {
    Established c;
    SegmentSpec rst = c.ack();
    rst.flags = kRst;
    rst.seq = c.peer_nxt + 10;
    c.h.deliver(rst);
    Sent challenge = c.h.pop();
    CHECK(challenge.flags == kAck);
    CHECK(challenge.ack.v == c.peer_nxt);
    CHECK(c.h.counters.TCPChallengeACK == 1);
    CHECK(c.svc.conn != nullptr);
    rst.seq = c.peer_nxt;
    c.h.deliver(rst);
    CHECK(c.h.nothing_sent());
    CHECK(c.svc.saw("closed:reset"));
    CHECK(c.h.conn() == nullptr);
}

TEST_CASE("ESTABLISHED: a SYN gets a challenge ACK, not a reset (RFC 5961 §4.2)",
          "[tcp][rst][rfc5961]") {
    Established c;
    SegmentSpec syn;
    syn.seq = 99999;
    syn.flags = kSyn;
    c.h.deliver(syn);
    Sent challenge = c.h.pop();
    CHECK(challenge.flags == kAck);
    CHECK(c.svc.conn->state == State::Established);
}

TEST_CASE("engine: every mbuf returns to the pool", "[tcp][leak]") {
    unsigned before = rte_mempool_avail_count(test_pool());
    {
        Established c;
        c.svc.read_data = false;  // leave data queued in the receive queue
        c.h.deliver(c.data("unread"));
        std::string blob(10000, 'y');
        c.h.engine->send(*c.svc.conn, blob.data(), blob.size());
        c.h.engine->flush(c.h.now_us);
    }
    CHECK(rte_mempool_avail_count(test_pool()) == before);
}

TEST_CASE("ESTABLISHED: later SACK blocks repeat the most recently reported islands "
          "(RFC 2018 §4)", "[tcp][data][sack][stateful]") {
    Established c(EngineHarness::default_config(), true);
    uint32_t base = c.peer_nxt;
    Sent last;
    for (uint32_t island = 1; island <= 5; ++island) {  // 1..5 in order, holes between
        SegmentSpec s = c.data("xxxxx");
        s.seq = base + island * 10;
        c.h.deliver(s);
        last = c.h.pop();
    }
    REQUIRE(last.opts.sack_count == 4);
    CHECK(last.opts.sack[0].left == base + 50);  // newest first
    CHECK(last.opts.sack[1].left == base + 40);
    CHECK(last.opts.sack[2].left == base + 30);
    CHECK(last.opts.sack[3].left == base + 20);
}

// The peer's data beyond a hole sets SND.WL1 above the hole. The segment
// that then fills the hole has a lower SEG.SEQ but acknowledges new data
// with a smaller window: its window is the newer one, and nothing may go
// past SEG.ACK + its window (test_proxy.sh stalled: we sent past the edge,
// and our ACKs, at SND.MAX, then fell outside the peer's window).
// [stateful]: window scale without timestamps, which no cookie carries.
TEST_CASE("window: an ACK of new data updates the window even below SND.WL1", "[tcp][window][stateful]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    SegmentSpec syn = syn_with(true, true, true, false);
    syn.opts.mss = 1460;
    syn.opts.window_scale = 10;
    h.deliver(syn);
    uint32_t iss = h.pop().seq.v;
    auto seg = [&](uint32_t seq, uint32_t acked, uint16_t win, size_t len) {
        SegmentSpec s;
        s.seq = seq;
        s.ack = iss + 1 + acked;
        s.flags = kAck | (len ? kPsh : 0);
        s.window = win;  // in units of 1024 bytes
        s.payload.assign(len, 'p');
        return s;
    };
    h.deliver(seg(1001, 0, 64, 0));
    REQUIRE(svc.conn != nullptr);
    std::string data(100000, 'd');
    REQUIRE(h.engine->send(*svc.conn, data.data(), data.size()) == data.size());
    h.engine->flush(h.now_us);
    uint32_t top = 0;  // the highest byte sent, relative to ISS + 1
    auto take_sent = [&] {
        while (!h.nothing_sent()) {
            Sent s = h.pop();
            top = std::max(top, s.seq.v - iss - 1 + static_cast<uint32_t>(s.payload.size()));
        }
    };
    take_sent();
    h.deliver(seg(3001, 14600, 14, 1000));  // beyond a hole at 1001: SND.WL1 = 3001
    take_sent();
    REQUIRE(top <= 14600 + 14 * 1024);
    // Fills the hole, acknowledges more, with a smaller window whose right
    // edge still moves on (30240 > 28936); the old window from the new
    // SND.UNA would reach 34336.
    h.deliver(seg(1001, 20000, 10, 1000));
    take_sent();
    CHECK(svc.conn->snd_wnd == 10 * 1024);
    CHECK(top <= 20000 + 10 * 1024);
}
