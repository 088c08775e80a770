// TCP-AO in the engine (RFC 5925 §7): a keyed peer's segments must carry a
// valid MAC with the right KeyID; ours carry one computed with the traffic
// keys of both ISNs; unkeyed peers must not sign; no SYN cookies for keyed
// peers. The peer's side is computed independently of the engine's code path
// (tcp_ao.hpp functions over the bytes, checked against scapy in test_tcp_ao).
#include <catch2/catch.hpp>

#include "engine_harness.hpp"
#include "recording_service.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kPsh;
using tcp::kSyn;
using tcp::State;

namespace {

constexpr uint32_t kPeerIsn = 5555;
constexpr uint32_t kUs = 0xC6120001, kPeer = 0xC6120002;

tcp::AoKey test_key(tcp::AoAlgorithm alg = tcp::AoAlgorithm::HmacSha1) {
    tcp::AoKey k;
    k.peer = {kPeer, 32};
    k.send_id = 3;   // ours; the peer's recv_id
    k.recv_id = 4;   // the peer's; it sends KeyID 4
    k.alg = alg;
    std::string secret = "ao-secret";
    k.secret.assign(secret.begin(), secret.end());
    return k;
}

struct AoSetup {
    tcp::EngineConfig cfg;
    EngineHarness h;
    RecordingService svc;
    tcp::AoKey peer;
    explicit AoSetup(tcp::AoAlgorithm alg = tcp::AoAlgorithm::HmacSha1, bool cookies_always = false)
        : cfg(config_with(alg)), h(cfg), peer(peer_view(cfg.ao_keys[0])) {
        tcp::Listener l;
        l.port = 80;
        l.service = &svc;
        l.cookies = cookies_always ? tcp::CookieMode::Always : cookie_mode_under_test();
        REQUIRE(h.engine->add_listener(l));
    }
    static tcp::EngineConfig config_with(tcp::AoAlgorithm alg) {
        tcp::EngineConfig c = EngineHarness::default_config();
        c.ao_keys.push_back(test_key(alg));
        return c;
    }
    SegmentSpec signed_syn() const {
        SegmentSpec s;
        s.seq = kPeerIsn;
        s.flags = kSyn;
        s.opts.has_mss = true;
        s.opts.mss = 1460;
        s.ao = &peer;
        s.ao_src_isn = kPeerIsn;  // a SYN: the other ISN is not known (0)
        return s;
    }
    // Checks a segment we sent against the traffic key the peer would use.
    bool verify_ours(const Sent& seg, uint32_t our_isn, uint32_t peer_isn) const {
        if (!seg.opts.has_ao || seg.opts.ao_keyid != 3 || seg.opts.ao_rnextkeyid != 4)
            return false;
        uint32_t dst_isn = (seg.has(kSyn) && !seg.has(kAck)) ? 0 : peer_isn;
        tcp::AoTrafficKey key = tcp::ao_traffic_key(peer, kUs, kPeer, 80, 40000, our_isn, dst_isn);
        std::vector<uint8_t> copy = seg.datagram;
        tcp::AoMac mac = tcp::ao_mac(peer.alg, key, 0, copy.data(), uint16_t(copy.size()),
                                     seg.opts.ao_offset);
        return std::equal(mac.begin(), mac.end(), copy.begin() + 20 + seg.opts.ao_offset + 4);
    }
};

}  // namespace

TEST_CASE("TCP-AO: a signed handshake and data, both ways, for each algorithm (RFC 5925 §5, §7)",
          "[tcp][ao]") {
    for (auto alg : {tcp::AoAlgorithm::HmacSha1, tcp::AoAlgorithm::AesCmac}) {
        AoSetup a(alg);
        a.h.deliver(a.signed_syn());
        Sent synack = a.h.pop();
        REQUIRE(synack.flags == (kSyn | kAck));
        uint32_t iss = synack.seq.v;
        CHECK(a.verify_ours(synack, iss, kPeerIsn));
        SegmentSpec ack;
        ack.seq = kPeerIsn + 1;
        ack.ack = iss + 1;
        ack.flags = kAck | kPsh;
        ack.payload = "signed data";
        ack.ao = &a.peer;
        ack.ao_src_isn = kPeerIsn;
        ack.ao_dst_isn = iss;
        a.h.deliver(ack);
        REQUIRE(a.svc.conn != nullptr);
        CHECK(a.svc.conn->state == State::Established);
        CHECK(a.svc.received == "signed data");
        Sent reply = a.h.pop();
        CHECK(a.verify_ours(reply, iss, kPeerIsn));
        CHECK(a.svc.conn->snd_mss == 1460 - tcp::kAoOptionLen);
        a.h.engine->send(*a.svc.conn, "pong", 4);
        a.h.engine->flush(a.h.now_us);
        Sent data = a.h.pop();
        CHECK(data.payload == "pong");
        CHECK(a.verify_ours(data, iss, kPeerIsn));
        CHECK(a.h.counters.TCPAOGood == 2);
    }
}

