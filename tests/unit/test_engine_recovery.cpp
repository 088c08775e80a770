// The sending side through the engine, with the fake clock: the congestion
// window in slow start and congestion avoidance (RFC 5681 §3.1), loss
// detection without SACK (RFC 5681 §3.2, RFC 6582) and with it (RACK,
// RFC 8985), PRR (RFC 6937), D-SACK undo (RFC 2883), tail loss probes
// (RFC 8985 §7), the RTO (RFC 6298) and SACK blocks riding on data.
// Each test names the rule it checks; segment numbers in comments count
// from 0, the first data segment.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "state_fixtures.hpp"
#include "test_peer.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kPsh;

namespace {

// An established connection (the peer's SYN: MSS 1400, no timestamps, SACK
// as asked) whose service sends; segment i of the stream starts at seg(i).
struct Sender : Established {
    explicit Sender(const tcp::EngineConfig& cfg = EngineHarness::default_config(),
                    bool sack = true)
        : Established(cfg, sack), t(svc.conn), mss(t->snd_mss), base(iss + 1) {}

    uint32_t seg(uint32_t i) const { return base + i * mss; }

    // The service writes `bytes`; the engine sends what it may.
    void write(size_t bytes) {
        std::string blob(bytes, 'r');
        REQUIRE(h.engine->send(*svc.conn, blob.data(), blob.size()) == bytes);
        h.engine->flush(h.now_us);
    }
    // The service writes `segments` full-sized segments; `sent` of them go
    // at once, and the clock moves on by `ms` (the peer's answers come then).
    void flight(uint32_t segments, size_t sent, uint64_t ms = 10) {
        write(segments * mss);
        REQUIRE(drain().size() == sent);
        h.now_us += ms * 1000;
    }
    // Delivers the peer's segment; returns what the engine sent in answer.
    std::vector<Sent> answer(const SegmentSpec& s) {
        h.deliver(s);
        return drain();
    }
    // ms pass with the timers running: nothing goes.
    void quiet(uint64_t ms) {
        h.advance_ms(ms);
        CHECK(h.nothing_sent());
    }
    // The peer's segment draws exactly one full-sized segment: segment i again.
    void resends(const SegmentSpec& s, uint32_t i) {
        auto out = answer(s);
        REQUIRE(out.size() == 1);
        CHECK(out[0].seq.v == seg(i));
        CHECK(out[0].payload.size() == mss);
    }
    // The counters of fast recovery so far.
    void recoveries(uint64_t retrans, uint64_t fast, uint64_t sack, uint64_t reno) {
        CHECK(h.counters.RetransSegs == retrans);
        CHECK(h.counters.TCPFastRetrans == fast);
        CHECK(h.counters.TCPSackRecovery == sack);
        CHECK(h.counters.TCPRenoRecovery == reno);
    }
    std::vector<Sent> drain() {
        std::vector<Sent> out;
        while (!h.nothing_sent())
            out.push_back(h.pop());
        return out;
    }
    // The peer's ACK of everything below segment `una`, with SACK blocks
    // [from, to) in segments, first block first.
    SegmentSpec sack(uint32_t una, std::initializer_list<std::pair<uint32_t, uint32_t>> blocks = {}) {
        SegmentSpec s = ack(seg(una));
        for (auto [from, to] : blocks)
            s.opts.sack[s.opts.sack_count++] = {seg(from), seg(to)};
        return s;
    }
    // One small exchange for an RTT sample of `ms`; the stream then starts
    // after it.
    void sample_rtt(uint64_t ms, uint16_t window = 65535) {
        write(3);
        h.pop();
        h.now_us += ms * 1000;
        SegmentSpec a = ack(base + 3);
        a.window = window;
        h.deliver(a);
        base += 3;
        REQUIRE(t->rtt.srtt_us() == ms * 1000);
    }

