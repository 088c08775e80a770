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

// Among the keys that cover s's peer (and local port), the one whose
// recv_id is the KeyID s carries: a peer may hold several (RFC 5925 §3.1).
const AoKey* Engine::ao_key_for_keyid(const Segment& s) const {
    for (const AoKey& k : config_.ao_keys)
        if (k.peer.contains(s.key.raddr) && (k.local_port == 0 || k.local_port == s.key.lport) &&
            k.recv_id == s.opts.ao_keyid)
            return &k;
    return nullptr;
}

// RFC 5925 §7.3: a peer with a key must sign, with one of its keys' KeyIDs;
// a peer without one must not (we could not answer it in kind). Returns the
// key s was checked with, or nullptr when s must be dropped (counted);
// *no_ao is set when neither side uses TCP-AO (s passes unchecked).
// derive(key) gives the traffic key of a candidate master key.
template <typename Derive>
const AoKey* Engine::ao_check(const AoKey* covering, const Segment& s, uint32_t sne, bool* no_ao,
                              Derive&& derive) {
    *no_ao = false;
    if (!covering) {
        if (!s.opts.has_ao) {
            *no_ao = true;
            return nullptr;
        }
        ++counters_.TCPAOKeyNotFound;
        return nullptr;
    }
    if (!s.opts.has_ao) {
        ++counters_.TCPAORequired;
        return nullptr;
    }
    const AoKey* mkt = ao_key_for_keyid(s);
    if (!mkt || s.opts.ao_len != kAoOptionLen) {
        ++counters_.TCPAOKeyNotFound;
        return nullptr;
    }
    const auto* ip = rte_pktmbuf_mtod(s.m, const uint8_t*);
    // The lengths the IPv4 layer validated, not the header's word for it.
    auto total = static_cast<uint16_t>(s.payload_offset + s.payload_len);
    AoMac want = ao_mac(mkt->alg, derive(*mkt), sne, ip, total, s.opts.ao_offset);
    const uint8_t* got = ip + 20 + s.opts.ao_offset + 4;
    uint8_t diff = 0;  // constant time, as a MAC compare should be
    for (size_t i = 0; i < want.size(); ++i)
        diff |= static_cast<uint8_t>(want[i] ^ got[i]);
    if (diff != 0) {
        ++counters_.TCPAOBad;
        return nullptr;
    }
    ++counters_.TCPAOGood;
    return mkt;
}

// A SYN (no ACK): the peer's ISN and 0 (§5.2), SNE 0.
bool Engine::ao_verify_syn(const AoKey* covering, const Segment& s) {
    bool no_ao;
    const AoKey* used = ao_check(covering, s, 0, &no_ao, [&](const AoKey& k) {
        return ao_traffic_key(k, s.key.raddr, s.key.laddr, s.key.rport, s.key.lport, s.seq.v, 0);
    });
    return no_ao || used;
}

// A segment for a connection. Its KeyID picks the receive key; its
// RNextKeyID may move our send key to another one the peer holds (key
// rollover, RFC 5925 §7.5.2).
bool Engine::ao_accept(Tcb& t, const Segment& s) {
    const FlowKey& k = t.key;
    bool no_ao;
    if (t.state == State::SynSent) {
        // The SYN-ACK names the peer's ISN; until then we have no receive key.
        if (t.ao && s.opts.has_ao && !s.has(kSyn)) {
            ++counters_.TCPAOBad;
            return false;
        }
        uint32_t dst_isn = s.has(kAck) ? t.iss.v : 0;
        const AoKey* used = ao_check(t.ao, s, 0, &no_ao, [&](const AoKey& m) {
            return ao_traffic_key(m, k.raddr, k.laddr, k.rport, k.lport, s.seq.v, dst_isn);
        });
        return no_ao || used;
    }
    if (s.has(kSyn) && !s.has(kAck))  // a retransmitted SYN
        return ao_verify_syn(t.ao, s);
    uint32_t sne = ao_sne(s.seq, t.ao_rcv_ref, t.ao_rcv_sne);
    const AoKey* used = ao_check(t.ao, s, sne, &no_ao, [&](const AoKey& m) {
        if (&m == t.ao_recv_mkt)
            return t.ao_recv_key;
        return ao_traffic_key(m, k.raddr, k.laddr, k.rport, k.lport, t.irs.v, t.iss.v);
    });
    if (no_ao)
        return true;
    if (!used)
        return false;
    if (used != t.ao_recv_mkt) {
        t.ao_recv_mkt = used;
        t.ao_recv_key = ao_traffic_key(*used, k.raddr, k.laddr, k.rport, k.lport, t.irs.v, t.iss.v);
    }
    ao_advance(s.seq, t.ao_rcv_ref, t.ao_rcv_sne);
    const AoKey* wanted = ao_send_key_wanted(t.ao, s);
    if (wanted != t.ao) {
        t.ao = wanted;
        t.ao_send_key = ao_traffic_key(*wanted, k.laddr, k.raddr, k.lport, k.rport, t.iss.v, t.irs.v);
    }
    return true;
}

// The key the peer asks us to send with (its RNextKeyID names one of our
// send_ids), when we hold it; else current.
const AoKey* Engine::ao_send_key_wanted(const AoKey* current, const Segment& s) const {
    if (!s.opts.has_ao || s.opts.ao_rnextkeyid == current->send_id)
        return current;
    for (const AoKey& m : config_.ao_keys)
        if (m.send_id == s.opts.ao_rnextkeyid && m.peer.contains(s.key.raddr) &&
            (m.local_port == 0 || m.local_port == s.key.lport))
            return &m;
    return current;
}

void Engine::ao_start(Tcb& t) {
    const FlowKey& k = t.key;
    t.ao_send_key = ao_traffic_key(*t.ao, k.laddr, k.raddr, k.lport, k.rport, t.iss.v, t.irs.v);
    t.ao_recv_key = ao_traffic_key(*t.ao, k.raddr, k.laddr, k.rport, k.lport, t.irs.v, t.iss.v);
    t.ao_recv_mkt = t.ao;
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
    if (s.has(kSyn) && !s.has(kAck))
        return ao_verify_syn(tw.ao, s);
    const FlowKey& k = tw.key;
    bool no_ao;
    uint32_t sne = ao_sne(s.seq, tw.ao_rcv_ref, tw.ao_rcv_sne);
    const AoKey* used = ao_check(tw.ao, s, sne, &no_ao, [&](const AoKey& m) {
        return ao_traffic_key(m, k.raddr, k.laddr, k.rport, k.lport, tw.ao_irs.v, tw.ao_iss.v);
    });
    if (no_ao)
        return true;
    if (!used)
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
