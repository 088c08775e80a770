// Explicit Congestion Notification (RFC 3168 §6.1): negotiation in the
// handshake (stateful and active open; cookies in test_syncookies.cpp), ECT on new data only, CE
// echoed with ECE until CWR, and one window reduction per window on ECE.
#include <catch2/catch.hpp>

#include "engine_harness.hpp"
#include "recording_service.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kCwr;
using tcp::kEce;
using tcp::kPsh;
using tcp::kSyn;
using tcp::State;

namespace {

constexpr uint32_t kPeerIsn = 9000;

// A SYN asking for ECN (ECE and CWR), with timestamps so that a cookie can
// carry the agreement too.
SegmentSpec ecn_setup_syn() {
    SegmentSpec s;
    s.seq = kPeerIsn;
    s.flags = kSyn | kEce | kCwr;
    s.opts.has_mss = true;
    s.opts.mss = 1460;
    s.opts.has_timestamps = true;
    s.opts.ts_val = 100;
    return s;
}

struct EcnConnection {
    EngineHarness h;
    RecordingService svc;
    Sent synack;
    uint32_t peer_nxt = kPeerIsn + 1;
    uint32_t ts = 101;

    explicit EcnConnection(const tcp::EngineConfig& cfg = EngineHarness::default_config(),
                           SegmentSpec syn = ecn_setup_syn())
        : h(cfg) {
        h.listen(80, &svc);
        h.deliver(syn);
        synack = h.pop();
        h.deliver(ack(synack.seq.v + 1));
        REQUIRE(svc.conn != nullptr);
        REQUIRE(svc.conn->state == State::Established);
    }
    uint32_t iss() const { return synack.seq.v; }
    SegmentSpec ack(uint32_t acked, uint8_t extra = 0) {
        SegmentSpec s;
        s.seq = peer_nxt;
        s.ack = acked;
        s.flags = kAck | extra;
        if (synack.opts.has_timestamps) {
            s.opts.has_timestamps = true;
            s.opts.ts_val = ts++;
            s.opts.ts_ecr = synack.opts.ts_val;
        }
        return s;
    }
    SegmentSpec data(const std::string& payload, uint8_t extra = 0) {
        SegmentSpec s = ack(svc.conn->snd_una.v, kPsh | extra);
        s.payload = payload;
        peer_nxt += static_cast<uint32_t>(payload.size());
        return s;
    }
    void service_sends(size_t bytes) {
        std::string out(bytes, 'e');
        h.engine->send(*svc.conn, out.data(), out.size());
        h.engine->flush(h.now_us);
    }
};

}  // namespace

TEST_CASE("LISTEN (ECN): an ECN-setup SYN gets an ECN-setup SYN-ACK, ECE without CWR "
          "(RFC 3168 §6.1.1)", "[tcp][ecn]") {
    EcnConnection c;
    CHECK(c.synack.has(kEce));
    CHECK_FALSE(c.synack.has(kCwr));
    CHECK(c.synack.ip_ecn == tcp::kNotEct);  // never ECT on a SYN-ACK
    CHECK(c.svc.conn->ecn_ok);
    CHECK(c.h.counters.TCPECNNegotiated == 1);
}

TEST_CASE("LISTEN (ECN): no ECN without both flags on the SYN, or when turned off",
          "[tcp][ecn]") {
    SegmentSpec ece_only = ecn_setup_syn();
    ece_only.flags = kSyn | kEce;  // not an ECN-setup SYN
    EcnConnection half(EngineHarness::default_config(), ece_only);
    CHECK_FALSE(half.synack.has(kEce));
    CHECK_FALSE(half.svc.conn->ecn_ok);

    tcp::EngineConfig off = EngineHarness::default_config();
    off.ecn_accept = false;
    EcnConnection refused(off);
    CHECK_FALSE(refused.synack.has(kEce));
    CHECK_FALSE(refused.svc.conn->ecn_ok);
    CHECK(refused.h.counters.TCPECNNegotiated == 0);
}

TEST_CASE("ESTABLISHED (ECN): new data is ECT(0); pure ACKs and retransmissions are not "
          "(RFC 3168 §6.1.5-6)", "[tcp][ecn]") {
    EcnConnection c;
    c.service_sends(100);
    Sent first = c.h.pop();
    CHECK(first.payload.size() == 100);
    CHECK(first.ip_ecn == tcp::kEct0);
    c.h.deliver(c.data("hello"));
    Sent pure_ack = c.h.pop();
    CHECK(pure_ack.payload.empty());
    CHECK(pure_ack.ip_ecn == tcp::kNotEct);
    c.h.advance_ms(1000);  // the 100 bytes were never ACKed: RTO
    Sent again = c.h.pop();
    CHECK(again.seq == first.seq);
    CHECK(again.ip_ecn == tcp::kNotEct);
}

