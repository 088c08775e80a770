// Closing a connection: FIN_WAIT_1, FIN_WAIT_2 and CLOSING when our FIN goes
// first (or both cross), CLOSE_WAIT and LAST_ACK when the peer's does. The
// "<STATE> fixture" cases check what state_fixtures.hpp drives a connection
// to; the others go on from there, one RFC 9293 §3.10.7.4 rule each.
// Test names read "<state>: <event>"; each cites the rule it checks.
#include <catch2/catch.hpp>

#include "state_fixtures.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::State;
using tcp::TimerKind;

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

TEST_CASE("FIN_WAIT_1 fixture: our FIN is out and unacknowledged; the peer's stream is open",
          "[tcp][close][fixture]") {
    for (Ending how : {Ending::ShutdownWrite, Ending::Close}) {
        INFO(ending_name(how));
        FinWait1 c(how);
        check_tcb(c.tcb(), c.iss,
                  {.state = State::FinWait1, .snd_una = 1, .snd_nxt = 2, .snd_max = 2, .rcv_nxt = 1,
                   .fin_queued = true, .fin_seq = 1, .timer = TimerKind::Retransmit});
        CHECK(c.our_fin.seq.v == c.iss + 1);
        CHECK(c.our_fin.ack.v == kPeerIsn + 1);
        CHECK(c.tcb()->orphan == (how == Ending::Close));  // close() reads no more
    }
}

TEST_CASE("FIN_WAIT_1: the ACK of our FIN enters FIN_WAIT_2 (RFC 9293 §3.10.7.4 fifth)",
          "[tcp][close]") {
    FinWait1 c;
    c.h.deliver(c.ack(c.fin_acked()));
    CHECK(c.h.nothing_sent());
    CHECK(c.tcb()->state == State::FinWait2);
    CHECK(c.tcb()->snd_una.v == c.iss + 2);
}

TEST_CASE("FIN_WAIT_1: data from the peer is still delivered (RFC 9293 §3.10.7.4 seventh)",
          "[tcp][close][data]") {
    FinWait1 c;
    c.h.deliver(c.data("more", c.iss + 1));
    Sent ack = c.h.pop();
    CHECK(ack.ack.v == kPeerIsn + 1 + 4);
    CHECK(c.svc.received == "more");
    CHECK(c.tcb()->state == State::FinWait1);
}

TEST_CASE("FIN_WAIT_1: the peer's FIN before the ACK of ours enters CLOSING (RFC 9293 "
          "§3.10.7.4 eighth)", "[tcp][close]") {
    FinWait1 c;
    c.h.deliver(c.fin(c.iss + 1));
    Sent ack = c.h.pop();
    CHECK(ack.ack.v == kPeerIsn + 2);
    CHECK(ack.seq.v == c.iss + 2);
    CHECK(c.tcb()->state == State::Closing);
}

TEST_CASE("FIN_WAIT_1: a FIN that also acknowledges ours enters TIME_WAIT (RFC 9293 §3.10.7.4 "
          "eighth)", "[tcp][close]") {
    FinWait1 c;
    c.h.deliver(c.fin(c.fin_acked()));
    CHECK(c.h.pop().ack.v == kPeerIsn + 2);
    CHECK(c.tcb() == nullptr);
    CHECK(c.h.tw() != nullptr);
}

TEST_CASE("FIN_WAIT_2 fixture: our FIN is acknowledged; only an orphan runs the FIN timeout",
          "[tcp][close][fixture]") {
    for (Ending how : {Ending::ShutdownWrite, Ending::Close}) {
        INFO(ending_name(how));
        // Nobody reads what an orphan receives: it must not wait forever.
        TimerKind timer = how == Ending::Close ? TimerKind::FinWait2 : TimerKind::None;
        FinWait2 c(how);
        check_tcb(c.tcb(), c.iss,
                  {.state = State::FinWait2, .snd_una = 2, .snd_nxt = 2, .snd_max = 2, .rcv_nxt = 1,
                   .fin_queued = true, .fin_seq = 1, .timer = timer});
    }
}

TEST_CASE("FIN_WAIT_2: data from the peer is still received and delivered (RFC 9293 "
          "§3.10.7.4 seventh)", "[tcp][close][data]") {
    FinWait2 c;
    c.h.deliver(c.data("late reply", c.fin_acked()));
    CHECK(c.h.pop().ack.v == kPeerIsn + 1 + 10);
    CHECK(c.svc.received == "late reply");
    CHECK(c.tcb()->rcv_nxt.v == kPeerIsn + 1 + 10);
    CHECK(c.tcb()->state == State::FinWait2);
}

