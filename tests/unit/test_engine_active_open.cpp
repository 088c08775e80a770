// Active open (RFC 9293 §3.10.7.3), simultaneous open (Figure 8) and
// ephemeral ports (RFC 6056).
#include <catch2/catch.hpp>

#include <set>

#include "engine_harness.hpp"
#include "recording_service.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kRst;
using tcp::kSyn;
using tcp::State;

namespace {

constexpr uint32_t kUs = 0xC6120001, kPeer = 0xC6120002;
constexpr uint32_t kPeerIsn = 7000;

struct Opening {
    EngineHarness h;
    RecordingService svc;
    tcp::Tcb* t = nullptr;
    Sent syn;
    Opening() {
        t = h.engine->connect(kUs, kPeer, 9000, &svc, 0, h.now_us);
        REQUIRE(t);
        h.engine->flush(h.now_us);
        syn = h.pop();
    }
    // A segment from the peer to the connection's local port.
    SegmentSpec from_peer(uint8_t flags, uint32_t seq, uint32_t ack) const {
        SegmentSpec s;
        s.src_port = 9000;
        s.dst_port = t->key.lport;
        s.flags = flags;
        s.seq = seq;
        s.ack = ack;
        return s;
    }
};

}  // namespace

TEST_CASE("SYN_SENT: connect sends a SYN offering every option (RFC 9293 §3.10.1)",
          "[tcp][active]") {
    Opening o;
    CHECK(o.syn.flags == kSyn);
    CHECK(o.syn.key.rport == 9000);
    CHECK(o.syn.key.lport >= 32768);
    CHECK(o.syn.key.lport <= 60999);
    CHECK(o.syn.opts.has_mss);
    CHECK(o.syn.opts.has_window_scale);
    CHECK(o.syn.opts.sack_permitted);
    CHECK(o.syn.opts.has_timestamps);
    CHECK(o.syn.opts.ts_ecr == 0);
    CHECK(o.t->state == State::SynSent);
    CHECK(o.h.counters.ActiveOpens == 1);
}

TEST_CASE("SYN_SENT: a SYN,ACK establishes; options follow what the peer answered",
          "[tcp][active]") {
    Opening o;
    SegmentSpec synack = o.from_peer(kSyn | kAck, kPeerIsn, o.syn.seq.v + 1);
    synack.opts.has_mss = true;
    synack.opts.mss = 1200;  // no WS, no SACK, no TS in the answer
    o.h.deliver(synack);
    Sent ack = o.h.pop();
    CHECK(ack.flags == kAck);
    CHECK(ack.ack.v == kPeerIsn + 1);
    CHECK(ack.seq.v == o.syn.seq.v + 1);
    CHECK_FALSE(ack.opts.has_timestamps);
    // The window counts from the peer's ISN now known, and never shrinks
    // from what the SYN offered (RFC 9293 §3.8.6).
    CHECK(ack.window == 65535);
    CHECK(o.t->state == State::Established);
    CHECK(o.svc.saw("accept"));
    CHECK(o.t->snd_mss == 1200);
    CHECK_FALSE(o.t->ws_ok);
    CHECK(o.t->rcv_wscale == 0);
    CHECK_FALSE(o.t->sack_ok);
}

TEST_CASE("SYN_SENT: an unacceptable ACK gets RST <SEQ=SEG.ACK>; RST with a good ACK refuses",
          "[tcp][active][rst]") {
    Opening o;
    o.h.deliver(o.from_peer(kSyn | kAck, kPeerIsn, o.syn.seq.v + 99));
    Sent rst = o.h.pop();
    CHECK(rst.flags == kRst);
    CHECK(rst.seq.v == o.syn.seq.v + 99);
    CHECK(o.t->state == State::SynSent);
    o.h.deliver(o.from_peer(kRst, 0, 0));  // no ACK: ignored
    CHECK(o.t->state == State::SynSent);
    o.h.deliver(o.from_peer(kRst | kAck, 0, o.syn.seq.v + 1));
    CHECK(o.svc.saw("closed:refused"));
    CHECK(o.h.counters.AttemptFails == 1);
}

TEST_CASE("SYN_SENT: the SYN is retransmitted with backoff and the connect times out",
          "[tcp][active][timers]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.syn_retries = 2;
    EngineHarness h(cfg);
    RecordingService svc;
    REQUIRE(h.engine->connect(kUs, kPeer, 9000, &svc, 0, h.now_us));
    h.engine->flush(h.now_us);
    h.pop();
    h.advance_ms(1000);
    CHECK(h.pop().flags == kSyn);
    h.advance_ms(2000);
    CHECK(h.pop().flags == kSyn);
    h.advance_ms(4000);
    CHECK(h.nothing_sent());
    CHECK(svc.saw("closed:timeout"));
}