    tcp::Tcb* const t;
    uint32_t mss;
    uint32_t base;
};

tcp::EngineConfig newreno_config() {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.congestion = tcp::CongestionAlgorithm::NewReno;
    return cfg;
}

// The segments' starting sequence numbers, to compare with seg(i) lists.
std::vector<uint32_t> starts(const std::vector<Sent>& segments) {
    std::vector<uint32_t> out;
    for (const Sent& s : segments)
        out.push_back(s.seq.v);
    return out;
}

}  // namespace

TEST_CASE("cwnd: slow start grows the window by the bytes each ACK delivers, congestion "
          "avoidance by about one MSS a window (RFC 5681 §3.1, NewReno)", "[tcp][recovery]") {
    Sender c(newreno_config(), false);
    REQUIRE(c.t->cc_ops->algorithm() == tcp::CongestionAlgorithm::NewReno);
    REQUIRE(c.t->cc.cwnd == 10 * c.mss);  // RFC 6928
    c.write(60 * c.mss);
    CHECK(c.drain().size() == 10);
    uint32_t una = 0, next = 10;
    for (int round = 0; round < 5; ++round) {
        uint32_t before = c.t->cc.cwnd;
        c.h.now_us += 10'000;
        c.h.deliver(c.sack(una += 2));
        CHECK(c.t->cc.cwnd == before + 2 * c.mss);  // slow start: the bytes acknowledged
        auto out = c.drain();  // the two acknowledged and two more
        REQUIRE(out.size() == 4);
        CHECK(out.front().seq.v == c.seg(next));
        next += 4;
    }
    REQUIRE(c.t->cc.cwnd == 20 * c.mss);
    // Past ssthresh: RFC 5681 (3), about SMSS * SMSS / cwnd for each SMSS.
    c.t->cc.ssthresh = c.t->cc.cwnd;
    uint32_t start = c.t->cc.cwnd;
    uint32_t before = c.t->cc.cwnd;
    c.h.now_us += 10'000;
    c.h.deliver(c.sack(una += 2));
    CHECK(c.t->cc.cwnd == before + 2 * c.mss * c.mss / before);
    CHECK(c.drain().size() == 2);  // no room for a third yet
    for (int ack = 1; ack < 10; ++ack) {  // the rest of one window of ACKs
        c.h.now_us += 10'000;
        c.answer(c.sack(una += 2));
    }
    CHECK(c.t->cc.cwnd >= start + c.mss * 9 / 10);  // a little less: cwnd grew meanwhile
    CHECK(c.t->cc.cwnd <= start + c.mss);
}

TEST_CASE("cwnd: CUBIC grows by the bytes delivered in slow start, at most L = 8 segments an "
          "ACK (RFC 9406 §4.2), then about one MSS a window (RFC 9438 §4.3)", "[tcp][recovery]") {
    Sender c;
    REQUIRE(c.t->cc_ops->algorithm() == tcp::CongestionAlgorithm::Cubic);
    c.write(3 * c.mss);  // not cwnd-limited: its ACK does not grow the window
    c.drain();
    c.h.now_us += 10'000;
    c.h.deliver(c.sack(3));
    CHECK(c.t->cc.cwnd == 10 * c.mss);
    c.base = c.seg(3);
    c.flight(80, 10);
    c.h.deliver(c.sack(10));  // a stretch ACK of ten segments
    CHECK(c.t->cc.cwnd == 18 * c.mss);
    CHECK(c.drain().size() == 18);
    uint32_t una = 10;
    c.h.now_us += 10'000;
    c.h.deliver(c.sack(una += 2));
    CHECK(c.t->cc.cwnd == 20 * c.mss);
    c.drain();
    c.t->cc.ssthresh = c.t->cc.cwnd;
    uint32_t start = c.t->cc.cwnd;
    for (int ack = 0; ack < 10; ++ack) {  // one window of ACKs
        uint32_t before = c.t->cc.cwnd;
        c.h.now_us += 10'000;
        c.h.deliver(c.sack(una += 2));
        CHECK(c.t->cc.cwnd - before < c.mss / 4);
        c.drain();
    }
    CHECK(c.t->cc.cwnd >= start + c.mss / 2);
    CHECK(c.t->cc.cwnd <= start + 2 * c.mss);
}

