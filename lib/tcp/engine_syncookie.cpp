// The SYN-cookie fast path (syncookie.hpp): a SYN answered with no state, and
// the ACK that proves a cookie turned into a full connection.
#include <algorithm>

#include <rte_mbuf.h>

#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

// Cookie ACKs are looked for only while cookies may be out, so that a stray
// ACK at a quiet auto-mode listener still gets its RST (as Linux does). A
// listener that always sends cookies checks every ACK: a failed one is
// dropped, never answered, so an ACK flood reflects nothing.
bool Engine::cookies_recently_sent(const Listener& l) const {
    return l.cookies == CookieMode::Always ||
           (l.cookie_sent && now_ - l.last_cookie_us < 2 * config_.cookie_period_us);
}

void Engine::send_cookie_syn_ack(Listener& l, Segment& s) {
    uint8_t index = SynCookies::mss_index(std::min(offer_of(s.opts).mss, config_.mss));
    Cookie cookie = cookies_.make(s.key, s.seq, index, now_);
    TcpOptions o;
    o.has_mss = true;
    o.mss = config_.mss;
    advertise_user_timeout(o);
    uint8_t flags = kSyn | kAck;
    if (config_.timestamps && s.opts.has_timestamps) {
        CookieTsOptions kept;
        kept.has_window_scale = config_.window_scaling && s.opts.has_window_scale;
        kept.window_scale = std::min(s.opts.window_scale, kMaxWindowScale);
        kept.sack_permitted = config_.sack && s.opts.sack_permitted;
        kept.ecn = config_.ecn_accept && is_ecn_setup_syn(s);
        if (kept.ecn)
            flags |= kEce;  // an ECN-setup SYN-ACK (RFC 3168 §6.1.1)
        o.has_timestamps = true;
        o.ts_val = SynCookies::encode_ts(static_cast<uint32_t>(now_ / 1000) + cookie.ts_offset, kept);
        o.ts_ecr = s.opts.ts_val;
        o.has_window_scale = kept.has_window_scale;
        o.window_scale = rcv_wscale_;
        o.sack_permitted = kept.sack_permitted;
    }
    uint8_t scratch[40];
    uint8_t* options = reply_options_in_place(s);
    if (!options)
        options = scratch;
    size_t options_len = write_syn_options(options, o);
    l.cookie_sent = true;
    l.last_cookie_us = now_;
    ++counters_.SyncookiesSent;
    reply_in_place(s, Seq(cookie.iss), s.seq + 1, flags,
                   static_cast<uint16_t>(std::min<uint32_t>(config_.rcvbuf, 65535)), options,
                   options_len);
}

// Returns false when the ACK carries no valid cookie (the caller drops it).
bool Engine::accept_cookie(Listener& l, Segment& s) {
    Seq peer_isn = s.seq - 1;
    uint32_t cookie = s.ack.v - 1;
    std::optional<CookieGrant> grant = cookies_.check(s.key, peer_isn, cookie, now_);
    if (!grant)
        return false;
    if (!per_source_admits(l, s.key.raddr)) {  // cookies were sent past the limit
        ++counters_.TCPPerSourceRejected;
        if (l.reject_with_rst)
            reply_rst(s);
        else
            rte_pktmbuf_free(s.m);
        return true;
    }
    Tcb* t = allocate(s.key);
    if (!t) {
        ++counters_.TCPConnTableFull;
        ++counters_.ListenDrops;
        rte_pktmbuf_free(s.m);
        return true;
    }
    ++counters_.SyncookiesRecv;
    ++counters_.PassiveOpens;
    // Rebuild what the SYN-ACK we did not remember would have left behind,
    // then let the ordinary SYN_RECEIVED processing take the ACK.
    t->listener = &l;
    t->service = l.service;
    per_source_add(*t);
    ++l.syn_queue_len;  // establish() takes it off again
    t->irs = peer_isn;
    t->rcv_nxt = s.seq;
    t->rcv_adv = t->rcv_nxt + std::min<uint32_t>(config_.rcvbuf, 65535);
    t->iss = Seq(cookie);
    t->snd_una = t->iss;
    t->snd_nxt = t->iss + 1;
    t->snd_max = t->snd_nxt;
    // The peer's SYN offer, as the cookie kept it: the MSS (one of four),
    // and, encoded in our timestamp that the ACK echoes, the rest.
    SynOffer peer;
    peer.mss = SynCookies::kMssTable[grant->mss_index];
    bool with_ts = config_.timestamps && s.opts.has_timestamps;
    CookieTsOptions kept = with_ts ? SynCookies::decode_ts(s.opts.ts_ecr) : CookieTsOptions{};
    if (with_ts) {
        peer.timestamps = true;
        peer.window_scale = kept.has_window_scale;
        peer.wscale = kept.window_scale;
        peer.sack = kept.sack_permitted;
    }
    take_negotiated(*t, negotiate(our_offer(), peer));
    if (t->ts_ok) {
        t->ts_recent = s.opts.ts_val;
        t->ts_recent_stamp = now_;
        t->ts_offset = grant->ts_offset;
    }
    t->ecn_ok = with_ts && kept.ecn && config_.ecn_accept;
    t->user_timeout_us = config_.user_timeout_us;
    init_sending(*t);
    set_state(*t, State::SynReceived);
    segment_arrives(*t, s);  // establishes, then takes any data or FIN
    if (!t->released && t->state == State::SynReceived)
        close_connection(*t, CloseReason::Aborted);  // accept queue full: no state to keep
    return true;
}

}  // namespace tcpterm::tcp
