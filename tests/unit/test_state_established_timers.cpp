// ESTABLISHED: the timers of a synchronized connection: retransmission
// (RFC 6298), loss probes and SACK recovery, user timeout, keepalive and
// zero-window probes.
// Test names read "<state>: <event>"; each cites the rule it checks.
#include <catch2/catch.hpp>

#include "state_fixtures.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kRst;
using tcp::State;

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