TEST_CASE("Reno: three duplicate ACKs retransmit SND.UNA's segment at once (RFC 5681 §3.2), "
          "a partial ACK the next hole (RFC 6582), the full ACK ends recovery at ssthresh",
          "[tcp][recovery]") {
    Sender c(newreno_config(), false);
    REQUIRE_FALSE(c.t->sack_ok);
    c.flight(10, 10);
    // Segments 0 and 3 are lost; 1, 2 and 4..9 each draw a duplicate ACK.
    c.h.deliver(c.sack(0));
    c.h.deliver(c.sack(0));
    CHECK(c.h.nothing_sent());
    c.resends(c.sack(0), 0);
    CHECK(c.t->in_recovery);
    CHECK(c.t->cc.ssthresh == 5 * c.mss);  // FlightSize / 2
    c.recoveries(1, 1, 0, 1);
    for (int dup = 4; dup <= 8; ++dup)
        c.h.deliver(c.sack(0));
    CHECK(c.h.nothing_sent());  // nothing new to send, nothing else known lost
    // The retransmission arrives: 0..2 are acknowledged, not all: 3 is lost too.
    c.h.now_us += 10'000;
    c.resends(c.sack(3), 3);
    CHECK(c.t->in_recovery);
    c.recoveries(2, 2, 0, 1);
    c.h.now_us += 10'000;
    c.h.deliver(c.sack(10));  // the full ACK
    CHECK_FALSE(c.t->in_recovery);
    CHECK(c.t->cc.cwnd == 5 * c.mss);
    CHECK(c.t->cc.cwnd == c.t->cc.ssthresh);
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.TCPTimeouts == 0);
}

TEST_CASE("SACK: a hole with three segments SACKed above it is retransmitted at once "
          "(RFC 8985 §6.2: reo_wnd 0 without reordering)", "[tcp][recovery][sack][stateful]") {
    Sender c;
    c.flight(6, 6);
    CHECK(c.answer(c.sack(0, {{1, 2}})).empty());  // one SACKed: it may be reordering
    CHECK(c.t->timer_kind == tcp::TimerKind::Reorder);
    CHECK_FALSE(c.t->in_recovery);
    c.resends(c.sack(0, {{1, 4}}), 0);  // three: segment 0 is lost
    CHECK(c.t->in_recovery);
    c.recoveries(1, 1, 1, 0);
    CHECK(c.h.counters.TCPSACKRetrans == 1);
}

TEST_CASE("SACK: a lost retransmission is found by RACK once a segment sent after it is "
          "SACKed, and resent without an RTO (RFC 8985 §6.2)", "[tcp][recovery][sack][stateful]") {
    Sender c;
    c.flight(30, 10);
    c.resends(c.sack(0, {{1, 4}}), 0);
    c.quiet(10);
    // 4..9 arrive too, not the retransmission: new data goes (PRR).
    auto fresh = c.answer(c.sack(0, {{1, 10}}));
    REQUIRE(fresh.size() == 6);
    CHECK(fresh.front().seq.v == c.seg(10));
    CHECK(c.h.counters.RetransSegs == 1);
    c.quiet(10);
    // Segment 10, sent after the retransmission, is SACKed: it is lost again.
    auto again = c.answer(c.sack(0, {{1, 11}}));
    REQUIRE(again.size() == 2);
    CHECK(again[0].seq.v == c.seg(0));
    CHECK(again[0].payload.size() == c.mss);
    CHECK(again[1].seq.v == c.seg(16));  // and what PRR leaves room for
    CHECK(c.t->in_recovery);
    c.recoveries(2, 2, 1, 0);
    CHECK(c.h.counters.TCPLostRetransmit == 1);
    CHECK(c.h.counters.TCPTimeouts == 0);
}

