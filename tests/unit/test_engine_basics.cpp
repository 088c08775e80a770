// Engine behaviour driven by crafted segments and a fake clock. Test names
// read "<state>: <event>"; each cites the rule it checks.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine_harness.hpp"
#include "recording_service.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::kPsh;
using tcp::kRst;
using tcp::kSyn;
using tcp::State;

namespace {

constexpr uint32_t kPeerIsn = 1000;

SegmentSpec syn_with(bool mss, bool ws, bool sack, bool ts) {
    SegmentSpec s;
    s.seq = kPeerIsn;
    s.flags = kSyn;
    s.opts.has_mss = mss;
    s.opts.mss = 1400;
    s.opts.has_window_scale = ws;
    s.opts.window_scale = 7;
    s.opts.sack_permitted = sack;
    s.opts.has_timestamps = ts;
    s.opts.ts_val = 5000;
    return s;
}

// A connection driven to ESTABLISHED; remembers the numbers a peer tracks.
struct Established {
    EngineHarness h;
    RecordingService svc;
    uint32_t iss = 0;
    uint32_t peer_nxt = kPeerIsn + 1;  // next sequence number we (the peer) send

    explicit Established(const tcp::EngineConfig& cfg = EngineHarness::default_config(),
                         bool sack = false)
        : h(cfg) {
        h.listen(80, &svc);
        h.deliver(syn_with(true, false, sack, false));
        Sent synack = h.pop();
        iss = synack.seq.v;
        h.deliver(ack());
        REQUIRE(svc.conn != nullptr);
        REQUIRE(svc.conn->state == State::Established);
    }
    SegmentSpec ack(uint32_t acked = 0) const {
        SegmentSpec s;
        s.seq = peer_nxt;
        s.ack = acked ? acked : iss + 1;
        s.flags = kAck;
        return s;
    }
    SegmentSpec data(const std::string& payload, uint32_t acked = 0) {
        SegmentSpec s = ack(acked);
        s.flags |= kPsh;
        s.payload = payload;
        return s;
    }
};

// A timestamped connection we closed first, now in TIME_WAIT; the peer's
// last TSval was 5002.
struct TimestampedTimeWait {
    EngineHarness h;
    RecordingService svc;
    SegmentSpec syn = syn_with(true, false, false, true);
    uint32_t snd_nxt = 0;  // what the closed connection sent up to (its FIN counted)
    TimestampedTimeWait() {
        h.listen(80, &svc);
        h.deliver(syn);
        Sent synack = h.pop();
        snd_nxt = synack.seq.v + 2;
        SegmentSpec ack;
        ack.seq = kPeerIsn + 1;
        ack.ack = synack.seq.v + 1;
        ack.flags = kAck;
        ack.opts.has_timestamps = true;
        ack.opts.ts_val = 5001;
        h.deliver(ack);
        h.engine->close(*svc.conn);
        h.engine->flush(h.now_us);
        h.pop();
        SegmentSpec fin = ack;
        fin.ack = synack.seq.v + 2;
        fin.flags = kAck | kFin;
        fin.opts.ts_val = 5002;
        h.deliver(fin);
        h.pop();
        REQUIRE(h.tw() != nullptr);
    }
};

}  // namespace

TEST_CASE("LISTEN: SYN without options gets a SYN-ACK with only MSS (RFC 9293 §3.10.7.2)",
          "[tcp][handshake][stateful]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    h.deliver(syn_with(false, false, false, false));
    Sent synack = h.pop();
    CHECK(synack.flags == (kSyn | kAck));
    CHECK(synack.ack.v == kPeerIsn + 1);
    CHECK(synack.opts.has_mss);
    CHECK(synack.opts.mss == 1460);
    CHECK_FALSE(synack.opts.has_window_scale);
    CHECK_FALSE(synack.opts.sack_permitted);
    CHECK_FALSE(synack.opts.has_timestamps);
    tcp::Tcb* t = h.conn();
    REQUIRE(t);
    CHECK(t->state == State::SynReceived);
    CHECK(t->snd_mss == 536);  // RFC 9293 §3.7.1: no MSS option means 536
    CHECK(h.counters.PassiveOpens == 1);
}

