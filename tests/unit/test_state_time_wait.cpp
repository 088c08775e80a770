// TIME_WAIT: the compact entry that outlives an active close (RFC 9293
// §3.10.7.4, RFC 1337, RFC 6191).
// Test names read "<state>: <event>"; each cites the rule it checks.
#include <catch2/catch.hpp>

#include "state_fixtures.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::kRst;
using tcp::kSyn;
using tcp::State;

namespace {

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