TEST_CASE("SACK: SACKed segments are never resent, even after an RTO: the others go in order, "
          "from a window of one segment (RFC 6675 §5.1, RFC 5681 §3.1)",
          "[tcp][recovery][sack][stateful]") {
    Sender c;
    c.flight(8, 8);
    CHECK(starts(c.answer(c.sack(0, {{2, 4}, {5, 7}}))) ==
          std::vector<uint32_t>{c.seg(0), c.seg(1), c.seg(4)});
    CHECK(c.h.counters.TCPFastRetrans == 3);
    // Nothing more arrives: the RTO (still the initial 1 s, from the first send).
    c.quiet(989);
    c.h.advance_ms(1);
    CHECK(starts(c.drain()) == std::vector<uint32_t>{c.seg(0)});
    CHECK(c.h.counters.TCPTimeouts == 1);
    CHECK(c.h.counters.TCPSlowStartRetrans == 1);
    CHECK(c.t->rto_recovery);
    CHECK(c.t->cc.cwnd == c.mss);
    c.h.now_us += 10'000;
    c.h.deliver(c.sack(1, {{2, 4}, {5, 7}}));
    CHECK(c.t->cc.cwnd == 2 * c.mss);
    CHECK(starts(c.drain()) == std::vector<uint32_t>{c.seg(1), c.seg(4)});
    c.h.now_us += 10'000;
    CHECK(starts(c.answer(c.sack(7))) == std::vector<uint32_t>{c.seg(7)});
    c.h.now_us += 10'000;
    c.h.deliver(c.sack(8));
    CHECK(c.h.nothing_sent());
    CHECK_FALSE(c.t->rto_recovery);
    CHECK(c.t->sendq.bytes == 0);
    CHECK(c.h.counters.TCPSlowStartRetrans == 4);
    CHECK(c.h.counters.RetransSegs == 3 + 4);
}

TEST_CASE("RACK: once reordering is seen, a hole waits for the reordering window before it "
          "is retransmitted (RFC 8985 §6.2 step 4, §6.3)", "[tcp][recovery][sack][stateful]") {
    Sender c;
    c.flight(10, 10);
    c.h.deliver(c.sack(0, {{2, 3}}));
    CHECK(c.h.nothing_sent());
    CHECK_FALSE(c.t->rack.reordering_seen());
    c.h.advance_ms(1);
    c.h.deliver(c.sack(3));  // 0 and 1, never retransmitted, came after 2
    CHECK(c.t->rack.reordering_seen());
    CHECK(c.h.nothing_sent());
    CHECK_FALSE(c.t->in_recovery);
    c.h.advance_ms(1);
    // Three segments SACKed above a hole: now it waits min_rtt / 4 = 2.5 ms.
    c.h.deliver(c.sack(3, {{4, 7}}));
    CHECK(c.h.nothing_sent());
    CHECK_FALSE(c.t->in_recovery);
    CHECK(c.t->timer_kind == tcp::TimerKind::Reorder);
    c.quiet(2);
    c.h.advance_ms(1);
    auto out = c.drain();
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq.v == c.seg(3));
    CHECK(c.t->in_recovery);
    CHECK(c.h.counters.TCPSackRecovery == 1);
    CHECK(c.h.counters.RetransSegs == 1);
}

