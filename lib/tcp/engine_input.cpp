// SEGMENT ARRIVES (RFC 9293 §3.10.7), with the RFC 5961 and RFC 7323 checks.
// Steps are numbered as in the RFC.
#include <algorithm>

#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::tcp {

namespace {
// RFC 7323 §5.5: TS.Recent older than 24 days is no longer trusted.
constexpr uint64_t kPawsIdleUs = 24ull * 24 * 3600 * 1'000'000;
}  // namespace

void Engine::input(rte_mbuf* m, const net::Ipv4Datagram& ip, uint64_t now_us) {
    now_ = now_us;
    ++counters_.InSegs;
    Segment s;
    s.m = m;  // a segment that fails to parse is still dropped by drop()
    switch (parse_segment(m, ip.src, ip.dst, ip.header_len, ip.payload_len, s)) {
    case ParseResult::Ok:
        break;
    case ParseResult::BadChecksum:
        drop(s, &Counters::InCsumErrors);
        return;
    case ParseResult::BadOptions:
        ++counters_.TCPBadOptions;
        [[fallthrough]];
    case ParseResult::BadHeader:
        drop(s, &Counters::InErrs);
        return;
    }
    // Flags no TCP sends together: a SYN cannot also end or reset what it
    // opens. Linux and the BSDs drop them wherever they land (and nmap's
    // fingerprinting probes get no answer).
    if (s.has(kSyn) && (s.has(kFin) || s.has(kRst))) {
        drop(s, &Counters::TCPBadFlags);
        return;
    }
    // One hash of the 4-tuple serves the filter and both tables (same
    // function, same key). A tuple the filter has never seen skips both.
    uint32_t hash = flow_hash(s.key);
    if (tuples_.maybe_present(hash)) {
        void* data = nullptr;
        if (rte_hash_lookup_with_hash_data(table_, &s.key, hash, &data) >= 0) {
            segment_arrives(*static_cast<Tcb*>(data), s);
            return;
        }
        if (TimeWaitEntry* tw = time_wait_.find(s.key, hash)) {
            time_wait_input(*tw, s);
            return;
        }
    }
    // Stopping: the listeners are closed, as a dying process's are.
    if (Listener* l = stopping_ ? nullptr : find_listener(ip.dst, s.key.lport)) {
        listen_input(*l, s);
        return;
    }
    closed_input(s);
}

// §3.10.7.1 CLOSED: anything but a RST is answered by a RST.
void Engine::closed_input(Segment& s) {
    if (s.opts.has_ao)  // a RST could not be signed (RFC 5925 §7.7): say nothing
        ++counters_.TCPAOKeyNotFound;
    if (s.has(kRst) || s.opts.has_ao) {
        drop(s, &Counters::TCPNoListenerSilent);
        return;
    }
    ++counters_.TCPNoListener;
    reply_rst(s);
}

// §3.10.7.2 LISTEN, in the RFC's order. Absent on purpose: the security
// check of the third step (see segment_arrives).
void Engine::listen_input(Listener& l, Segment& s, const Seq* reuse_after) {
    if (s.has(kRst)) {  // first: an incoming RST is ignored
        drop(s, &Counters::TCPListenIgnored);
        return;
    }
    // RFC 5925: a peer with a TCP-AO key gets no unsigned answers and no
    // cookies (a cookie ACK could not be checked before its TCB exists).
    const AoKey* mkt = ao_key_for(s.key.raddr, s.key.lport);
    if (s.has(kAck)) {  // second
        listen_ack(l, s, mkt);
        return;
    }
    if (!s.has(kSyn)) {  // fourth: other text or control, drop
        drop(s, &Counters::TCPListenIgnored);
        return;
    }
    ++counters_.SynsReceived;  // third: SYN
    if (admit_syn(l, s, mkt))
        open_passive(l, s, mkt, reuse_after);
}

// An ACK at a listener: it may complete a handshake we answered with a SYN
// cookie; any other is bad here.
void Engine::listen_ack(Listener& l, Segment& s, const AoKey* mkt) {
    if (mkt) {
        drop(s, &Counters::TCPAORequired);
        return;
    }
    if (!s.has(kSyn) && l.cookies != CookieMode::Off && cookies_recently_sent(l)) {
        if (!accept_cookie(l, s))  // forged, stale or random: nothing is created
            drop(s, &Counters::SyncookiesFailed);
        return;
    }
    reply_rst(s);  // <SEQ=SEG.ACK><CTL=RST>
}

