// CLOSED and LISTEN (RFC 9293 §3.10.7.1, §3.10.7.2): what a segment for no
// connection gets, and how a listener answers a SYN and its options.
// Test names read "<state>: <event>"; each cites the rule it checks.
#include <catch2/catch.hpp>

#include "state_fixtures.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kRst;
using tcp::kSyn;
using tcp::State;

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