TEST_CASE("ESTABLISHED (ECN): a CE mark is echoed with ECE until the peer's CWR "
          "(RFC 3168 §6.1.3)", "[tcp][ecn]") {
    EcnConnection c;
    SegmentSpec marked = c.data("congested");
    marked.ip_ecn = tcp::kEcnCe;
    c.h.deliver(marked);
    CHECK(c.h.pop().has(kEce));
    CHECK(c.h.counters.InCEPkts == 1);
    c.h.deliver(c.data("still unaware"));
    CHECK(c.h.pop().has(kEce));  // repeated until CWR
    c.h.deliver(c.data("reduced", kCwr));
    CHECK_FALSE(c.h.pop().has(kEce));
}

TEST_CASE("ESTABLISHED (ECN): ECE halves cwnd once per window; the next new data says CWR "
          "(RFC 3168 §6.1.2)", "[tcp][ecn]") {
    tcp::EngineConfig newreno = EngineHarness::default_config();
    newreno.congestion = tcp::CongestionAlgorithm::NewReno;  // RFC 5681's halving
    EcnConnection c(newreno);
    tcp::Tcb& t = *c.svc.conn;
    c.service_sends(4 * t.snd_mss);
    for (int i = 0; i < 4; ++i)
        CHECK(c.h.pop().ip_ecn == tcp::kEct0);
    uint32_t flight = static_cast<uint32_t>(t.snd_max - t.snd_una);
    c.h.deliver(c.ack(t.snd_una.v + t.snd_mss, kEce));
    CHECK(t.cc.cwnd == std::max<uint32_t>(flight / 2, 2u * t.snd_mss));
    CHECK(t.cc.ssthresh == t.cc.cwnd);
    CHECK(c.h.counters.TCPECNCwndReduced == 1);
    uint32_t reduced = t.cc.cwnd;
    c.h.deliver(c.ack(t.snd_una.v + t.snd_mss, kEce));  // same window: no second cut
    CHECK(c.h.counters.TCPECNCwndReduced == 1);
    CHECK(t.cc.cwnd >= reduced);
    c.service_sends(10);
    Sent next;
    bool saw_cwr = false;
    while (!c.h.nothing_sent()) {
        next = c.h.pop();
        if (!next.payload.empty() && next.has(kCwr))
            saw_cwr = true;
    }
    CHECK(saw_cwr);
}

TEST_CASE("ESTABLISHED (ECN): under BBR, ECE still halves the window once per window (RFC 3168 "
          "§6.1.2), never below four segments; loss alone leaves BBR's ssthresh alone",
          "[tcp][ecn][bbr]") {
    tcp::EngineConfig bbr = EngineHarness::default_config();
    bbr.congestion = tcp::CongestionAlgorithm::Bbr;
    EcnConnection c(bbr);
    tcp::Tcb& t = *c.svc.conn;
    REQUIRE(t.cc_ops->algorithm() == tcp::CongestionAlgorithm::Bbr);
    c.service_sends(4 * t.snd_mss);
    while (!c.h.nothing_sent())
        c.h.pop();
    uint32_t before = t.cc.cwnd;
    c.h.deliver(c.ack(t.snd_una.v + t.snd_mss, kEce));
    CHECK(c.h.counters.TCPECNCwndReduced == 1);
    CHECK(t.cc.cwnd <= std::max<uint32_t>(before / 2, 4u * t.snd_mss) + t.snd_mss);
    CHECK(t.cc.cwnd >= 4u * t.snd_mss);
    CHECK(t.cc.ssthresh == UINT32_MAX);
    c.h.deliver(c.ack(t.snd_una.v + t.snd_mss, kEce));  // same window: no second cut
    CHECK(c.h.counters.TCPECNCwndReduced == 1);
}

TEST_CASE("SYN_SENT (ECN): tcp.ecn=on asks with ECE and CWR; a SYN-ACK with ECE agrees; a "
          "retransmitted SYN asks no more (RFC 3168 §6.1.1)", "[tcp][ecn][active]") {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.ecn_request = true;
    {
        EngineHarness h(cfg);
        RecordingService svc;
        tcp::Tcb* t = h.engine->connect(0xC6120001, 0xC6120002, 9000, &svc, 0, h.now_us);
        REQUIRE(t);
        h.engine->flush(h.now_us);
        Sent syn = h.pop();
        CHECK(syn.flags == (kSyn | kEce | kCwr));
        SegmentSpec synack;
        synack.src_port = 9000;
        synack.dst_port = t->key.lport;
        synack.seq = 7000;
        synack.ack = syn.seq.v + 1;
        synack.flags = kSyn | kAck | kEce;
        h.deliver(synack);
        CHECK(t->state == State::Established);
        CHECK(t->ecn_ok);
        CHECK(h.counters.TCPECNNegotiated == 1);
    }
    {
        EngineHarness h(cfg);
        RecordingService svc;
        tcp::Tcb* t = h.engine->connect(0xC6120001, 0xC6120002, 9000, &svc, 0, h.now_us);
        REQUIRE(t);
        h.engine->flush(h.now_us);
        h.pop();
        h.advance_ms(1000);
        Sent again = h.pop();
        CHECK(again.flags == kSyn);  // perhaps ECN is what got lost
        CHECK_FALSE(t->ecn_ok);
    }
}