// Whether a SYN may open a connection here: signed when it must be, from
// an admitted peer with room left, and neither answered by a cookie nor
// beyond a full SYN queue. False when the SYN has been dealt with.
bool Engine::admit_syn(Listener& l, Segment& s, const AoKey* mkt) {
    if (!ao_verify_syn(mkt, s)) {  // counted by the check
        drop(s, &Counters::ListenDrops);
        return false;
    }
    if (!l.admits(s.key.raddr) || !per_source_admits(l, s.key.raddr)) {
        ++(l.admits(s.key.raddr) ? counters_.TCPPerSourceRejected : counters_.TCPForeignRejected);
        ++counters_.ListenDrops;
        if (l.reject_with_rst)
            reply_rst(s);
        else
            rte_pktmbuf_free(s.m);  // counted above
        return false;
    }
    if (!mkt && (l.cookies == CookieMode::Always ||
                 (l.cookies == CookieMode::Auto && l.syn_queue_len >= l.cookie_threshold))) {
        send_cookie_syn_ack(l, s);
        return false;
    }
    if (l.syn_queue_len >= l.syn_backlog) {
        ++counters_.ListenDrops;
        drop(s, &Counters::TCPReqQFullDrop);
        return false;
    }
    return true;
}

// The SYN opens a connection: SYN_RECEIVED, and our SYN-ACK.
void Engine::open_passive(Listener& l, Segment& s, const AoKey* mkt, const Seq* reuse_after) {
    Tcb* t = allocate(s.key);
    if (!t) {
        ++counters_.ListenDrops;
        drop(s, &Counters::TCPConnTableFull);
        return;
    }
    t->listener = &l;
    t->service = l.service;
    per_source_add(*t);
    ++l.syn_queue_len;
    t->irs = s.seq;
    t->rcv_nxt = s.seq + 1;  // data on the SYN is not queued; the peer resends it
    // RFC 6191 §2: a SYN that reuses a TIME_WAIT tuple gets an ISS above
    // everything the old incarnation sent (as Linux: its SND.NXT + 64 KiB),
    // so that none of its segments can fall into the new window.
    t->iss = reuse_after ? *reuse_after + 65535 + 2 : Seq(make_isn(s.key));
    t->snd_una = t->iss;
    t->snd_nxt = t->iss;
    t->snd_max = t->iss;
    t->snd_wnd = s.window;   // never scaled in a SYN (RFC 7323 §2.2)
    t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = s.seq;
    t->snd_wl2 = t->iss;

    take_negotiated(*t, negotiate(our_offer(), offer_of(s.opts)));
    t->ecn_ok = config_.ecn_accept && is_ecn_setup_syn(s);  // RFC 3168 §6.1.1
    if (t->ts_ok) {
        t->ts_recent = s.opts.ts_val;
        t->ts_recent_stamp = now_;
        t->ts_offset = static_cast<uint32_t>(siphash24(config_.ts_key, &s.key, sizeof(s.key)));
    }
    apply_peer_user_timeout(*t, s.opts);
    if (mkt) {
        t->ao = ao_send_key_wanted(mkt, s);  // RNextKeyID: the key the peer wants
        ao_start(*t);
        t->snd_mss -= kAoOptionLen;  // on every segment
    }
    init_sending(*t);
    set_state(*t, State::SynReceived);
    ++counters_.PassiveOpens;
    rte_pktmbuf_free(s.m);
    send_syn_ack(*t);
    arm_timer(*t, TimerKind::Retransmit, t->rtt.rto_us());
}

// §3.10.7.4 first check: is the segment in the receive window? A segment
// without data may also sit at the window's right edge, as Linux allows
// (tcp_sequence): a peer that has filled our window sends its ACKs there,
// and RFC 9293's strict test would drop every one of them, with what they
// acknowledge of our own data, until the window opens again.
bool Engine::acceptable(const Tcb& t, const Segment& s) const {
    int32_t wnd32 = t.rcv_adv - t.rcv_nxt;
    uint32_t wnd = wnd32 > 0 ? static_cast<uint32_t>(wnd32) : 0;
    uint32_t len = s.seg_len();
    if (len == 0)
        return seq_in_window(s.seq, t.rcv_nxt, wnd + 1);
    if (wnd == 0)
        return false;
    return seq_in_window(s.seq, t.rcv_nxt, wnd) ||
           seq_in_window(s.seq + (len - 1), t.rcv_nxt, wnd);
}