TEST_CASE("TCP-AO: unsigned, badly signed or wrongly keyed segments are dropped and counted "
          "(RFC 5925 §7.3)", "[tcp][ao]") {
    AoSetup a;
    SegmentSpec unsigned_syn = a.signed_syn();
    unsigned_syn.ao = nullptr;
    a.h.deliver(unsigned_syn);
    CHECK(a.h.nothing_sent());
    CHECK(a.h.counters.TCPAORequired == 1);

    SegmentSpec bad = a.signed_syn();
    bad.ao_src_isn = kPeerIsn + 1;  // the MAC of another ISN
    a.h.deliver(bad);
    CHECK(a.h.nothing_sent());
    CHECK(a.h.counters.TCPAOBad == 1);

    tcp::AoKey other_id = a.peer;
    other_id.send_id = 9;  // a KeyID we do not know
    SegmentSpec wrong_key = a.signed_syn();
    wrong_key.ao = &other_id;
    a.h.deliver(wrong_key);
    CHECK(a.h.nothing_sent());
    CHECK(a.h.counters.TCPAOKeyNotFound == 1);
    CHECK(a.h.engine->connection_count() == 0);

    // Established, then a forged data segment (right KeyID, wrong MAC).
    a.h.deliver(a.signed_syn());
    Sent synack = a.h.pop();
    SegmentSpec ack;
    ack.seq = kPeerIsn + 1;
    ack.ack = synack.seq.v + 1;
    ack.flags = kAck;
    ack.ao = &a.peer;
    ack.ao_src_isn = kPeerIsn;
    ack.ao_dst_isn = synack.seq.v;
    a.h.deliver(ack);
    REQUIRE(a.svc.conn != nullptr);
    SegmentSpec forged = ack;
    forged.flags = kAck | kPsh;
    forged.payload = "forged";
    forged.ao_dst_isn = 0;
    a.h.deliver(forged);
    CHECK(a.svc.received.empty());
    CHECK(a.h.counters.TCPAOBad == 2);
}

TEST_CASE("TCP-AO: a peer without a key must not sign; keyed peers get no SYN cookies",
          "[tcp][ao][syncookie]") {
    AoSetup a(tcp::AoAlgorithm::HmacSha1, /*cookies_always=*/true);
    SegmentSpec stranger = a.signed_syn();
    stranger.src = 0xC6120003;  // no key covers 198.18.0.3
    stranger.src_port = 40001;
    a.h.deliver(stranger);
    CHECK(a.h.nothing_sent());
    CHECK(a.h.counters.TCPAOKeyNotFound == 1);

    a.h.deliver(a.signed_syn());  // keyed peer at an always-cookie listener
    Sent synack = a.h.pop();
    CHECK(synack.opts.has_ao);
    CHECK(a.h.counters.SyncookiesSent == 0);
    CHECK(a.h.conn() != nullptr);  // a real SYN_RECEIVED entry holds the ISNs
}

TEST_CASE("TCP-AO: an active open signs its SYN with the other ISN 0, then uses both "
          "(RFC 5925 §5.2)", "[tcp][ao][active]") {
    tcp::EngineConfig cfg = AoSetup::config_with(tcp::AoAlgorithm::HmacSha1);
    EngineHarness h(cfg);
    RecordingService svc;
    tcp::AoKey peer = peer_view(cfg.ao_keys[0]);
    tcp::Tcb* t = h.engine->connect(kUs, kPeer, 9000, &svc, 0, h.now_us);
    REQUIRE(t);
    h.engine->flush(h.now_us);
    Sent syn = h.pop();
    REQUIRE(syn.opts.has_ao);
    uint16_t lport = syn.key.lport;
    auto check_mac = [&](const Sent& seg, uint32_t src_isn, uint32_t dst_isn) {
        tcp::AoTrafficKey key = tcp::ao_traffic_key(peer, kUs, kPeer, lport, 9000, src_isn, dst_isn);
        tcp::AoMac mac = tcp::ao_mac(peer.alg, key, 0, seg.datagram.data(), uint16_t(seg.datagram.size()),
                                     seg.opts.ao_offset);
        return std::equal(mac.begin(), mac.end(), seg.datagram.begin() + 20 + seg.opts.ao_offset + 4);
    };
    CHECK(check_mac(syn, syn.seq.v, 0));
    SegmentSpec synack;
    synack.src_port = 9000;
    synack.dst_port = lport;
    synack.seq = 7000;
    synack.ack = syn.seq.v + 1;
    synack.flags = kSyn | kAck;
    synack.ao = &peer;
    synack.ao_src_isn = 7000;
    synack.ao_dst_isn = syn.seq.v;
    h.deliver(synack);
    CHECK(t->state == State::Established);
    Sent ack = h.pop();
    CHECK(check_mac(ack, syn.seq.v, 7000));
}

