// SYN cookies (syncookie.hpp): stateless SYN-ACKs, cookie ACKs that create
// the connection, and everything that must not.
#include <catch2/catch.hpp>

#include <random>

#include "engine_harness.hpp"
#include "lib/tcp/syncookie.hpp"
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

constexpr uint64_t kPeriodUs = 64'000'000;

struct CookieListener {
    EngineHarness h;
    RecordingService svc;
    explicit CookieListener(tcp::CookieMode mode = tcp::CookieMode::Always, uint32_t threshold = 1024,
                            const tcp::EngineConfig& cfg = cookie_config())
        : h(cfg) {
        tcp::Listener l;
        l.port = 80;
        l.service = &svc;
        l.cookies = mode;
        l.cookie_threshold = threshold;
        REQUIRE(h.engine->add_listener(l));
    }
    static tcp::EngineConfig cookie_config() {
        tcp::EngineConfig c = EngineHarness::default_config();
        c.cookie_key = {0x1111, 0x2222};
        c.cookie_period_us = kPeriodUs;
        return c;
    }
};

SegmentSpec syn(uint16_t port, uint16_t mss, bool ts, bool ws, bool sack) {
    SegmentSpec s;
    s.src_port = port;
    s.seq = 5000;
    s.flags = kSyn;
    s.opts.has_mss = mss != 0;
    s.opts.mss = mss;
    s.opts.has_timestamps = ts;
    s.opts.ts_val = 100;
    s.opts.has_window_scale = ws;
    s.opts.window_scale = 6;
    s.opts.sack_permitted = sack;
    return s;
}

SegmentSpec ack_of(const SegmentSpec& syn, const Sent& synack) {
    SegmentSpec a = syn;
    a.flags = kAck;
    a.seq = syn.seq + 1;
    a.ack = synack.seq.v + 1;
    a.opts = tcp::TcpOptions{};
    if (synack.opts.has_timestamps) {
        a.opts.has_timestamps = true;
        a.opts.ts_val = 101;
        a.opts.ts_ecr = synack.opts.ts_val;  // the echo carries the options back
    }
    return a;
}

}  // namespace

TEST_CASE("syncookie: round trip for every MSS index and option combination",
          "[tcp][syncookie]") {
    const uint16_t msses[] = {0, 536, 1000, 1220, 1300, 1440, 1460, 9000};
    for (uint16_t mss : msses) {
        for (int mask = 0; mask < 8; ++mask) {
            bool ts = mask & 1, ws = mask & 2, sack = mask & 4;
            CookieListener c;
            SegmentSpec s = syn(40000, mss, ts, ws, sack);
            c.h.deliver(s);
            Sent synack = c.h.pop();
            CHECK(synack.flags == (kSyn | kAck));
            CHECK(synack.ack.v == 5001);
            CHECK(c.h.engine->connection_count() == 0);  // nothing remembered
            CHECK(synack.opts.has_timestamps == ts);
            CHECK(synack.opts.has_window_scale == (ts && ws));  // only with a TS to carry it
            CHECK(synack.opts.sack_permitted == (ts && sack));
            c.h.deliver(ack_of(s, synack));
            tcp::Tcb* t = c.h.conn();
            REQUIRE(t);
            CHECK(t->state == State::Established);
            CHECK(c.svc.saw("accept"));
            uint16_t peer = mss ? mss : 536;
            uint16_t expect = tcp::SynCookies::kMssTable[tcp::SynCookies::mss_index(std::min<uint16_t>(peer, 1460))];
            CHECK(t->snd_mss == expect - (ts ? 12 : 0));
            CHECK(t->ts_ok == ts);
            CHECK(t->ws_ok == (ts && ws));
            if (ts && ws)
                CHECK(t->snd_wscale == 6);
            CHECK(t->sack_ok == (ts && sack));
            CHECK(c.h.counters.SyncookiesSent == 1);
            CHECK(c.h.counters.SyncookiesRecv == 1);
        }
    }
}