// RFC 7323 §5.3 R1: a segment whose TSval is older than TS.Recent is a
// duplicate from an earlier incarnation of the sequence space.
bool Engine::paws_reject(Tcb& t, const Segment& s) {
    if (static_cast<int32_t>(s.opts.ts_val - t.ts_recent) >= 0)
        return false;
    if (now_ - t.ts_recent_stamp > kPawsIdleUs) {
        t.ts_recent = s.opts.ts_val;  // §5.5: idle too long, TS.Recent is void
        t.ts_recent_stamp = now_;
        return false;
    }
    return true;
}

// Every segment that is not taken ends here, with the counter that says
// why (as Linux's kfree_skb_reason).
void Engine::drop(Segment& s, uint64_t Counters::*reason) {
    ++(counters_.*reason);
    rte_pktmbuf_free(s.m);
}

// Replies to invalid segments (out of window, PAWS, a bad ACK number, a
// challenge) go out at most once per tcp.invalid_ratelimit on each
// connection, as Linux's tcp_oow_rate_limited: neither a flood of junk nor
// two endpoints that disagree can make us send at their rate. A segment
// carrying data is always answered: its duplicate ACK (with SACK) is what
// the sender's loss recovery needs.
bool Engine::invalid_reply_allowed(Tcb& t, const Segment& s, uint64_t Counters::*skipped) {
    if (s.payload_len > 0 && !s.has(kSyn))
        return true;
    if (now_ - t.last_invalid_reply_us < config_.invalid_ratelimit_us) {
        ++(counters_.*skipped);
        return false;
    }
    t.last_invalid_reply_us = now_;
    return true;
}

void Engine::answer_invalid(Tcb& t, const Segment& s, uint64_t Counters::*skipped) {
    if (!invalid_reply_allowed(t, s, skipped))
        return;
    t.ack_now = true;
    mark_dirty(t);
}

// RFC 5961 §7: challenge ACKs are limited per connection first (so what one
// connection draws says nothing about another), then per worker by a
// budget drawn at random each second, as Linux does since CVE-2016-5696: an
// off-path attacker cannot count them to learn whether a tuple exists.
void Engine::challenge_ack(Tcb& t, const Segment& s) {
    if (!invalid_reply_allowed(t, s, &Counters::TCPACKSkippedChallenge))
        return;
    uint64_t second = now_ / 1'000'000;
    if (second != challenge_second_) {
        challenge_second_ = second;
        uint32_t limit = config_.challenge_ack_per_second;
        challenge_budget_ = limit / 2 + static_cast<uint32_t>(rte_rand_max(limit));
    }
    if (challenge_budget_ == 0) {
        ++counters_.TCPChallengeACKLimited;
        return;
    }
    --challenge_budget_;
    ++counters_.TCPChallengeACK;
    t.ack_now = true;
    mark_dirty(t);
}

// §3.10.7.4 for SYN_RECEIVED and every synchronized state, in the RFC's
// order. Each step either passes the segment on or ends it (dropped with
// its counter, or taken). Absent on purpose: the third check, security
// (RFC 9293 no longer defines one for IPv4 without IP options, which the
// IPv4 layer never passes here), and the sixth, URG (RFC 6093: urgent data
// is delivered inline, the pointer ignored).
void Engine::segment_arrives(Tcb& t, Segment& s) {
    if (!ao_accept(t, s)) {  // RFC 5925 §7.3: before anything else looks at it
        rte_pktmbuf_free(s.m);  // counted by the check
        return;
    }
    if (t.state == State::SynSent) {
        syn_sent_input(t, s);
        return;
    }
    if (!check_timestamps(t, s) || handshake_repeated(t, s) || !check_sequence(t, s))
        return;
    t.last_rx_us = now_;  // the peer is alive (keepalive)
    t.keepalive_probes = 0;
    if (s.has(kRst)) {    // second
        check_rst(t, s);
        return;
    }
    if (s.has(kSyn)) {    // fourth: RFC 5961 §4.2, a challenge ACK
        challenge_ack(t, s);
        drop(s, &Counters::TCPSYNChallenge);
        return;
    }
    if (!check_ack(t, s)) // fifth
        return;
    bool has_fin = s.has(kFin);
    Seq fin_at = s.seq + s.payload_len;
    bool carries_data = s.payload_len > 0;
    process_text(t, s);   // seventh
    if (!t.released)
        process_fin(t, has_fin, fin_at, carries_data);  // eighth
}