TEST_CASE("PRR: while pipe > ssthresh, recovery sends ceil(prr_delivered * ssthresh / "
          "RecoverFS) - prr_out per ACK (RFC 6937 §3)", "[tcp][recovery][sack][stateful]") {
    tcp::EngineConfig cfg = newreno_config();
    cfg.initial_cwnd_segments = 20;
    Sender c(cfg);
    c.flight(60, 20);
    std::vector<Sent> sent;
    uint32_t sacked = 4;  // 1..3 in the first ACK: segment 0 is lost
    c.h.deliver(c.sack(0, {{1, sacked}}));
    REQUIRE(c.t->in_recovery);
    REQUIRE(c.t->recover_fs == 20 * c.mss);
    REQUIRE(c.t->cc.ssthresh == 10 * c.mss);
    uint64_t delivered = 3 * c.mss;
    for (int ack = 1;; ++ack) {
        auto out = c.drain();
        sent.insert(sent.end(), out.begin(), out.end());
        uint64_t share = (delivered * c.t->cc.ssthresh + c.t->recover_fs - 1) / c.t->recover_fs;
        uint64_t expected = std::max<uint64_t>(1, share / c.mss);  // whole segments
        INFO("ACK " << ack << ", " << delivered / c.mss << " segments delivered");
        CHECK(sent.size() == expected);
        CHECK(c.t->prr_out == sent.size() * c.mss);
        if (c.t->sb.pipe() - c.mss <= c.t->cc.ssthresh)  // the next ACK leaves PRR's first phase
            break;
        c.h.deliver(c.sack(0, {{1, ++sacked}}));
        delivered += c.mss;
    }
    CHECK(sacked >= 14);
    REQUIRE_FALSE(sent.empty());
    CHECK(sent[0].seq.v == c.seg(0));  // the retransmission first, then new data
    for (size_t i = 1; i < sent.size(); ++i)
        CHECK(sent[i].seq.v == c.seg(19 + static_cast<uint32_t>(i)));
    // Then PRR-SSRB brings pipe to ssthresh and holds it there.
    for (int ack = 0; ack < 3; ++ack) {
        c.answer(c.sack(0, {{1, ++sacked}}));
    }
    CHECK(c.t->sb.pipe() == c.t->cc.ssthresh);
    CHECK(c.h.counters.RetransSegs == 1);
}

TEST_CASE("D-SACK: a fast retransmission whose original also arrived is undone: cwnd back to "
          "its value before the reduction (RFC 2883 §5)", "[tcp][recovery][sack][stateful]") {
    Sender c;
    c.write(10 * c.mss);
    REQUIRE(c.drain().size() == 10);
    uint32_t cwnd_before = c.t->cc.cwnd;
    c.h.now_us += 10'000;
    c.h.deliver(c.sack(0, {{1, 4}}));  // 1..3 overtook 0
    CHECK(c.h.pop().seq.v == c.seg(0));
    REQUIRE(c.t->in_recovery);
    REQUIRE(c.t->cc.ssthresh < cwnd_before);
    c.h.advance_ms(1);
    c.h.deliver(c.sack(4));  // the original 0 arrives
    CHECK(c.t->in_recovery);
    c.h.advance_ms(1);
    c.h.deliver(c.sack(4, {{0, 1}}));  // and then the copy: a D-SACK below the ACK
    CHECK(c.h.counters.TCPDSACKRecv == 1);
    CHECK(c.h.counters.TCPDSACKUndo == 1);
    CHECK_FALSE(c.t->in_recovery);
    CHECK(c.t->cc.cwnd == cwnd_before);
    CHECK(c.t->cc.ssthresh == UINT32_MAX);
    CHECK(c.h.nothing_sent());
}

TEST_CASE("TLP: with new data held back by cwnd, the loss probe sends one new segment; an RTO "
          "follows if nothing answers (RFC 8985 §7.3)", "[tcp][recovery]") {
    Sender c;
    c.sample_rtt(20);
    c.write(20 * c.mss);
    REQUIRE(c.drain().size() == 10);  // cwnd
    c.quiet(39);
    c.h.advance_ms(1);  // PTO = 2 * SRTT
    Sent probe = c.h.pop();
    CHECK(probe.seq.v == c.seg(10));
    CHECK(probe.payload.size() == c.mss);
    CHECK(probe.has(kAck));
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.TCPLossProbes == 1);
    CHECK(c.h.counters.RetransSegs == 0);
    CHECK(c.t->snd_nxt.v == c.seg(11));
    c.quiet(199);
    c.h.advance_ms(1);  // the RTO (200 ms floor), from the probe on
    CHECK(starts(c.drain()) == std::vector<uint32_t>{c.seg(0)});
    CHECK(c.h.counters.TCPTimeouts == 1);
    CHECK(c.h.counters.RetransSegs == 1);
    CHECK(c.h.counters.TCPLossProbes == 1);
}

