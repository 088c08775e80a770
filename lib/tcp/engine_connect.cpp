// Active open (RFC 9293 §3.10.1 OPEN, §3.10.7.3 SYN-SENT), simultaneous open,
// ephemeral port selection (RFC 6056) and the reuse of our own TIME_WAIT
// tuples by a new connect (tcp.tw_reuse, as Linux's tcp_tw_reuse).
#include <algorithm>

#include <rte_mbuf.h>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::tcp {

namespace {
struct PortHashInput {
    uint32_t laddr, raddr;
    uint16_t rport, pad;
};
}  // namespace

// RFC 6056 §3.3.3 (Algorithm 3, simple hash-based): each destination gets its
// own secret starting offset, and a shared counter moves it along, so ports
// are hard to guess yet a tuple is not reused soon. A port is taken only if
// its 4-tuple is free in the connection table and in TIME_WAIT (or its
// TIME_WAIT entry may be reused). first..last: the caller's range, else
// (first 0) the engine's.
uint16_t Engine::pick_local_port(uint32_t laddr, uint32_t raddr, uint16_t rport, uint16_t first_port,
                                 uint16_t last_port) {
    uint32_t first = first_port ? first_port : config_.ephemeral_first;
    uint32_t count = (first_port ? last_port : config_.ephemeral_last) - first + 1;
    PortHashInput in{laddr, raddr, rport, 0};
    uint32_t offset = static_cast<uint32_t>(siphash24(config_.isn_key, &in, sizeof(in)) >> 32);
    for (uint32_t i = 0; i < count; ++i) {
        uint16_t port = static_cast<uint16_t>(first + (offset + next_ephemeral_ + i) % count);
        FlowKey key{raddr, laddr, rport, port};
        if (find(key))
            continue;
        if (const TimeWaitEntry* tw = time_wait_.find(key); tw && !time_wait_reusable(*tw))
            continue;
        if (port_filter_ && !port_filter_(key))
            continue;
        next_ephemeral_ += i + 1;
        return port;
    }
    return 0;
}

// A tuple we hold in TIME_WAIT may carry a new connection of ours when the
// old one cannot be mistaken for it (RFC 6191 §2 from the other end; Linux
// tcp_twsk_unique with tcp_tw_reuse = 1):
//  - the old connection had timestamps, so PAWS on the new one drops its
//    old segments: their TSval is below the new SYN-ACK's (and, until that
//    comes, below the old TS.Recent the new connection starts with);
//  - the peer's last timestamp is at least 1 s old, so that a peer clock of
//    at least 1 tick per second has moved past it (RFC 7323 §5.4's lower
//    bound on the TSval clock), and our own TSval for the tuple (the same
//    offset, a later time) is above everything the old connection sent;
//  - the new ISS is above the old SND.NXT (connect: + 64 KiB, as Linux),
//    so that none of our old segments falls into the peer's new window.
// Without timestamps, TIME_WAIT runs its 2 MSL.
bool Engine::time_wait_reusable(const TimeWaitEntry& tw) const {
    uint32_t now_ms = static_cast<uint32_t>(now_ / 1000);
    return config_.tw_reuse && config_.timestamps && tw.ts_ok && now_ms - tw.ts_recent_ms >= 1000;
}

Tcb* Engine::connect(const Source& from, uint32_t raddr, uint16_t rport, Service* service, uint64_t now_us,
                     uint64_t timeout_us) {
    now_ = now_us;
    if (stopping_)
        return nullptr;
    size_t n = from.addrs.size();
    for (size_t i = 0; i < n; ++i) {
        uint32_t laddr = from.addrs[(next_source_ + i) % n];
        if (uint16_t lport = pick_local_port(laddr, raddr, rport, from.port_first, from.port_last)) {
            next_source_ += static_cast<uint32_t>(i + 1);  // the next connect starts at the next address
            return connect(laddr, raddr, rport, service, lport, now_us, timeout_us);
        }
    }
    ++counters_.TCPNoEphemeralPort;
    return nullptr;
}

Tcb* Engine::connect(uint32_t laddr, uint32_t raddr, uint16_t rport, Service* service,
                     uint16_t lport, uint64_t now_us, uint64_t timeout_us) {
    now_ = now_us;
    if (stopping_)
        return nullptr;
    if (lport == 0)
        lport = pick_local_port(laddr, raddr, rport);
    if (lport == 0) {
        ++counters_.TCPNoEphemeralPort;
        return nullptr;
    }
    FlowKey key{raddr, laddr, rport, lport};
    // A TIME_WAIT tuple: taken over when it may be (time_wait_reusable).
    bool recycled = false;
    Seq old_snd_nxt;
    uint32_t old_ts_recent = 0;
    if (TimeWaitEntry* tw = time_wait_.find(key)) {
        if (!time_wait_reusable(*tw)) {
            ++counters_.TCPNoEphemeralPort;
            return nullptr;
        }
        recycled = true;
        old_snd_nxt = tw->snd_nxt;
        old_ts_recent = tw->ts_recent;
        ++counters_.TWRecycled;
        end_time_wait(*tw);
    }
    Tcb* t = allocate(key);
    if (!t) {
        ++counters_.TCPConnTableFull;
        return nullptr;
    }
    t->service = service;
    t->accepted = true;  // the service owns it from the start: it will hear on_closed
    t->iss = recycled ? old_snd_nxt + 65535 + 2 : Seq(make_isn(key));
    t->tw_recycled = recycled;
    t->ts_recent = old_ts_recent;  // PAWS for the SYN-ACK (syn_sent_input)
    t->snd_una = t->iss;
    t->snd_nxt = t->iss;
    t->snd_max = t->iss;
    // Offer every option we have; the SYN-ACK decides (RFC 7323 §1.3).
    t->ws_ok = config_.window_scaling;
    t->rcv_wscale = config_.window_scaling ? rcv_wscale_ : 0;
    t->sack_ok = config_.sack;
    t->ts_ok = config_.timestamps;
    t->ecn_ok = config_.ecn_request;  // an ECN-setup SYN (RFC 3168 §6.1.1)
    t->ao = ao_key_for(raddr, t->key.lport);
    t->ts_offset = static_cast<uint32_t>(siphash24(config_.ts_key, &key, sizeof(key)));
    t->snd_mss = kDefaultMss;  // until the SYN-ACK says
    t->user_timeout_us = config_.user_timeout_us;
    init_sending(*t);
    set_state(*t, State::SynSent);
    ++counters_.ActiveOpens;
    send_segment(*t, t->iss, 0, kSyn);
    t->snd_nxt = t->iss + 1;
    if (timeout_us != 0)
        t->connect_deadline = now_ + timeout_us;
    arm_timer(*t, TimerKind::Retransmit, syn_retransmit_delay(*t));
    return t;
}

