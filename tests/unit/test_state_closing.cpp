// Closing a connection: FIN_WAIT_1, FIN_WAIT_2 and CLOSING when our FIN goes
// first (or both cross), CLOSE_WAIT and LAST_ACK when the peer's does.
// Test names read "<state>: <event>"; each cites the rule it checks.
#include <catch2/catch.hpp>

#include "state_fixtures.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kFin;
using tcp::State;

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