// RFC 7323 §3.2: once timestamps are agreed, a non-RST segment without one
// SHOULD be dropped (it escapes PAWS otherwise); §5.3: PAWS comes before
// the sequence check.
bool Engine::check_timestamps(Tcb& t, Segment& s) {
    if (!t.ts_ok || s.has(kRst))
        return true;
    if (!s.opts.has_timestamps) {
        drop(s, &Counters::PAWSNoTimestamp);
        return false;
    }
    if (paws_reject(t, s)) {
        answer_invalid(t, s, &Counters::TCPACKSkippedPAWS);
        drop(s, &Counters::PAWSEstab);
        return false;
    }
    return true;
}

// SYN_RECEIVED only: the peer repeats its part of the handshake. Returns
// true when the segment was taken.
bool Engine::handshake_repeated(Tcb& t, Segment& s) {
    if (t.state != State::SynReceived || !s.has(kSyn) || s.has(kRst))
        return false;
    // A retransmitted SYN: our SYN-ACK was lost.
    if (!s.has(kAck) && s.seq == t.irs) {
        rte_pktmbuf_free(s.m);
        send_syn_ack(t);
        return true;
    }
    // Simultaneous open (RFC 9293 Figure 8, step 6): the peer's SYN,ACK
    // repeats its SYN and acknowledges ours. Strictly the SYN is old and
    // would only draw an ACK; like Linux, take it as the ACK it carries.
    if (s.has(kAck) && s.seq + 1 == t.rcv_nxt && s.ack == t.snd_nxt) {
        if (establish(t, s) && !t.released) {
            t.ack_now = true;
            mark_dirty(t);
        }
        rte_pktmbuf_free(s.m);
        return true;
    }
    return false;
}

// first: sequence number acceptability.
bool Engine::check_sequence(Tcb& t, Segment& s) {
    if (acceptable(t, s))
        return true;
    if (s.has(kRst)) {
        drop(s, &Counters::TCPRstOutOfWindow);
    } else if (s.has(kSyn)) {  // RFC 5961 §4.2: whatever its sequence number
        challenge_ack(t, s);
        drop(s, &Counters::TCPSYNChallenge);
    } else {
        if (t.sack_ok && s.payload_len > 0 && s.seq + s.payload_len <= t.rcv_nxt) {
            // All of it arrived before: the D-SACK (RFC 2883 §4) lets the
            // sender undo a needless retransmission.
            owe_dsack(t, s.seq, s.seq + s.payload_len);
        }
        answer_invalid(t, s, &Counters::TCPACKSkippedSeq);
        drop(s, &Counters::TCPSeqOutOfWindow);
    }
    return false;
}

// second: RST. RFC 5961 §3.2: only an exact match resets; an in-window RST
// gets a challenge ACK, so a blind attacker must guess RCV.NXT.
void Engine::check_rst(Tcb& t, Segment& s) {
    // A TIME_WAIT that waits for its service to read (end_connection)
    // keeps RFC 1337 as the compact entry does.
    if (t.state == State::TimeWait && config_.rfc1337) {
        drop(s, &Counters::TCPTimeWaitRstIgnored);
        return;
    }
    if (s.seq != t.rcv_nxt) {
        challenge_ack(t, s);
        drop(s, &Counters::TCPRstInWindow);
        return;
    }
    rte_pktmbuf_free(s.m);
    ++counters_.InRsts;
    if (t.state == State::SynReceived) {
        ++counters_.AttemptFails;  // passive open: back to LISTEN
    } else if (t.state == State::Established || t.state == State::CloseWait) {
        ++counters_.EstabResets;
    }
    close_connection(t, CloseReason::Reset);
}