// Takes the options of the peer's SYN or SYN-ACK in an active open.
void Engine::negotiate_active(Tcb& t, const Segment& s) {
    SynOffer ours = our_offer();  // what connect() put in our SYN
    ours.window_scale = t.ws_ok;
    ours.sack = t.sack_ok;
    ours.timestamps = t.ts_ok;
    take_negotiated(t, negotiate(ours, offer_of(s.opts)));
    if (t.ts_ok) {
        t.ts_recent = s.opts.ts_val;
        t.ts_recent_stamp = now_;
    }
    apply_peer_user_timeout(t, s.opts);
    t.irs = s.seq;
    t.rcv_nxt = s.seq + 1;
    if (t.ao) {
        ao_start(t);
        t.snd_mss -= kAoOptionLen;
    }
    // Our SYN offered an unscaled window before RCV.NXT was known: its right
    // edge counts from here.
    t.rcv_adv = t.rcv_nxt + std::min<uint32_t>(config_.rcvbuf, 65535);
    t.last_ack_sent = t.rcv_nxt;
    init_sending(t);  // the MSS is known now
}

// §3.10.7.3 SYN-SENT.
void Engine::syn_sent_input(Tcb& t, Segment& s) {
    // first: the ACK, if any, must acknowledge our SYN.
    bool ack_ok = s.has(kAck) && t.iss < s.ack && s.ack <= t.snd_nxt;
    if (s.has(kAck) && !ack_ok) {
        if (s.has(kRst))
            drop(s, &Counters::TCPSynSentIgnored);
        else
            reply_rst(s);  // <SEQ=SEG.ACK><CTL=RST>
        return;
    }
    // second: RST. Only with an acceptable ACK (RFC 5961 §3.2 for SYN-SENT).
    if (s.has(kRst)) {
        if (!ack_ok) {  // RFC 5961 §3.2: a RST in SYN-SENT needs our SYN acknowledged
            drop(s, &Counters::TCPSynSentIgnored);
            return;
        }
        rte_pktmbuf_free(s.m);
        ++counters_.AttemptFails;
        ++counters_.InRsts;
        close_connection(t, CloseReason::Refused);  // "connection reset"
        return;
    }
    // fourth: SYN.
    if (!s.has(kSyn)) {
        drop(s, &Counters::TCPSynSentIgnored);
        return;
    }
    // On a tuple taken over from TIME_WAIT, a SYN-ACK with a TSval older
    // than the old connection's last is a duplicate of the old incarnation
    // (RFC 7323 §5.3 PAWS; Linux's PAWSActive).
    if (t.tw_recycled && s.opts.has_timestamps && static_cast<int32_t>(s.opts.ts_val - t.ts_recent) < 0) {
        drop(s, &Counters::PAWSActive);
        return;
    }
    negotiate_active(t, s);
    // ECN holds only if the SYN-ACK says ECE without CWR (RFC 3168 §6.1.1);
    // not in a simultaneous open, where both SYNs carry ECE and CWR.
    t.ecn_ok = t.ecn_ok && ack_ok && s.has(kEce) && !s.has(kCwr);
    t.snd_wnd = s.window;  // a SYN's window is never scaled
    t.max_snd_wnd = t.snd_wnd;
    t.snd_wl1 = s.seq;
    t.snd_wl2 = s.ack;
    rte_pktmbuf_free(s.m);  // data on a SYN is not queued; the peer resends it
    if (ack_ok) {
        t.snd_una = s.ack;
        set_state(t, State::Established);
        start_quick_acks(t);
        if (t.ecn_ok) {
            ++counters_.TCPECNNegotiated;
            t.ecn_recover = t.iss;
        }
        t.retries = 0;
        t.last_rx_us = now_;
        arm_idle_timer(t);
        t.ack_now = true;
        mark_dirty(t);
        t.snd_wnd = uint32_t{s.window} << t.snd_wscale;
        if (t.service)
            t.service->on_accept(*this, t);
        return;
    }
    // Simultaneous open: both SYNs crossed. SYN_RECEIVED, answer SYN,ACK.
    set_state(t, State::SynReceived);
    t.retries = 0;
    send_syn_ack(t);
    arm_timer(t, TimerKind::Retransmit, t.rtt.rto_us());
}

}  // namespace tcpterm::tcp