TEST_CASE("syncookie: data on the cookie ACK is delivered", "[tcp][syncookie]") {
    CookieListener c;
    SegmentSpec s = syn(40000, 1460, true, true, true);
    c.h.deliver(s);
    Sent synack = c.h.pop();
    SegmentSpec a = ack_of(s, synack);
    a.flags |= kPsh;
    a.payload = "GET / HTTP/1.1\r\n\r\n";
    c.h.deliver(a);
    CHECK(c.svc.received == a.payload);
    CHECK(c.h.pop().ack.v == 5001 + a.payload.size());
}

TEST_CASE("syncookie: valid in the next period, expired after that", "[tcp][syncookie]") {
    for (uint64_t wait_periods : {0, 1, 2}) {
        CookieListener c;
        SegmentSpec s = syn(40000, 1460, false, false, false);
        c.h.deliver(s);
        Sent synack = c.h.pop();
        c.h.now_us += wait_periods * kPeriodUs;
        c.h.deliver(ack_of(s, synack));
        bool accepted = c.h.conn() != nullptr;
        CHECK(accepted == (wait_periods < 2));
        CHECK(c.h.counters.SyncookiesFailed == (wait_periods < 2 ? 0 : 1));
        if (!accepted)
            CHECK(c.h.nothing_sent());  // dropped, not answered
    }
}

TEST_CASE("syncookie: forged cookies, another tuple's cookie and an ACK flood create nothing",
          "[tcp][syncookie]") {
    CookieListener c;
    SegmentSpec s = syn(40000, 1460, true, false, false);
    c.h.deliver(s);
    Sent synack = c.h.pop();
    SegmentSpec a = ack_of(s, synack);
    a.ack = synack.seq.v + 2;  // one off
    c.h.deliver(a);
    a = ack_of(s, synack);
    a.src_port = 40001;        // replayed from another port
    c.h.deliver(a);
    a = ack_of(s, synack);
    a.seq = s.seq + 2;         // another peer ISN
    c.h.deliver(a);
    std::mt19937 rng(7);
    uint64_t flood = 0;
    for (int i = 0; i < 20000; ++i) {
        SegmentSpec r;
        r.src_port = static_cast<uint16_t>(1024 + rng() % 60000);
        r.src = 0xC6120000 | (rng() & 0xff);
        if (r.src == 0xC6120001)
            continue;
        r.seq = rng();
        r.ack = rng();
        r.flags = kAck;
        c.h.deliver(r);
        ++flood;
    }
    CHECK(c.h.engine->connection_count() == 0);
    CHECK(c.h.nothing_sent());
    CHECK(c.h.counters.SyncookiesFailed == flood + 3);
    CHECK(c.h.counters.SyncookiesRecv == 0);
}

TEST_CASE("syncookie: auto mode turns on at the threshold and off below it", "[tcp][syncookie]") {
    CookieListener c(tcp::CookieMode::Auto, 2);
    SegmentSpec s1 = syn(40001, 1460, false, false, false);
    SegmentSpec s2 = syn(40002, 1460, false, false, false);
    SegmentSpec s3 = syn(40003, 1460, false, false, false);
    c.h.deliver(s1);
    Sent a1 = c.h.pop();
    c.h.deliver(s2);
    Sent a2 = c.h.pop();
    CHECK(c.h.engine->connection_count() == 2);  // stateful below the threshold
    c.h.deliver(s3);
    Sent a3 = c.h.pop();
    CHECK(c.h.engine->connection_count() == 2);  // the third got a cookie
    CHECK(c.h.counters.SyncookiesSent == 1);
    c.h.deliver(ack_of(s3, a3));
    CHECK(c.h.conn(40003)->state == State::Established);
    c.h.deliver(ack_of(s1, a1));
    c.h.deliver(ack_of(s2, a2));
    // Queue drained: the next SYN is stateful again.
    c.h.deliver(syn(40004, 1460, false, false, false));
    c.h.pop();
    CHECK(c.h.conn(40004) != nullptr);
    CHECK(c.h.conn(40004)->state == State::SynReceived);
    CHECK(c.h.counters.SyncookiesSent == 1);
}

TEST_CASE("syncookie: an ACK at a listener that sent no cookies still gets RST",
          "[tcp][syncookie][rst]") {
    CookieListener c(tcp::CookieMode::Auto, 1024);
    SegmentSpec a;
    a.flags = kAck;
    a.seq = 1;
    a.ack = 12345;
    c.h.deliver(a);
    CHECK(c.h.pop().flags == kRst);
}

