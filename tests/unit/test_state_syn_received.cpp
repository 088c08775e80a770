// SYN_RECEIVED: the half-open connection a listener keeps after the peer's
// SYN, until the third ACK, a RST, or the end of SYN-ACK retransmission.
// Only a stateful handshake keeps this TCB: the cases that need one are
// [stateful] (a SYN cookie answers without it).
// Test names read "<state>: <event>"; each cites the rule it checks.
#include <catch2/catch.hpp>

#include "state_fixtures.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kRst;
using tcp::kSyn;
using tcp::State;
using tcp::TimerKind;

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

TEST_CASE("SYN_RECEIVED fixture: the peer's SYN leaves a half-open TCB, our SYN-ACK outstanding "
          "(RFC 9293 §3.10.7.2)", "[tcp][handshake][fixture][stateful]") {
    SynReceived c;
    check_tcb(c.tcb(), c.iss,
              {.state = State::SynReceived, .snd_una = 0, .snd_nxt = 1, .snd_max = 1, .rcv_nxt = 1,
               .timer = TimerKind::Retransmit});
    CHECK(c.synack.ack.v == kPeerIsn + 1);
    CHECK(c.svc.events.empty());  // the service hears of it once established
}

TEST_CASE("SYN_RECEIVED: a RST with the exact sequence number returns to LISTEN, the service "
          "not told (RFC 9293 §3.10.7.4 second)", "[tcp][handshake][rst][stateful]") {
    SynReceived c;
    SegmentSpec rst;
    rst.seq = kPeerIsn + 1;
    rst.flags = kRst;
    c.h.deliver(rst);
    CHECK(c.h.nothing_sent());
    CHECK(c.tcb() == nullptr);
    CHECK(c.svc.events.empty());
    CHECK(c.h.counters.AttemptFails == 1);
    c.h.deliver(c.syn);  // the listener is still there: the same SYN opens anew
    CHECK(c.h.pop().flags == (kSyn | kAck));
    REQUIRE(c.tcb() != nullptr);
    CHECK(c.tcb()->state == State::SynReceived);
}

TEST_CASE("SYN_RECEIVED: a retransmitted SYN draws the same SYN-ACK again (ours was lost)",
          "[tcp][handshake][stateful]") {
    SynReceived c;
    c.h.deliver(c.syn);
    Sent again = c.h.pop();
    CHECK(again.flags == (kSyn | kAck));
    CHECK(again.seq.v == c.iss);
    CHECK(again.ack.v == kPeerIsn + 1);
    CHECK(c.h.nothing_sent());
    check_tcb(c.tcb(), c.iss,
              {.state = State::SynReceived, .snd_una = 0, .snd_nxt = 1, .snd_max = 1, .rcv_nxt = 1,
               .timer = TimerKind::Retransmit});
}