TEST_CASE("FIN_WAIT_2: the peer's FIN is acknowledged and enters TIME_WAIT (RFC 9293 §3.10.7.4 "
          "eighth)", "[tcp][close]") {
    FinWait2 c;
    c.h.deliver(c.fin(c.fin_acked()));
    Sent ack = c.h.pop();
    CHECK(ack.ack.v == kPeerIsn + 2);
    CHECK(ack.seq.v == c.iss + 2);
    CHECK(c.tcb() == nullptr);
    CHECK(c.h.tw() != nullptr);
    CHECK(c.svc.saw("closed:normal"));
}

TEST_CASE("CLOSE_WAIT fixture: the peer's FIN is counted and the service told",
          "[tcp][close][fixture]") {
    CloseWait c;
    check_tcb(c.tcb(), c.iss,
              {.state = State::CloseWait, .snd_una = 1, .snd_nxt = 1, .snd_max = 1, .rcv_nxt = 2,
               .peer_fin = true});
    CHECK(c.svc.saw("peer_shutdown"));
}

TEST_CASE("CLOSE_WAIT: data from the peer after its FIN is not delivered (RFC 9293 §3.10.7.4 "
          "seventh)", "[tcp][close][data]") {
    CloseWait c;
    c.h.deliver(c.data("after the end"));
    CHECK(c.h.pop().ack.v == kPeerIsn + 2);  // answered with what we hold
    CHECK(c.svc.received.empty());
    CHECK_FALSE(c.svc.saw("data"));
    CHECK(c.tcb()->rcv_nxt.v == kPeerIsn + 2);
    CHECK(c.tcb()->state == State::CloseWait);
}

TEST_CASE("CLOSE_WAIT: close() sends our FIN and enters LAST_ACK (RFC 9293 §3.10.4)",
          "[tcp][close]") {
    CloseWait c;
    c.h.engine->close(*c.tcb());
    c.h.engine->flush(c.h.now_us);
    Sent fin = c.h.pop();
    CHECK(fin.flags == (kAck | kFin));
    CHECK(fin.seq.v == c.iss + 1);
    CHECK(fin.ack.v == kPeerIsn + 2);
    CHECK(c.tcb()->state == State::LastAck);
}

TEST_CASE("LAST_ACK fixture: both FINs are out, ours unacknowledged", "[tcp][close][fixture]") {
    for (Ending how : {Ending::ShutdownWrite, Ending::Close}) {
        INFO(ending_name(how));
        LastAck c(how);
        check_tcb(c.tcb(), c.iss,
                  {.state = State::LastAck, .snd_una = 1, .snd_nxt = 2, .snd_max = 2, .rcv_nxt = 2,
                   .fin_queued = true, .fin_seq = 1, .peer_fin = true,
                   .timer = TimerKind::Retransmit});
        CHECK(c.our_fin.ack.v == kPeerIsn + 2);
    }
}

TEST_CASE("LAST_ACK: the ACK of our FIN enters CLOSED and releases the TCB (RFC 9293 "
          "§3.10.7.4 fifth)", "[tcp][close]") {
    LastAck c;
    c.h.deliver(c.ack(c.fin_acked()));
    CHECK(c.h.nothing_sent());
    CHECK(c.tcb() == nullptr);
    CHECK(c.h.tw() == nullptr);  // the peer closed first: no TIME_WAIT on our side
    CHECK(c.svc.saw("closed:normal"));
    CHECK(c.h.engine->connection_count() == 0);
}

TEST_CASE("CLOSING fixture: both FINs are out, ours unacknowledged, the peer's acknowledged",
          "[tcp][close][fixture]") {
    Closing c;
    check_tcb(c.tcb(), c.iss,
              {.state = State::Closing, .snd_una = 1, .snd_nxt = 2, .snd_max = 2, .rcv_nxt = 2,
               .fin_queued = true, .fin_seq = 1, .peer_fin = true, .timer = TimerKind::Retransmit});
}

TEST_CASE("CLOSING: the ACK of our FIN enters TIME_WAIT (RFC 9293 §3.10.7.4 fifth)",
          "[tcp][close]") {
    Closing c;
    c.h.deliver(c.ack(c.fin_acked()));
    CHECK(c.h.nothing_sent());
    CHECK(c.tcb() == nullptr);
    CHECK(c.h.tw() != nullptr);
    CHECK(c.svc.saw("closed:normal"));
}