TEST_CASE("LISTEN: each option is answered only when the SYN offers it (RFC 7323, 2018)",
          "[tcp][handshake][stateful]") {
    for (int mask = 0; mask < 16; ++mask) {
        bool mss = mask & 1, ws = mask & 2, sack = mask & 4, ts = mask & 8;
        EngineHarness h;
        RecordingService svc;
        h.listen(80, &svc);
        h.deliver(syn_with(mss, ws, sack, ts));
        Sent synack = h.pop();
        CHECK(synack.opts.has_mss);
        CHECK(synack.opts.has_window_scale == ws);
        CHECK(synack.opts.sack_permitted == sack);
        CHECK(synack.opts.has_timestamps == ts);
        if (ts)
            CHECK(synack.opts.ts_ecr == 5000);  // echoes the SYN's TSval
        if (ws)
            CHECK(synack.opts.window_scale == 3);  // 256 KiB >> 2 is 65536: one too many
        CHECK(synack.window == 65535);  // a SYN's window is never scaled
        tcp::Tcb* t = h.conn();
        REQUIRE(t);
        uint16_t expect_mss = mss ? 1400 : 536;
        CHECK(t->snd_mss == expect_mss - (ts ? 12 : 0));
        CHECK(t->snd_wscale == (ws ? 7 : 0));
        CHECK(t->ts_ok == ts);
        CHECK(t->sack_ok == sack);
    }
}

TEST_CASE("LISTEN: window scale above 14 is clamped to 14 (RFC 7323 §2.3)", "[tcp][handshake][stateful]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    SegmentSpec syn = syn_with(true, true, false, false);
    syn.opts.window_scale = 20;
    h.deliver(syn);
    REQUIRE(h.conn());
    CHECK(h.conn()->snd_wscale == 14);
}

TEST_CASE("SYN_RECEIVED: the third ACK establishes and the service accepts", "[tcp][handshake]") {
    Established c;
    CHECK(c.svc.events.front() == "accept");
    CHECK(c.h.counters.CurrEstab == 1);
    CHECK(c.h.nothing_sent());
}

TEST_CASE("SYN_RECEIVED: an ACK of the wrong number gets RST <SEQ=SEG.ACK> (RFC 9293 §3.10.7.4)",
          "[tcp][handshake][rst][stateful]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    h.deliver(syn_with(true, false, false, false));
    Sent synack = h.pop();
    SegmentSpec bad;
    bad.seq = kPeerIsn + 1;
    bad.ack = synack.seq.v + 1000;
    bad.flags = kAck;
    h.deliver(bad);
    Sent rst = h.pop();
    CHECK(rst.flags == kRst);
    CHECK(rst.seq.v == synack.seq.v + 1000);
    CHECK(h.conn()->state == State::SynReceived);
}

TEST_CASE("SYN_RECEIVED: SYN-ACK retransmits with backoff, then gives up", "[tcp][timers][stateful]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.synack_retries = 2;
    EngineHarness h(cfg);
    RecordingService svc;
    h.listen(80, &svc);
    h.deliver(syn_with(true, false, false, false));
    h.pop();
    h.advance_ms(999);
    CHECK(h.nothing_sent());
    h.advance_ms(1);
    CHECK(h.pop().flags == (kSyn | kAck));  // after the initial RTO, 1 s
    h.advance_ms(1999);
    CHECK(h.nothing_sent());
    h.advance_ms(1);
    CHECK(h.pop().flags == (kSyn | kAck));  // after 2 s more
    h.advance_ms(4000);
    CHECK(h.nothing_sent());                // no third try: the entry is gone
    CHECK(h.conn() == nullptr);
    CHECK(h.counters.TCPSynAckRetransFail == 1);
}

TEST_CASE("CLOSED: a SYN to a port with no listener gets RST,ACK (RFC 9293 §3.10.7.1)",
          "[tcp][rst]") {
    EngineHarness h;
    h.deliver(syn_with(true, true, true, true));
    Sent rst = h.pop();
    CHECK(rst.flags == (kRst | kAck));
    CHECK(rst.seq.v == 0);
    CHECK(rst.ack.v == kPeerIsn + 1);
    CHECK(rst.opts.has_timestamps == false);
    CHECK(h.counters.TCPNoListener == 1);
}