// fifth: ACK. Returns false when the segment ended here.
bool Engine::check_ack(Tcb& t, Segment& s) {
    if (!s.has(kAck)) {
        drop(s, &Counters::TCPAckMissing);
        return false;
    }
    if (t.state == State::SynReceived) {
        if (!(t.snd_una < s.ack && s.ack <= t.snd_nxt)) {
            reply_rst(s);  // <SEQ=SEG.ACK><CTL=RST>
            return false;
        }
        if (!establish(t, s) || t.released) {
            rte_pktmbuf_free(s.m);  // counted by establish (ListenOverflows)
            return false;
        }
    }
    if (t.ecn_ok)
        ecn_receiver(t, s);
    uint32_t flight_before = static_cast<uint32_t>(t.snd_max - t.snd_una);
    // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT].
    if (s.ack > t.snd_max) {
        challenge_ack(t, s);
        drop(s, &Counters::TCPAckTooNew);
        return false;
    }
    if (s.ack < t.snd_una - t.max_snd_wnd) {
        challenge_ack(t, s);
        drop(s, &Counters::TCPAckTooOld);
        return false;
    }
    // RFC 7323 §4.3: remember TSval of the segment that covers Last.ACK.sent.
    if (t.ts_ok && s.opts.has_timestamps && s.seq <= t.last_ack_sent &&
        static_cast<int32_t>(s.opts.ts_val - t.ts_recent) >= 0) {
        t.ts_recent = s.opts.ts_val;
        t.ts_recent_stamp = now_;
    }
    process_ack(t, s);
    if (t.released || t.state == State::TimeWait) {
        rte_pktmbuf_free(s.m);
        return false;
    }
    if (t.ecn_ok && s.has(kEce))
        ecn_echo_received(t, flight_before);
    return true;
}

// seventh: segment text, in the states that still receive. Takes the mbuf.
void Engine::process_text(Tcb& t, Segment& s) {
    bool receiving = t.state == State::Established || t.state == State::FinWait1 ||
                     t.state == State::FinWait2;
    if (s.payload_len == 0 || !receiving) {
        if (s.payload_len > 0) {  // after the peer's FIN: nothing new can arrive
            t.ack_now = true;
            mark_dirty(t);
        }
        rte_pktmbuf_free(s.m);
        return;
    }
    if (t.app_closed) {
        // RFC 1122 4.2.2.13: data for a closed application is lost; say so.
        ++counters_.TCPAbortOnData;
        rte_pktmbuf_free(s.m);
        send_rst(t);
        close_connection(t, CloseReason::Refused);
        return;
    }
    // The receiver's RTT (Linux's tcp_rcv_rtt_measure_ts), for autotuning:
    // data that echoes our timestamp left the peer one RTT after it.
    if (t.ts_ok && s.opts.ts_ecr != 0 && t.rcvbuf < config_.rcvbuf_max) {
        uint64_t sample = std::max<uint64_t>(uint64_t{ts_now(t) - s.opts.ts_ecr} * 1000, config_.timer_tick_us);
        t.rcv_rtt_us = t.rcv_rtt_us ? (7 * t.rcv_rtt_us + sample) / 8 : sample;
    }
    receive_data(t, s);
}

// eighth: FIN, once everything before it has arrived. One beyond a hole is
// remembered (its data waits in the reassembly queue) and taken when the
// hole fills, so the peer need not retransmit it.
void Engine::process_fin(Tcb& t, bool has_fin, Seq fin_at, bool carries_data) {
    bool receiving = t.state == State::Established || t.state == State::FinWait1 ||
                     t.state == State::FinWait2;
    if (has_fin && fin_at > t.rcv_nxt && !t.peer_fin && receiving) {
        t.peer_fin_ahead = true;
        t.peer_fin_at = fin_at;
        // A duplicate ACK: the hole is still there (data with the FIN had
        // its ACK already, as out-of-order data).
        if (!carries_data) {
            t.ack_now = true;
            mark_dirty(t);
        }
    }
    if ((has_fin && fin_at == t.rcv_nxt) || (t.peer_fin_ahead && t.peer_fin_at == t.rcv_nxt)) {
        t.peer_fin_ahead = false;
        receive_fin(t);
    }
}

