// TCP-AO (RFC 5925) in the engine: which segments must carry it, checking
// the MAC of those that arrive and signing those we send. The algorithms are
// in tcp_ao.cpp; this file decides with which key and sequence numbers.
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

const AoKey* Engine::ao_key_for(uint32_t peer, uint16_t local_port) const {
    if (config_.ao_keys.empty())
        return nullptr;
    return find_ao_key(config_.ao_keys, peer, local_port);
}

// RFC 5925 §7.3: a peer with a key must sign, with that key's KeyID; a peer
// without one must not (we could not answer it in kind).
bool Engine::ao_verify(const AoKey* mkt, const Segment& s, const AoTrafficKey& key, uint32_t sne) {
    if (!mkt) {
        if (!s.opts.has_ao)
            return true;
        ++counters_.TCPAOKeyNotFound;
        return false;
    }
    if (!s.opts.has_ao) {
        ++counters_.TCPAORequired;
        return false;
    }
    if (s.opts.ao_keyid != mkt->recv_id || s.opts.ao_len != kAoOptionLen) {
        ++counters_.TCPAOKeyNotFound;
        return false;
    }
    const auto* ip = rte_pktmbuf_mtod(s.m, const uint8_t*);
    // The lengths the IPv4 layer validated, not the header's word for it.
    auto total = static_cast<uint16_t>(s.payload_offset + s.payload_len);
    AoMac want = ao_mac(mkt->alg, key, sne, ip, total, s.opts.ao_offset);
    const uint8_t* got = ip + 20 + s.opts.ao_offset + 4;
    uint8_t diff = 0;  // constant time, as a MAC compare should be
    for (size_t i = 0; i < want.size(); ++i)
        diff |= static_cast<uint8_t>(want[i] ^ got[i]);
    if (diff != 0) {
        ++counters_.TCPAOBad;
        return false;
    }
    ++counters_.TCPAOGood;
    return true;
}

// A SYN (no ACK): the peer's ISN and 0 (§5.2), SNE 0.
bool Engine::ao_verify_syn(const AoKey* mkt, const Segment& s) {
    if (!mkt || !s.opts.has_ao)
        return ao_verify(mkt, s, AoTrafficKey{}, 0);
    AoTrafficKey key = ao_traffic_key(*mkt, s.key.raddr, s.key.laddr, s.key.rport, s.key.lport,
                                      s.seq.v, 0);
    return ao_verify(mkt, s, key, 0);
}

// A segment for a connection.
bool Engine::ao_accept(Tcb& t, const Segment& s) {
    if (!t.ao || !s.opts.has_ao)
        return ao_verify(t.ao, s, AoTrafficKey{}, 0);
    if (t.state == State::SynSent) {
        // The SYN-ACK names the peer's ISN; until then we have no receive key.
        if (!s.has(kSyn)) {
            ++counters_.TCPAOBad;
            return false;
        }
        AoTrafficKey key = ao_traffic_key(*t.ao, s.key.raddr, s.key.laddr, s.key.rport, s.key.lport,
                                          s.seq.v, s.has(kAck) ? t.iss.v : 0);
        return ao_verify(t.ao, s, key, 0);
    }
    if (s.has(kSyn) && !s.has(kAck))  // a retransmitted SYN
        return ao_verify_syn(t.ao, s);
    uint32_t sne = ao_sne(s.seq, t.ao_rcv_ref, t.ao_rcv_sne);
    if (!ao_verify(t.ao, s, t.ao_recv_key, sne))
        return false;
    ao_advance(s.seq, t.ao_rcv_ref, t.ao_rcv_sne);
    return true;
}

void Engine::ao_start(Tcb& t) {
    const FlowKey& k = t.key;
    t.ao_send_key = ao_traffic_key(*t.ao, k.laddr, k.raddr, k.lport, k.rport, t.iss.v, t.irs.v);
    t.ao_recv_key = ao_traffic_key(*t.ao, k.raddr, k.laddr, k.rport, k.lport, t.irs.v, t.iss.v);
    t.ao_snd_ref = t.iss;
    t.ao_rcv_ref = t.irs;
    t.ao_snd_sne = t.ao_rcv_sne = 0;
}

void Engine::ao_sign(Tcb& t, rte_mbuf* m, Seq seq, uint8_t flags, uint16_t ao_offset) {
    auto* ip = rte_pktmbuf_mtod(m, uint8_t*);
    uint16_t total = static_cast<uint16_t>(m->data_len);
    AoMac mac;
    if ((flags & kSyn) && !(flags & kAck)) {  // our SYN: the peer's ISN is not known yet
        const FlowKey& k = t.key;
        AoTrafficKey key = ao_traffic_key(*t.ao, k.laddr, k.raddr, k.lport, k.rport, t.iss.v, 0);
        mac = ao_mac(t.ao->alg, key, 0, ip, total, ao_offset);
    } else {
        uint32_t sne = ao_sne(seq, t.ao_snd_ref, t.ao_snd_sne);
        ao_advance(seq, t.ao_snd_ref, t.ao_snd_sne);
        mac = ao_mac(t.ao->alg, t.ao_send_key, sne, ip, total, ao_offset);
    }
    memcpy(ip + 20 + ao_offset + 4, mac.data(), mac.size());
}

bool Engine::ao_accept_time_wait(TimeWaitEntry& tw, const Segment& s) {
    if (!tw.ao || !s.opts.has_ao)
        return ao_verify(tw.ao, s, AoTrafficKey{}, 0);
    if (s.has(kSyn) && !s.has(kAck))
        return ao_verify_syn(tw.ao, s);
    const FlowKey& k = tw.key;
    AoTrafficKey key = ao_traffic_key(*tw.ao, k.raddr, k.laddr, k.rport, k.lport, tw.ao_irs.v, tw.ao_iss.v);
    uint32_t sne = ao_sne(s.seq, tw.ao_rcv_ref, tw.ao_rcv_sne);
    if (!ao_verify(tw.ao, s, key, sne))
        return false;
    ao_advance(s.seq, tw.ao_rcv_ref, tw.ao_rcv_sne);
    return true;
}

void Engine::ao_sign_time_wait(TimeWaitEntry& tw, rte_mbuf* m, uint16_t ao_offset) {
    const FlowKey& k = tw.key;
    AoTrafficKey key = ao_traffic_key(*tw.ao, k.laddr, k.raddr, k.lport, k.rport, tw.ao_iss.v, tw.ao_irs.v);
    uint32_t sne = ao_sne(tw.snd_nxt, tw.ao_snd_ref, tw.ao_snd_sne);
    auto* ip = rte_pktmbuf_mtod(m, uint8_t*);
    AoMac mac = ao_mac(tw.ao->alg, key, sne, ip, static_cast<uint16_t>(m->data_len), ao_offset);
    memcpy(ip + 20 + ao_offset + 4, mac.data(), mac.size());
}

}  // namespace tcpterm::tcp