TEST_CASE("TCP-AO: TIME_WAIT checks what arrives and signs its ACKs (RFC 5925, RFC 9293 §3.6.1)",
          "[tcp][ao][close]") {
    AoSetup a;
    a.h.deliver(a.signed_syn());
    Sent synack = a.h.pop();
    uint32_t iss = synack.seq.v;
    auto from_peer = [&](uint8_t flags, uint32_t seq, uint32_t ack) {
        SegmentSpec s;
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        s.ao = &a.peer;
        s.ao_src_isn = kPeerIsn;
        s.ao_dst_isn = iss;
        return s;
    };
    a.h.deliver(from_peer(kAck, kPeerIsn + 1, iss + 1));
    REQUIRE(a.svc.conn != nullptr);
    a.h.engine->close(*a.svc.conn);  // we close first: TIME_WAIT is ours
    a.h.engine->flush(a.h.now_us);
    Sent fin = a.h.pop();
    REQUIRE(fin.has(tcp::kFin));
    SegmentSpec peer_fin = from_peer(kAck | tcp::kFin, kPeerIsn + 1, iss + 2);
    a.h.deliver(peer_fin);
    CHECK(a.verify_ours(a.h.pop(), iss, kPeerIsn));  // the last ACK, signed
    REQUIRE(a.h.tw() != nullptr);

    a.h.deliver(peer_fin);  // retransmitted: our ACK was lost
    Sent again = a.h.pop();
    CHECK(again.ack.v == kPeerIsn + 2);
    CHECK(a.verify_ours(again, iss, kPeerIsn));

    SegmentSpec unsigned_fin = peer_fin;
    unsigned_fin.ao = nullptr;
    a.h.deliver(unsigned_fin);
    CHECK(a.h.nothing_sent());
    SegmentSpec forged_syn = a.signed_syn();
    forged_syn.seq = kPeerIsn + 100000;  // "newer", but signed for another ISN
    forged_syn.ao_src_isn = kPeerIsn;
    a.h.deliver(forged_syn);
    CHECK(a.h.nothing_sent());
    CHECK(a.h.tw() != nullptr);  // a forged SYN does not end TIME_WAIT
}

TEST_CASE("TCP-AO: a peer with two keys moves to the second; KeyID picks the receive key and "
          "RNextKeyID our send key (RFC 5925 §7.5.2)", "[tcp][ao]") {
    tcp::EngineConfig cfg = AoSetup::config_with(tcp::AoAlgorithm::HmacSha1);
    tcp::AoKey second = test_key(tcp::AoAlgorithm::AesCmac);
    second.send_id = 13;
    second.recv_id = 14;
    std::string secret = "second-secret";
    second.secret.assign(secret.begin(), secret.end());
    cfg.ao_keys.push_back(second);
    EngineHarness h(cfg);
    RecordingService svc;
    h.listen(80, &svc);
    tcp::AoKey peer_first = peer_view(cfg.ao_keys[0]);
    tcp::AoKey peer_second = peer_view(cfg.ao_keys[1]);

    SegmentSpec syn;
    syn.seq = kPeerIsn;
    syn.flags = kSyn;
    syn.ao = &peer_first;
    syn.ao_src_isn = kPeerIsn;
    h.deliver(syn);
    Sent synack = h.pop();
    uint32_t iss = synack.seq.v;
    CHECK(synack.opts.ao_keyid == 3);

    SegmentSpec data;  // the peer now signs with the second key and asks for it back
    data.seq = kPeerIsn + 1;
    data.ack = iss + 1;
    data.flags = kAck | kPsh;
    data.payload = "rolled";
    data.ao = &peer_second;
    data.ao_src_isn = kPeerIsn;
    data.ao_dst_isn = iss;
    h.deliver(data);
    REQUIRE(svc.conn != nullptr);
    CHECK(svc.received == "rolled");
    Sent reply = h.pop();
    CHECK(reply.opts.ao_keyid == 13);
    CHECK(reply.opts.ao_rnextkeyid == 14);
    tcp::AoTrafficKey key = tcp::ao_traffic_key(peer_second, kUs, kPeer, 80, 40000, iss, kPeerIsn);
    tcp::AoMac mac = tcp::ao_mac(peer_second.alg, key, 0, reply.datagram.data(),
                                 uint16_t(reply.datagram.size()), reply.opts.ao_offset);
    CHECK(std::equal(mac.begin(), mac.end(), reply.datagram.begin() + 20 + reply.opts.ao_offset + 4));
    CHECK(h.counters.TCPAOGood == 2);
}