// SYN_RECEIVED -> ESTABLISHED. Returns false when the segment must be
// dropped instead: the accept queue of a service that never accepts is full.
bool Engine::establish(Tcb& t, const Segment& s) {
    Listener* l = t.listener;
    bool queue = l && t.service && !t.service->accepts();
    if (queue && l->accept_queue_len >= l->accept_backlog) {
        // As Linux: ignore the ACK and let SYN-ACK retransmission retry, or
        // (abort_on_overflow) reset the connection.
        ++counters_.ListenOverflows;
        ++counters_.ListenDrops;
        if (l->abort_on_overflow) {
            send_rst(t);
            close_connection(t, CloseReason::Aborted);
        }
        return false;
    }
    if (l)
        --l->syn_queue_len;
    set_state(t, State::Established);
    start_quick_acks(t);
    if (t.ecn_ok) {
        ++counters_.TCPECNNegotiated;
        t.ecn_recover = t.iss;
    }
    t.snd_una = s.ack;
    t.snd_wnd = uint32_t{s.window} << t.snd_wscale;
    t.max_snd_wnd = std::max(t.max_snd_wnd, t.snd_wnd);
    t.snd_wl1 = s.seq;
    t.snd_wl2 = s.ack;
    t.retries = 0;
    t.last_rx_us = now_;
    if (queue) {
        arm_idle_timer(t);
        t.in_accept_queue = true;
        ++l->accept_queue_len;
        return true;
    }
    t.accepted = true;
    arm_idle_timer(t);
    if (t.service)
        t.service->on_accept(*this, t);
    return true;
}

void Engine::process_ack(Tcb& t, const Segment& s) {
    if (s.ack < t.snd_una)
        return;  // an old duplicate: nothing to learn from it
    // Window update (§3.10.7.4 fifth), only from a newer segment. One that
    // acknowledges new data is newer than the one that set SND.WND (whose
    // ACK was at most SND.UNA) even when its SEG.SEQ is lower than SND.WL1,
    // as when the peer fills a hole below data of its own that we hold out
    // of order: as Linux (tcp_may_update_window), take its window then.
    // Kept, the old window would count from the new SND.UNA and let us send
    // past the peer's right edge; that data is dropped, and our ACKs, which
    // carry SND.MAX, fall outside its window too and are ignored, so the
    // peer never learns what we received (a proxied transfer stalled).
    uint32_t wnd = uint32_t{s.window} << t.snd_wscale;
    bool window_changed = false;
    if (s.ack > t.snd_una || t.snd_wl1 < s.seq || (t.snd_wl1 == s.seq && t.snd_wl2 <= s.ack)) {
        window_changed = wnd != t.snd_wnd;
        t.snd_wnd = wnd;
        t.snd_wl1 = s.seq;
        t.snd_wl2 = s.ack;
        t.max_snd_wnd = std::max(t.max_snd_wnd, wnd);
        if (window_changed)
            mark_dirty(t);
    }
    uint32_t acked = static_cast<uint32_t>(s.ack - t.snd_una);
    bool duplicate = acked == 0 && t.snd_max > t.snd_una && s.payload_len == 0 &&
                     !window_changed && !s.has(kFin);  // RFC 5681's definition
    AckInfo info = scoreboard_ack(t, s);
    if (acked > 0) {
        uint32_t data_acked = std::min(acked, t.sendq.bytes);
        if (data_acked > 0) {
            t.sendq.drop_front(data_acked);
            account(t);
        }
        t.snd_una = s.ack;
        if (t.snd_nxt < t.snd_una)
            t.snd_nxt = t.snd_una;
        t.retries = 0;
        t.stall_since = now_;
    }
    recovery_on_ack(t, acked, duplicate, info);
    if (acked > 0 || info.delivered > 0 || duplicate) {
        autotune_sndbuf(t);
        arm_sending_timer(t, acked > 0);
        mark_dirty(t);
        if (acked > 0 && t.want_writable && send_space(t) > 0 && t.accepted && t.service) {
            t.want_writable = false;
            t.service->on_writable(*this, t);
            if (t.released)
                return;
        }
    }
    // Our FIN acknowledged.
    if (t.fin_acked()) {
        switch (t.state) {
        case State::FinWait1:
            set_state(t, State::FinWait2);
            // Nobody will read an orphan's data: do not wait for the peer's
            // FIN forever (Linux's tcp_fin_timeout).
            if (t.app_closed)
                arm_timer(t, TimerKind::FinWait2, config_.fin_timeout_us);
            break;
        case State::Closing:
            end_connection(t, true);
            break;
        case State::LastAck:
            end_connection(t, false);
            break;
        default:
            break;
        }
    }
}