TEST_CASE("simultaneous open: SYN_SENT -> SYN_RECEIVED -> ESTABLISHED (RFC 9293 Figure 8)",
          "[tcp][active]") {
    for (bool peer_sends_synack : {true, false}) {
        Opening o;
        SegmentSpec crossing = o.from_peer(kSyn, kPeerIsn, 0);
        crossing.opts.has_mss = true;
        crossing.opts.mss = 1460;
        o.h.deliver(crossing);
        Sent synack = o.h.pop();
        CHECK(synack.flags == (kSyn | kAck));
        CHECK(synack.seq == o.syn.seq);  // the same ISS
        CHECK(synack.ack.v == kPeerIsn + 1);
        CHECK(o.t->state == State::SynReceived);
        if (peer_sends_synack)  // its own SYN,ACK crossing ours (step 6)
            o.h.deliver(o.from_peer(kSyn | kAck, kPeerIsn, o.syn.seq.v + 1));
        else                    // or just the ACK of our SYN,ACK
            o.h.deliver(o.from_peer(kAck, kPeerIsn + 1, o.syn.seq.v + 1));
        CHECK(o.t->state == State::Established);
        CHECK(o.svc.saw("accept"));
    }
}

TEST_CASE("ephemeral ports: random-looking, in range, never a tuple in use (RFC 6056)",
          "[tcp][active]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.ephemeral_first = 40000;
    cfg.ephemeral_last = 40009;
    cfg.max_connections = 64;
    EngineHarness h(cfg);
    RecordingService svc;
    std::set<uint16_t> ports;
    for (int i = 0; i < 10; ++i) {
        tcp::Tcb* t = h.engine->connect(kUs, kPeer, 9000, &svc, 0, h.now_us);
        REQUIRE(t);
        CHECK(t->key.lport >= 40000);
        CHECK(t->key.lport <= 40009);
        ports.insert(t->key.lport);
    }
    CHECK(ports.size() == 10);
    CHECK(h.engine->connect(kUs, kPeer, 9000, &svc, 0, h.now_us) == nullptr);
    CHECK(h.counters.TCPNoEphemeralPort == 1);
    // Another destination port has its own tuples free.
    CHECK(h.engine->connect(kUs, kPeer, 9001, &svc, 0, h.now_us) != nullptr);
}

// Timeout ms, the delays between SYNs seen, and when the connect gives up:
// the SYN goes out at once, again at each RTO, and never after the deadline.
void check_connect_timeout(uint64_t timeout_ms, std::vector<uint64_t> syn_after_ms, uint64_t give_up_after_ms) {
    EngineHarness h;
    RecordingService svc;
    REQUIRE(h.engine->connect(kUs, kPeer, 9000, &svc, 0, h.now_us, timeout_ms * 1000));
    h.engine->flush(h.now_us);
    CHECK(h.pop().flags == kSyn);
    for (uint64_t ms : syn_after_ms) {
        h.advance_ms(ms - 1);
        CHECK(h.nothing_sent());
        h.advance_ms(1);
        CHECK(h.pop().flags == kSyn);
    }
    h.advance_ms(give_up_after_ms - 1);
    CHECK(h.nothing_sent());
    CHECK_FALSE(svc.saw("closed:timeout"));
    h.advance_ms(1);
    CHECK(h.nothing_sent());  // no further SYN: the connect gave up
    CHECK(svc.saw("closed:timeout"));
    CHECK(h.counters.TCPConnectTimeouts == 1);
    CHECK(h.counters.AttemptFails == 1);
    CHECK(h.engine->connection_count() == 0);
}

TEST_CASE("SYN_SENT: a connect timeout bounds the SYN retransmissions, RTO backoff cut at the deadline",
          "[tcp][active][timers]") {
    // 2.5 s: SYN at 0, again at 1 s (RTO), the next RTO (2 s) is cut to the deadline.
    check_connect_timeout(2500, {1000}, 1500);
}

TEST_CASE("SYN_SENT: a connect timeout shorter than the RTO gives up after the one SYN",
          "[tcp][active][timers]") {
    check_connect_timeout(300, {}, 300);
}

TEST_CASE("SYN_SENT: an answer within the connect timeout establishes, and the deadline no longer applies",
          "[tcp][active][timers]") {
    EngineHarness h;
    RecordingService svc;
    tcp::Tcb* t = h.engine->connect(kUs, kPeer, 9000, &svc, 0, h.now_us, 500'000);
    REQUIRE(t);
    h.engine->flush(h.now_us);
    Sent syn = h.pop();
    h.advance_ms(100);
    SegmentSpec synack;
    synack.src_port = 9000;
    synack.dst_port = t->key.lport;
    synack.flags = kSyn | kAck;
    synack.seq = kPeerIsn;
    synack.ack = syn.seq.v + 1;
    h.deliver(synack);
    CHECK(t->state == State::Established);
    h.advance_ms(1000);
    CHECK(t->state == State::Established);
    CHECK_FALSE(svc.saw("closed:timeout"));
    CHECK(h.counters.TCPConnectTimeouts == 0);
}