TEST_CASE("CLOSED: a segment with ACK gets <SEQ=SEG.ACK><CTL=RST>; a RST gets nothing",
          "[tcp][rst]") {
    EngineHarness h;
    SegmentSpec s;
    s.seq = 5;
    s.ack = 77777;
    s.flags = kAck;
    s.payload = "hello";
    h.deliver(s);
    Sent rst = h.pop();
    CHECK(rst.flags == kRst);
    CHECK(rst.seq.v == 77777);
    CHECK(rst.payload.empty());
    s.flags = kRst;
    h.deliver(s);
    CHECK(h.nothing_sent());
}

TEST_CASE("LISTEN: an ACK gets RST; a RST is ignored (RFC 9293 §3.10.7.2)", "[tcp][rst][stateful]") {
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    SegmentSpec s;
    s.seq = 1;
    s.ack = 4242;
    s.flags = kAck;
    h.deliver(s);
    Sent rst = h.pop();
    CHECK(rst.flags == kRst);
    CHECK(rst.seq.v == 4242);
    s.flags = kRst;
    h.deliver(s);
    CHECK(h.nothing_sent());
}

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

TEST_CASE("ESTABLISHED: unacknowledged data is retransmitted with exponential backoff "
          "(RFC 6298 5.5)", "[tcp][timers]") {
    Established c;
    REQUIRE(c.h.engine->send(*c.svc.conn, "ping", 4) == 4);
    c.h.engine->flush(c.h.now_us);
    Sent first = c.h.pop();
    uint64_t expected_gap_ms = 1000;  // no RTT sample yet: the initial RTO
    for (int attempt = 0; attempt < 4; ++attempt) {
        c.h.advance_ms(expected_gap_ms - 1);
        CHECK(c.h.nothing_sent());
        c.h.advance_ms(1);
        Sent again = c.h.pop();
        CHECK(again.seq == first.seq);
        CHECK(again.payload == "ping");
        expected_gap_ms *= 2;
    }
    CHECK(c.h.counters.RetransSegs == 4);
    CHECK(c.h.counters.TCPTimeouts == 4);
}

TEST_CASE("ESTABLISHED: the retransmission limit aborts with RST", "[tcp][timers]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.data_retries = 2;
    Established c(cfg);
    c.h.engine->send(*c.svc.conn, "x", 1);
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    c.h.advance_ms(1000 + 2000);
    c.h.pop();
    c.h.pop();
    c.h.advance_ms(4000);
    Sent rst = c.h.pop();
    CHECK(rst.has(kRst));
    CHECK(c.svc.saw("closed:timeout"));
    CHECK(c.h.counters.TCPAbortOnTimeout == 1);
}