void Engine::receive_data(Tcb& t, Segment& s) {
    rte_mbuf* m = s.m;
    Seq seq = s.seq;
    uint32_t len = s.payload_len;
    // Keep only what lies inside [RCV.NXT, right edge of our window).
    Seq left = seq_max(seq, t.rcv_nxt);
    Seq right = seq_min(seq + len, seq_max(t.rcv_adv, t.rcv_nxt));
    // Until it proves to be in order, the segment is answered at once (at
    // the end of the burst): a duplicate, a trimmed or a refused segment,
    // one beyond a hole; only plain in-order data may wait (owe_ack).
    bool owed_before = t.ack_now;
    t.ack_now = true;
    mark_dirty(t);
    if (seq + len > right)
        counters_.TCPRcvWndTrimmed += static_cast<uint32_t>((seq + len) - seq_max(right, seq));
    if (seq < t.rcv_nxt && t.sack_ok)  // RFC 2883 §4: it may undo
        owe_dsack(t, seq, seq_min(seq + len, t.rcv_nxt));
    if (right <= left) {  // a pure duplicate, or nothing fits the window
        rte_pktmbuf_free(m);
        if (t.dsack_pending || !t.ooo.empty())
            ack_at_once(t);
        return;
    }
    rte_pktmbuf_adj(m, static_cast<uint16_t>(s.payload_offset + (left - seq)));
    rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - (right - left)));
    if (m->pool != pool_ && !(m = adopt(m)))
        return;
    if (left > t.rcv_nxt) {
        // Beyond a hole: hold it (RFC 2018: and report it in SACK blocks);
        // the immediate duplicate ACK tells the sender what is missing.
        if (!rcv_mem_admits(t, false)) {
            ++counters_.TCPOFODrop;
            rte_pktmbuf_free(m);
            return;
        }
        if (t.ooo.insert(m, left))
            ++counters_.TCPOFOQueue;
        else
            ++counters_.TCPOFODrop;
        account(t);  // an insert may also free held segments it covers
        start_quick_acks(t);  // loss or reordering: the sender needs every ACK
        ack_out_of_order(t);
        return;
    }
    // In order: into the tail buffer when it fits there, else queued whole,
    // within the connection's and the worker's memory.
    if (t.recvq.append_to_tail(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len)) {
        ++counters_.TCPRcvCoalesce;
        t.rcv_nxt += m->data_len;
        rte_pktmbuf_free(m);
    } else if (rcv_mem_admits(t, true)) {
        t.rcv_nxt += m->data_len;
        t.recvq.push_back(m);
    } else {
        ++counters_.TCPRcvQDrop;  // the ACK owed above tells the peer what is missing
        rte_pktmbuf_free(m);
        return;
    }
    bool filled_hole = !t.ooo.empty();
    if (filled_hole) {
        uint32_t held = t.ooo.segments();
        t.rcv_nxt = t.ooo.drain_in_order(t.rcv_nxt, t.recvq);
        counters_.TCPOFOMerge += held - t.ooo.segments();
    }
    // RFC 5681 §4.2: a segment that fills a hole is acknowledged at once.
    t.ack_now = owed_before;
    owe_ack(t, len, filled_hole || t.dsack_pending);
    account(t);
    if (!t.ooo.empty())  // part of a hole filled, more remain
        ack_at_once(t);
    if (t.accepted && t.service && !t.app_closed)
        t.service->on_data(*this, t);
}

// A segment another worker received for us (software steering) holds a
// buffer of that worker's pool: before it is queued here, where that worker's
// memory marks cannot see it, its payload moves into a buffer of our own.
rte_mbuf* Engine::adopt(rte_mbuf* m) {
    rte_mbuf* own = rte_pktmbuf_copy(m, pool_, 0, UINT32_MAX);
    rte_pktmbuf_free(m);
    if (!own)
        ++counters_.TCPRcvQDrop;
    return own;
}

void Engine::receive_fin(Tcb& t) {
    t.rcv_nxt += 1;
    t.peer_fin = true;
    t.ack_now = true;
    mark_dirty(t);
    switch (t.state) {
    case State::SynReceived:
    case State::Established:
        set_state(t, State::CloseWait);
        if (t.accepted && t.service)
            t.service->on_peer_shutdown(*this, t);
        break;
    case State::FinWait1:
        if (t.fin_acked()) {
            end_connection(t, true);
        } else {
            set_state(t, State::Closing);  // simultaneous close
        }
        break;
    case State::FinWait2:
        end_connection(t, true);
        break;
    default:
        break;  // CLOSE_WAIT, CLOSING, LAST_ACK: a retransmitted FIN, ACK it
    }
}

}  // namespace tcpterm::tcp