TEST_CASE("TLP: when the peer's window lets nothing new go, the probe is the last segment "
          "again; an RTO follows if nothing answers (RFC 8985 §7.3)", "[tcp][recovery]") {
    Sender c;
    c.sample_rtt(20, static_cast<uint16_t>(3 * c.mss));
    c.write(10 * c.mss);
    REQUIRE(c.drain().size() == 3);  // the peer's window
    c.h.advance_ms(40);
    Sent probe = c.h.pop();
    CHECK(probe.seq.v == c.seg(2));
    CHECK(probe.payload.size() == c.mss);
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.TCPLossProbes == 1);
    CHECK(c.h.counters.RetransSegs == 1);
    c.quiet(199);
    c.h.advance_ms(1);
    CHECK(starts(c.drain()) == std::vector<uint32_t>{c.seg(0)});
    CHECK(c.h.counters.TCPTimeouts == 1);
}

TEST_CASE("SACK blocks ride on data segments within the peer's MSS: IPv4 total length <= 1500 "
          "with MSS 1460 and timestamps (RFC 9293 §3.7.1, RFC 2018 §4)", "[tcp][recovery][sack]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    TestPeer peer(h, 40000, 80, true, true);
    tcp::Tcb* t = h.conn();
    REQUIRE(t != nullptr);
    REQUIRE(t->sack_ok);
    REQUIRE(t->ts_ok);
    REQUIRE(t->snd_mss == 1460 - 12);
    // Three islands beyond a hole: three SACK blocks owed.
    for (uint32_t island = 1; island <= 3; ++island) {
        h.deliver(peer.data(100, island * 500));
        Sent dup = h.pop();
        CHECK(dup.opts.sack_count == island);
    }
    std::string blob(30000, 's');
    REQUIRE(h.engine->send(*t, blob.data(), blob.size()) == blob.size());
    h.engine->flush(h.now_us);
    std::vector<Sent> out;
    while (!h.nothing_sent())
        out.push_back(h.pop());
    REQUIRE(out.size() == 10);  // the initial window
    uint32_t seq = peer.iss + 1;
    for (const Sent& s : out) {
        INFO("segment at " << s.seq.v - peer.iss);
        CHECK(s.seq.v == seq);
        CHECK(s.datagram.size() <= 1500);
        CHECK(s.payload.size() + 12 + 4 + 3 * 8 <= 1460 + 12);
        CHECK(s.opts.sack_count == 3);
        CHECK(s.opts.sack[0].left == peer.nxt + 1500);  // the newest island first
        CHECK(s.opts.sack[0].right == peer.nxt + 1600);
        seq += static_cast<uint32_t>(s.payload.size());
    }
    CHECK(out[0].datagram.size() == 1500);  // and the MSS is used whole
}

TEST_CASE("SACK: the ACK that shows a loss sends its retransmission before new data (RFC 6675 "
          "NextSeg rule 1), so that the new data's ACKs follow the repair",
          "[tcp][recovery][sack][stateful]") {
    Sender c;
    c.flight(30, 10);
    auto one = c.answer(c.sack(0, {{1, 2}}));  // one SACKed: maybe reordering
    auto two = c.answer(c.sack(0, {{1, 3}}));
    for (const auto& s : one)
        CHECK(s.seq.v != c.seg(0));
    for (const auto& s : two)
        CHECK(s.seq.v != c.seg(0));
    auto out = c.answer(c.sack(0, {{1, 4}}));  // three: segment 0 is lost
    REQUIRE(!out.empty());
    CHECK(out[0].seq.v == c.seg(0));
    CHECK(c.h.counters.RetransSegs == 1);
}

TEST_CASE("SACK: blocks are taken in sequence order, so an ACK whose newest block comes first "
          "(the ACK before it lost) is not seen as reordering (RFC 8985 §6.2 step 3)",
          "[tcp][recovery][sack][stateful]") {
    Sender c;
    c.flight(10, 10);
    auto out = c.answer(c.sack(0, {{5, 7}, {2, 4}}));
    CHECK(c.h.counters.TCPSACKReorder == 0);
    CHECK_FALSE(c.t->rack.reordering_seen());
    REQUIRE(!out.empty());
    CHECK(out[0].seq.v == c.seg(0));  // four SACKed: no reordering window to wait for
}