TEST_CASE("ESTABLISHED: an RTT sample sets the RTO (RFC 6298 2.2)", "[tcp][timers]") {
    Established c;
    c.h.engine->send(*c.svc.conn, "abc", 3);
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    c.h.now_us += 50'000;  // 50 ms later the ACK arrives
    c.h.deliver(c.ack(c.iss + 4));
    tcp::Tcb* t = c.svc.conn;
    CHECK(t->rtt.srtt_us() == 50'000);
    CHECK(t->rtt.rttvar_us() == 25'000);
    CHECK(t->rtt.rto_us() == 200'000);  // 50 + 4*25 = 150 ms, raised to the 200 ms floor
}

TEST_CASE("passive close: FIN -> CLOSE_WAIT, close() -> LAST_ACK, ACK -> CLOSED", "[tcp][close]") {
    Established c;
    SegmentSpec fin = c.ack();
    fin.flags |= kFin;
    c.h.deliver(fin);
    Sent ack = c.h.pop();
    CHECK(ack.ack.v == kPeerIsn + 2);
    tcp::Tcb* t = c.svc.conn;
    CHECK(t->state == State::CloseWait);
    CHECK(c.svc.saw("peer_shutdown"));
    // CLOSE_WAIT can still send (half-close).
    c.h.engine->send(*t, "bye", 3);
    c.h.engine->close(*t);
    c.h.engine->flush(c.h.now_us);
    Sent last = c.h.pop();
    CHECK(last.payload == "bye");
    CHECK(last.has(kFin));
    CHECK(t->state == State::LastAck);
    c.peer_nxt += 1;
    c.h.deliver(c.ack(c.iss + 1 + 3 + 1));
    CHECK(c.h.conn() == nullptr);
    CHECK(c.svc.saw("closed:normal"));
    CHECK(c.h.counters.CurrEstab == 0);
}

TEST_CASE("active close: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED after 2MSL",
          "[tcp][close][timers]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.msl_us = 1'000'000;
    Established c(cfg);
    tcp::Tcb* t = c.svc.conn;
    c.h.engine->close(*t);
    c.h.engine->flush(c.h.now_us);
    Sent fin = c.h.pop();
    CHECK(fin.has(kFin));
    CHECK(t->state == State::FinWait1);
    c.h.deliver(c.ack(c.iss + 2));
    CHECK(t->state == State::FinWait2);
    SegmentSpec peer_fin = c.ack(c.iss + 2);
    peer_fin.flags |= kFin;
    c.h.deliver(peer_fin);
    Sent last_ack = c.h.pop();
    CHECK(last_ack.ack.v == kPeerIsn + 2);
    // The TCB is gone; a compact TIME_WAIT entry stands in for it.
    CHECK(c.h.conn() == nullptr);
    CHECK(c.svc.saw("closed:normal"));
    REQUIRE(c.h.tw() != nullptr);
    CHECK(c.h.counters.CurrTimeWait == 1);
    c.h.advance_ms(1999);
    CHECK(c.h.tw() != nullptr);
    c.h.advance_ms(1);
    CHECK(c.h.tw() == nullptr);
    CHECK(c.h.counters.TCPTimeWaitExpired == 1);
    CHECK(c.h.counters.CurrTimeWait == 0);
}

TEST_CASE("TIME_WAIT: a retransmitted FIN is ACKed and restarts 2MSL; RST is ignored "
          "(RFC 9293, RFC 1337)", "[tcp][close][timers]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.msl_us = 1'000'000;
    Established c(cfg);
    tcp::Tcb* t = c.svc.conn;
    c.h.engine->close(*t);
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    SegmentSpec fin = c.ack(c.iss + 2);
    fin.flags |= kFin;
    c.h.deliver(fin);
    c.h.pop();
    c.h.advance_ms(1500);
    c.h.deliver(fin);  // our ACK was lost: the peer sends FIN again
    CHECK(c.h.pop().ack.v == kPeerIsn + 2);
    SegmentSpec rst = c.ack(c.iss + 2);
    rst.seq = kPeerIsn + 2;
    rst.flags = kRst;
    c.h.deliver(rst);
    CHECK(c.h.tw() != nullptr);
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.TCPTimeWaitRstIgnored == 1);
    c.h.advance_ms(1999);
    CHECK(c.h.tw() != nullptr);  // restarted by the second FIN
    c.h.advance_ms(1);
    CHECK(c.h.tw() == nullptr);
}

TEST_CASE("simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT", "[tcp][close]") {
    Established c;
    tcp::Tcb* t = c.svc.conn;
    c.h.engine->close(*t);
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    SegmentSpec fin = c.ack(c.iss + 1);  // their FIN crosses ours
    fin.flags |= kFin;
    c.h.deliver(fin);
    CHECK(t->state == State::Closing);
    c.h.pop();
    c.peer_nxt += 1;
    c.h.deliver(c.ack(c.iss + 2));
    CHECK(c.h.conn() == nullptr);
    CHECK(c.h.tw() != nullptr);
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

TEST_CASE("FIN_WAIT_2: an orphaned connection is closed after the FIN timeout",
          "[tcp][close][timers]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.fin_timeout_us = 5'000'000;
    Established c(cfg);
    tcp::Tcb* t = c.svc.conn;
    c.h.engine->close(*t);
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    c.h.deliver(c.ack(c.iss + 2));
    REQUIRE(t->state == State::FinWait2);
    c.h.advance_ms(4999);
    CHECK(c.h.conn() != nullptr);
    c.h.advance_ms(1);
    CHECK(c.h.conn() == nullptr);
    CHECK(c.h.counters.TCPFinWait2Timeouts == 1);
}

TEST_CASE("FIN_WAIT_2: after shutdown_write the connection keeps receiving (half-close)",
          "[tcp][close]") {
    Established c;
    tcp::Tcb* t = c.svc.conn;
    c.h.engine->shutdown_write(*t);
    c.h.engine->flush(c.h.now_us);
    CHECK(c.h.pop().has(kFin));
    c.h.deliver(c.ack(c.iss + 2));
    REQUIRE(t->state == State::FinWait2);
    c.h.advance_ms(120'000);  // no FIN timeout for a half-closed connection
    REQUIRE(c.h.conn() != nullptr);
    c.h.deliver(c.data("still talking", c.iss + 2));
    CHECK(c.h.pop().ack.v == kPeerIsn + 1 + 13);
    CHECK(c.svc.received == "still talking");
}

TEST_CASE("TIME_WAIT: with rfc1337 off an exact RST ends TIME_WAIT", "[tcp][close]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.rfc1337 = false;
    Established c(cfg);
    c.h.engine->close(*c.svc.conn);
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    SegmentSpec fin = c.ack(c.iss + 2);
    fin.flags |= kFin;
    c.h.deliver(fin);
    c.h.pop();
    REQUIRE(c.h.tw() != nullptr);
    SegmentSpec rst = c.ack(c.iss + 2);
    rst.seq = kPeerIsn + 2;
    rst.flags = kRst;
    c.h.deliver(rst);
    CHECK(c.h.tw() == nullptr);
}

TEST_CASE("TIME_WAIT: a SYN with a newer timestamp reuses the tuple (RFC 6191); an older one "
          "is dropped silently", "[tcp][close]") {
    TimestampedTimeWait tw;
    EngineHarness& h = tw.h;
    const SegmentSpec& syn = tw.syn;
    SegmentSpec old_syn = syn;
    old_syn.seq = kPeerIsn + 100000;
    old_syn.opts.ts_val = 4000;  // older than TS.Recent: not a new incarnation
    h.deliver(old_syn);
    CHECK(h.nothing_sent());
    CHECK(h.counters.TCPTimeWaitSynDropped == 1);
    CHECK(h.tw() != nullptr);
    SegmentSpec new_syn = old_syn;
    new_syn.opts.ts_val = 6000;
    h.deliver(new_syn);
    Sent synack = h.pop();
    CHECK(synack.flags == (kSyn | kAck));
    CHECK(h.tw() == nullptr);
    if (cookie_mode_under_test() != tcp::CookieMode::Always) {  // a cookie keeps no TCB
        CHECK(h.conn()->state == State::SynReceived);
        // RFC 6191 §2: the new ISS lies above all the old incarnation sent.
        CHECK(synack.seq.v == tw.snd_nxt + 65535 + 2);
    }
    CHECK(h.counters.TWRecycled == 1);
}

TEST_CASE("TIME_WAIT: a full table closes without TIME_WAIT, counted", "[tcp][close]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.max_time_wait = 0;
    Established c(cfg);
    c.h.engine->close(*c.svc.conn);
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    SegmentSpec fin = c.ack(c.iss + 2);
    fin.flags |= kFin;
    c.h.deliver(fin);
    CHECK(c.h.pop().ack.v == kPeerIsn + 2);  // the final ACK still goes out
    CHECK(c.h.tw() == nullptr);
    CHECK(c.h.conn() == nullptr);
    CHECK(c.h.counters.TCPTimeWaitOverflow == 1);
}

TEST_CASE("ESTABLISHED: a lost tail draws a loss probe after 2*SRTT, before the RTO "
          "(RFC 8985 §7)", "[tcp][timers][recovery][stateful]") {
    Established c;
    tcp::Tcb* t = c.svc.conn;
    c.h.engine->send(*t, "abc", 3);  // one exchange for an RTT sample
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    c.h.now_us += 20'000;
    c.h.deliver(c.ack(c.iss + 4));
    REQUIRE(t->rtt.srtt_us() == 20'000);
    std::string two(2800, 'd');
    c.h.engine->send(*t, two.data(), two.size());
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    c.h.pop();
    c.h.advance_ms(39);
    CHECK(c.h.nothing_sent());
    c.h.advance_ms(1);  // PTO = 2 * SRTT = 40 ms
    Sent probe = c.h.pop();
    CHECK(probe.seq.v == c.iss + 4 + 1400);  // the last segment again
    CHECK(probe.payload.size() == 1400);
    CHECK(c.h.counters.TCPLossProbes == 1);
    c.h.advance_ms(199);
    CHECK(c.h.nothing_sent());
    c.h.advance_ms(1);  // then the RTO (200 ms floor) from the probe on
    CHECK(c.h.pop().seq.v == c.iss + 4);
}

TEST_CASE("ESTABLISHED: SACK blocks above a hole trigger its retransmission at once "
          "(RFC 6675, RFC 5827)", "[tcp][recovery][sack][stateful]") {
    Established c(EngineHarness::default_config(), true);
    tcp::Tcb* t = c.svc.conn;
    std::string data(1400 * 6, 'e');
    c.h.engine->send(*t, data.data(), data.size());
    c.h.engine->flush(c.h.now_us);
    for (int i = 0; i < 6; ++i)
        c.h.pop();
    uint32_t first = c.iss + 1;
    // Segments 2 and 4..6 arrived: two holes.
    SegmentSpec dup = c.ack(first);
    dup.opts.sack_count = 2;
    dup.opts.sack[0] = {first + 3 * 1400, first + 6 * 1400};
    dup.opts.sack[1] = {first + 1400, first + 2 * 1400};
    c.h.deliver(dup);
    Sent r1 = c.h.pop();
    Sent r2 = c.h.pop();
    CHECK(r1.seq.v == first);             // the first hole
    CHECK(r2.seq.v == first + 2 * 1400);  // and the second, skipping the SACKed one
    CHECK(t->in_recovery);
    CHECK(c.h.counters.TCPSackRecovery == 1);
    c.h.deliver(c.ack(first + 6 * 1400));
    CHECK_FALSE(t->in_recovery);
    CHECK(t->sendq.bytes == 0);
}

TEST_CASE("LISTEN: the User Timeout Option is advertised, and a peer's is honoured within "
          "bounds (RFC 5482 §3.1)", "[tcp][uto]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.user_timeout_us = 120'000'000;
    cfg.uto_advertise = true;
    cfg.uto_min_us = 10'000'000;
    cfg.uto_max_us = 60'000'000;
    struct Case {
        uint16_t advertised;
        bool minutes;
        uint64_t expect_us;
    } cases[] = {{5, false, 10'000'000}, {30, false, 30'000'000}, {5, true, 60'000'000}, {0, false, 120'000'000}};
    for (const Case& k : cases) {
        EngineHarness h(cfg);
        RecordingService svc;
        h.listen(80, &svc);
        SegmentSpec syn = syn_with(true, false, false, false);
        syn.opts.has_user_timeout = k.advertised != 0;
        syn.opts.user_timeout = k.advertised;
        syn.opts.user_timeout_minutes = k.minutes;
        h.deliver(syn);
        Sent synack = h.pop();
        CHECK(synack.opts.has_user_timeout);
        CHECK(synack.opts.user_timeout == 120);
        CHECK_FALSE(synack.opts.user_timeout_minutes);
        if (cookie_mode_under_test() != tcp::CookieMode::Always)  // a cookie cannot hold the peer's UTO
            CHECK(h.conn()->user_timeout_us == k.expect_us);
    }
}

TEST_CASE("ESTABLISHED: data unacknowledged past the user timeout aborts the connection "
          "(RFC 5482)", "[tcp][uto][timers]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.user_timeout_us = 5'000'000;
    Established c(cfg);
    c.h.engine->send(*c.svc.conn, "x", 1);
    c.h.engine->flush(c.h.now_us);
    c.h.pop();
    c.h.advance_ms(4999);  // retransmissions at 1 s and 3 s
    CHECK(c.h.sent.size() == 2);
    c.h.sent.clear();
    CHECK(c.svc.conn != nullptr);
    c.h.advance_ms(1);     // 5 s: the RTO timer is cut short to end it
    CHECK(c.h.pop().has(kRst));
    CHECK(c.svc.saw("closed:timeout"));
    CHECK(c.h.counters.TCPAbortOnUserTimeout == 1);
}

TEST_CASE("ESTABLISHED: an idle connection is probed, kept while the peer answers, and "
          "aborted when it stops (RFC 1122 4.2.3.6)", "[tcp][keepalive][timers]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.keepalive_idle_us = 10'000'000;
    cfg.keepalive_interval_us = 1'000'000;
    cfg.keepalive_probes = 3;
    Established c(cfg);
    c.h.advance_ms(5000);
    c.h.deliver(c.data("x"));  // activity resets the idle clock
    c.h.pop();
    c.h.advance_ms(9999);
    CHECK(c.h.nothing_sent());
    c.h.advance_ms(1);
    Sent probe = c.h.pop();
    CHECK(probe.seq.v == c.iss);  // SND.UNA - 1: the peer must answer
    CHECK(probe.payload.empty());
    c.peer_nxt += 1;
    c.h.deliver(c.ack());         // the answer
    c.h.advance_ms(9999);
    CHECK(c.h.nothing_sent());
    c.h.advance_ms(1);
    c.h.pop();                    // probe 1 of a silent peer
    c.h.advance_ms(1000);
    c.h.pop();                    // 2
    c.h.advance_ms(1000);
    c.h.pop();                    // 3
    c.h.advance_ms(1000);
    CHECK(c.h.pop().has(kRst));
    CHECK(c.svc.saw("closed:timeout"));
    CHECK(c.h.counters.TCPKeepAlive == 4);
    CHECK(c.h.counters.TCPAbortOnKeepalive == 1);
}

TEST_CASE("ESTABLISHED: a zero window is probed with backoff until it opens "
          "(RFC 9293 §3.8.6.1)", "[tcp][timers][persist]") {
    Established c;
    tcp::Tcb* t = c.svc.conn;
    SegmentSpec closed = c.ack();
    closed.window = 0;
    c.h.deliver(closed);
    REQUIRE(t->snd_wnd == 0);
    c.h.engine->send(*t, "waiting", 7);
    c.h.engine->flush(c.h.now_us);
    CHECK(c.h.nothing_sent());  // nothing fits a zero window
    c.h.advance_ms(1000);       // the persist timer, at the RTO
    Sent probe = c.h.pop();
    CHECK(probe.payload.empty());
    CHECK(probe.seq.v == c.iss);  // below the window: the peer must answer
    c.h.advance_ms(1999);
    CHECK(c.h.nothing_sent());
    c.h.advance_ms(1);          // backed off: 2 s later
    CHECK(c.h.pop().payload.empty());
    CHECK(c.h.counters.TCPWinProbe == 2);
    c.h.deliver(c.ack());       // window opens (65535)
    Sent data = c.h.pop();
    CHECK(data.payload == "waiting");
    CHECK(c.svc.conn->state == State::Established);
}

TEST_CASE("TIME_WAIT: an equal timestamp with a higher sequence number reuses the tuple "
          "(RFC 6191 §2)", "[tcp][close]") {
    TimestampedTimeWait tw;
    EngineHarness& h = tw.h;
    const SegmentSpec& syn = tw.syn;
    SegmentSpec again = syn;
    again.opts.ts_val = 5002;       // the same as the last one seen
    again.seq = kPeerIsn + 1;       // not beyond: refused, silently
    h.deliver(again);
    CHECK(h.nothing_sent());
    again.seq = kPeerIsn + 100000;  // beyond: accepted
    h.deliver(again);
    CHECK(h.pop().flags == (kSyn | kAck));
    CHECK(h.tw() == nullptr);
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