TEST_CASE("syncookie: cookies off drops SYNs when the queue is full", "[tcp][syncookie]") {
    EngineHarness h;
    RecordingService svc;
    tcp::Listener l;
    l.port = 80;
    l.service = &svc;
    l.cookies = tcp::CookieMode::Off;
    l.syn_backlog = 1;
    REQUIRE(h.engine->add_listener(l));
    h.deliver(syn(40001, 1460, false, false, false));
    h.deliver(syn(40002, 1460, false, false, false));
    CHECK(h.sent.size() == 1);
    CHECK(h.counters.TCPReqQFullDrop == 1);
    CHECK(h.counters.SyncookiesSent == 0);
}

TEST_CASE("syncookie: TSval encoding keeps the options and never runs ahead", "[tcp][syncookie]") {
    for (uint32_t ts : {0u, 63u, 64u, 1000000u, 0xffffffffu}) {
        tcp::CookieTsOptions o{true, 9, true};
        uint32_t enc = tcp::SynCookies::encode_ts(ts, o);
        CHECK(static_cast<int32_t>(enc - ts) <= 0);
        CHECK(static_cast<int32_t>(ts - enc) < 128);
        auto back = tcp::SynCookies::decode_ts(enc);
        CHECK(back.has_window_scale);
        CHECK(back.window_scale == 9);
        CHECK(back.sack_permitted);
    }
    auto none = tcp::SynCookies::decode_ts(tcp::SynCookies::encode_ts(5000, {}));
    CHECK_FALSE(none.has_window_scale);
    CHECK_FALSE(none.sack_permitted);
}

TEST_CASE("syncookie: a cookie whose MSS index was changed is refused", "[tcp][syncookie]") {
    for (uint32_t other = 0; other < 4; ++other) {
        CookieListener c;
        SegmentSpec s = syn(40000, 1460, false, false, false);
        c.h.deliver(s);
        Sent synack = c.h.pop();
        uint32_t index = (synack.seq.v >> 25) & 3;
        if (other == index)
            continue;
        SegmentSpec a = ack_of(s, synack);
        a.ack = ((synack.seq.v & ~(3u << 25)) | (other << 25)) + 1;
        c.h.deliver(a);
        CHECK(c.h.conn() == nullptr);
        CHECK(c.h.counters.SyncookiesFailed == 1);
        CHECK(c.h.nothing_sent());
    }
}

TEST_CASE("syncookie: the connection's TSval continues the SYN-ACK's clock", "[tcp][syncookie]") {
    // The TSval offset comes from the cookie's hash; the SYN-ACK and every
    // later segment must use the same one (RFC 7323 §5.4: monotonic TSval).
    CookieListener c;
    SegmentSpec s = syn(40000, 1460, true, true, true);
    c.h.deliver(s);
    Sent synack = c.h.pop();
    c.h.now_us += 5000;
    SegmentSpec a = ack_of(s, synack);
    a.flags |= kPsh;
    a.payload = "x";
    c.h.deliver(a);
    Sent reply = c.h.pop();
    REQUIRE(reply.opts.has_timestamps);
    uint32_t advance = reply.opts.ts_val - synack.opts.ts_val;
    CHECK(advance >= 5);            // 5 ms later
    CHECK(advance <= 5 + 63);       // plus at most the 6 option bits the SYN-ACK gave up
    CHECK(reply.opts.ts_ecr == 101);
}

TEST_CASE("syncookie: an ECN agreement rides in the TSval and survives the cookie (RFC 3168)",
          "[tcp][syncookie][ecn]") {
    CookieListener c;
    SegmentSpec s = syn(40000, 1460, true, false, false);
    s.flags |= tcp::kEce | tcp::kCwr;  // an ECN-setup SYN
    c.h.deliver(s);
    Sent synack = c.h.pop();
    CHECK(synack.has(tcp::kEce));
    CHECK_FALSE(synack.has(tcp::kCwr));
    CHECK((synack.opts.ts_val & 0x20) != 0);
    c.h.deliver(ack_of(s, synack));
    REQUIRE(c.h.conn());
    CHECK(c.h.conn()->ecn_ok);
    CHECK(c.h.counters.TCPECNNegotiated == 1);
}