TEST_CASE("zero copy: on a port that takes chains a segment's payload goes by reference to the "
          "send queue's buffers, its retransmission too; short payloads are copied",
          "[tcp][recovery][zerocopy]") {
    Sender c;
    std::string data(3 * c.mss + 100, '\0');
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>('a' + i % 26);
    REQUIRE(c.h.engine->send(*c.svc.conn, data.data(), data.size()) == data.size());
    c.h.engine->flush(c.h.now_us);
    auto out = c.drain();
    REQUIRE(out.size() == 4);
    std::string wire;
    for (const auto& s : out)
        wire += s.payload;
    CHECK(wire == data);
    CHECK(c.h.chained_sent == 3);  // the 100-byte tail was copied
    c.h.advance_ms(1500);  // the RTO: segment 0 again, from the same buffers
    auto again = c.drain();
    REQUIRE(!again.empty());
    CHECK(again[0].payload == data.substr(0, c.mss));
    CHECK(c.h.chained_sent == 4);

    tcp::EngineConfig copying = EngineHarness::default_config();
    copying.tx_chains = false;
    Sender d(copying);
    d.write(2 * d.mss);
    CHECK(d.drain().size() == 2);
    CHECK(d.h.chained_sent == 0);
}

TEST_CASE("TSO: where the port segments, one frame carries whole segments up to its limit, cut "
          "at the MSS; the scoreboard still keeps one record per segment for SACK and RACK",
          "[tcp][recovery][tso][stateful]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.tso_max = 65535 - 120;
    Sender c(cfg);
    c.write(10 * c.mss + 100);
    auto out = c.drain();
    REQUIRE(out.size() == 1);  // the initial window of ten, in one frame (the tail waits for cwnd)
    CHECK(out[0].payload.size() == 10 * c.mss);
    CHECK(out[0].tso_segsz == c.mss);
    CHECK(c.t->sb.size() == 10);
    CHECK(c.h.counters.TCPTSOFrames == 1);
    CHECK(c.h.counters.OutSegs >= 10);
    // Segments 0-3 lost: the SACKs above them make RACK resend segment 0 alone first.
    auto again = c.answer(c.sack(0, {{4, 7}}));
    bool resent = false;
    for (const auto& s : again)
        resent = resent || (s.seq.v == c.seg(0) && s.payload.size() == c.mss && s.tso_segsz == 0);
    CHECK(resent);

    tcp::EngineConfig no_tso = EngineHarness::default_config();
    Sender d(no_tso);
    d.write(4 * d.mss);
    CHECK(d.drain().size() == 4);
    CHECK(d.h.counters.TCPTSOFrames == 0);
}

TEST_CASE("sndbuf autotuning: the send buffer grows to twice the congestion window, up to "
          "tcp.sndbuf_max (Linux's tcp_sndbuf_expand); without a max it stays fixed",
          "[tcp][recovery][sndbuf]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.sndbuf = 8192;
    cfg.sndbuf_max = 1 << 20;
    Sender c(cfg);
    c.write(8192);
    CHECK(c.h.engine->send_space(*c.svc.conn) == 0);
    c.drain();
    c.h.now_us += 10'000;
    c.h.deliver(c.sack(2));
    CHECK(c.t->sndbuf == 2 * c.t->cc.cwnd);
    CHECK(c.h.counters.TCPSndBufGrown == 1);
    CHECK(c.h.engine->send_space(*c.svc.conn) > 8192);

    tcp::EngineConfig fixed = EngineHarness::default_config();
    fixed.sndbuf = 8192;
    Sender d(fixed);
    d.write(8192);
    d.drain();
    d.h.now_us += 10'000;
    d.h.deliver(d.sack(2));
    CHECK(d.t->sndbuf == 8192);
    CHECK(d.h.counters.TCPSndBufGrown == 0);
}
