// Sending reliably and fairly: what each ACK teaches the sender, loss
// detection, loss recovery and the congestion window through it.
//
//   - every ACK updates the scoreboard (cumulative ACK and every SACK
//     block, RFC 6675 §4), RACK's view of delivery (RFC 8985 §6.2) and the
//     RTT (rtt_estimator.hpp);
//   - losses are found by RACK with SACK, by three duplicate ACKs without
//     (RFC 5681 §3.2), by a tail loss probe (RFC 8985 §7) or by the RTO;
//   - fast recovery (RFC 6675) lasts until SND.UNA passes the point where it
//     began (RFC 6582's "recover"); PRR (RFC 6937) sets the window in it;
//   - D-SACKs (RFC 2883) that show every retransmission of an episode was
//     needless undo its reduction, as Linux does;
//   - outside recovery the congestion controller (congestion.hpp) grows
//     the window.
#include <algorithm>
#include <array>

#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

void Engine::init_sending(Tcb& t) {
    t.rtt = RttEstimator(config_.rto_initial_us);
    t.cc_ops = &congestion_ops(t.listener && t.listener->congestion ? *t.listener->congestion
                                                                 : config_.congestion);
    t.cc = CongestionState{};
    t.cc.mss = t.snd_mss;
    t.cc.cwnd = config_.initial_cwnd_segments * t.snd_mss;
    t.cc_ops->init(t.cc);
    t.nodelay = t.listener && t.listener->nodelay ? *t.listener->nodelay : config_.nodelay;
}

RttEstimator::Bounds Engine::rtt_bounds() const {
    return {config_.timer_tick_us, config_.rto_min_us, config_.rto_max_us};
}

// RFC 2883 §4: the first block reports a duplicate when it lies below the
// cumulative ACK or inside the second block.
static bool is_dsack(const Segment& s) {
    const SackBlock& first = s.opts.sack[0];
    if (Seq(first.right) <= s.ack)
        return true;
    return s.opts.sack_count > 1 && Seq(s.opts.sack[1].left) <= Seq(first.left) &&
           Seq(first.right) <= Seq(s.opts.sack[1].right);
}

// The scoreboard, RACK and the RTT estimator learn what this ACK says.
Engine::AckInfo Engine::scoreboard_ack(Tcb& t, const Segment& s) {
    AckInfo info;
    // RFC 8985 §6.2 step 2: whether the ACK answers an earlier copy of a
    // retransmitted segment, from its TSecr (our clock in ms plus offset).
    bool echo = t.ts_ok && s.opts.has_timestamps && s.opts.ts_ecr != 0;
    uint32_t echo_ms = s.opts.ts_ecr - t.ts_offset;
    uint64_t newest_fresh_us = 0;  // the newest delivered segment never retransmitted
    bool reordering_before = t.rack.reordering_seen();
    auto delivered = [&](const SentSegment& seg) {
        bool older = echo && static_cast<int32_t>(echo_ms - static_cast<uint32_t>(seg.xmit_us / 1000)) < 0;
        t.rack.on_delivered(seg, now_, t.rtt.min_rtt_us(), older);
        t.rate.on_delivered(seg);
        if (!seg.has(SentSegment::kRetransmitted))
            newest_fresh_us = std::max(newest_fresh_us, seg.xmit_us);
    };
    uint8_t first_block = 0;
    if (t.sack_ok && s.opts.sack_count > 0 && is_dsack(s)) {
        info.dsack = true;
        first_block = 1;
        ++counters_.TCPDSACKRecv;
        const SackBlock& d = s.opts.sack[0];
        // A duplicate of what this episode retransmitted: one needless copy.
        if (t.undo_armed && t.undo_retrans > 0 && Seq(d.right) <= s.ack && Seq(d.left) >= t.undo_marker) {
            uint32_t segments = std::max<uint32_t>(1, (Seq(d.right) - Seq(d.left)) / t.snd_mss);
            t.undo_retrans -= std::min(t.undo_retrans, segments);
        }
    }
    if (s.ack > t.snd_una)
        info.delivered += t.sb.acknowledge(s.ack, delivered);
    // In sequence order: a receiver lists its newest block first, and when
    // the ACK before this one was lost, a lower block that is new here was
    // not reordered by the network (RACK's step 3 must not think so).
    std::array<SackBlock, 4> blocks{};
    uint8_t count = 0;
    for (uint8_t i = first_block; t.sack_ok && i < s.opts.sack_count && count < blocks.size(); ++i)
        blocks[count++] = s.opts.sack[i];
    std::sort(blocks.begin(), blocks.begin() + count,
              [](const SackBlock& a, const SackBlock& b) { return Seq(a.left) < Seq(b.left); });
    for (uint8_t i = 0; i < count; ++i) {
        Seq left(blocks[i].left), right(blocks[i].right);
        // RFC 2018 §4: ignore blocks that are malformed or outside what we sent.
        if (!(left < right) || right <= s.ack || right > t.snd_max)
            continue;
        info.delivered += t.sb.sack(seq_max(left, s.ack), right, delivered);
    }
    if (!reordering_before && t.rack.reordering_seen())
        ++counters_.TCPSACKReorder;
    if (newest_fresh_us != 0) {
        info.rtt_us = std::max<uint64_t>(now_ - newest_fresh_us, 1);
    } else if (echo && s.ack > t.snd_una && ts_now(t) != s.opts.ts_ecr) {
        // RFC 7323 RTTM: only retransmitted data was covered; the echoed
        // timestamp still says when the copy that arrived was sent.
        info.rtt_us = uint64_t{ts_now(t) - s.opts.ts_ecr} * 1000;
    }
    if (info.rtt_us != 0)
        t.rtt.sample(info.rtt_us, rtt_bounds());
    info.rate = t.rate.take_sample(info.delivered, now_, t.rtt.min_rtt_us());
    return info;
}

void Engine::recovery_on_ack(Tcb& t, uint32_t acked, bool duplicate, const AckInfo& info) {
    t.rack.on_ack(t.snd_una);
    if (acked > 0)
        t.probe_sent = false;
    if (info.dsack) {
        t.rack.on_dsack(t.snd_una, t.snd_max);
        if (t.undo_armed && t.undo_retrans == 0)
            undo_recovery(t);
    }
    // Loss detection.
    uint32_t delivered = info.delivered;
    uint32_t lost_before = t.sb.lost_bytes();
    if (t.sack_ok) {
        uint64_t reo = t.rack.reo_wnd(t.in_recovery || t.rto_recovery, t.sb.sacked_segments(),
                                      t.rtt.min_rtt_us(), t.rtt.srtt_us());
        t.rack_timeout_us = t.rack.detect_loss(t.sb, now_, reo);
    } else if (duplicate) {
        delivered = t.snd_mss;  // RFC 6937: without SACK, a duplicate ACK delivered one segment
        if (++t.dupacks == Rack::kDupThresh && !t.in_recovery && !t.rto_recovery && !t.sb.empty())
            t.sb.mark_lost(t.sb.front());  // RFC 5681 §3.2 fast retransmit
    } else if (acked > 0) {
        t.dupacks = 0;
        // RFC 6582 (3): a partial ACK in recovery: the next segment is lost too.
        if (t.in_recovery && t.snd_una < t.recover && !t.sb.empty())
            t.sb.mark_lost(t.sb.front());
    }
    // Recovery ends once everything sent before it began is acknowledged.
    if ((t.in_recovery || t.rto_recovery) && t.snd_una >= t.recover)
        end_recovery(t);
    // A new congestion event only for a loss no recovery has answered: a
    // retransmission still in flight from the episode that just ended was
    // paid for by that episode's reduction.
    uint32_t lost_after = t.sb.lost_bytes();
    if (!t.in_recovery && !t.rto_recovery && t.sb.has_unrepaired_loss())
        start_recovery(t);
    // What the ACK tells the controller (BBR reads all of it, the others
    // the first fields).
    AckSample a;
    a.acked = delivered;
    a.now_us = now_;
    a.rtt_us = info.rtt_us;
    a.srtt_us = t.rtt.srtt_us();
    a.snd_una = t.snd_una;
    a.snd_nxt = t.snd_max;
    a.rate = info.rate;
    a.delivered_total = t.rate.delivered();
    a.in_flight = t.sb.pipe();
    a.newly_lost = lost_after > lost_before ? lost_after - lost_before : 0;
    a.in_recovery = t.in_recovery || t.rto_recovery;
    if (t.cc_ops->sets_window_on_every_ack())  // BBR: its model, in recovery too
        t.cc_ops->on_ack(t.cc, a);
    else if (t.in_recovery)
        prr_update(t, delivered);
    else if (delivered > 0 && t.cwnd_limited)
        t.cc_ops->on_ack(t.cc, a);
}

// RFC 6675 §5 / RFC 6937: fast recovery begins; ssthresh from the
// controller, the window from PRR.
void Engine::start_recovery(Tcb& t) {
    uint32_t flight = static_cast<uint32_t>(t.snd_max - t.snd_una);
    t.in_recovery = true;
    t.recover = t.snd_max;
    congestion::on_congestion(*t.cc_ops, t.cc, flight, now_);
    t.recover_fs = std::max<uint32_t>(flight, 1);
    t.prr_delivered = 0;
    t.prr_out = 0;
    t.undo_armed = true;
    t.undo_marker = t.snd_una;
    t.undo_retrans = 0;
    ++(t.sack_ok ? counters_.TCPSackRecovery : counters_.TCPRenoRecovery);
}

void Engine::end_recovery(Tcb& t) {
    if (t.in_recovery && t.cc.ssthresh != UINT32_MAX)
        t.cc.cwnd = t.cc.ssthresh;  // RFC 6937: the window PRR converged to
    t.in_recovery = false;
    t.rto_recovery = false;
    t.dupacks = 0;
    t.undo_armed = false;
    t.rack.on_recovery_exit();
}

// Every retransmission of the episode was a duplicate (D-SACK): the loss
// was reordering, the reduction is undone and what is still marked lost
// is not resent.
void Engine::undo_recovery(Tcb& t) {
    congestion::undo(t.cc);
    ++(t.rto_recovery ? counters_.TCPLossUndo : counters_.TCPDSACKUndo);
    t.in_recovery = false;
    t.rto_recovery = false;
    t.undo_armed = false;
    t.sb.clear_lost();
}

// RFC 6937 §3, with PRR-SSRB: sends in proportion to what leaves the
// network while pipe is above ssthresh, then at most one segment more than
// is delivered until it reaches ssthresh.
void Engine::prr_update(Tcb& t, uint32_t delivered) {
    t.prr_delivered += delivered;
    uint32_t pipe = t.sb.pipe();
    uint32_t ssthresh = t.cc.ssthresh;
    int64_t sndcnt;
    if (pipe > ssthresh) {
        uint64_t share = (uint64_t{t.prr_delivered} * ssthresh + t.recover_fs - 1) / t.recover_fs;
        sndcnt = static_cast<int64_t>(share) - t.prr_out;
    } else {
        int64_t limit = std::max<int64_t>(int64_t{t.prr_delivered} - t.prr_out, delivered) + t.snd_mss;
        sndcnt = std::min<int64_t>(int64_t{ssthresh} - pipe, limit);
    }
    if (t.prr_out == 0)  // the fast retransmit goes at once (as Linux)
        sndcnt = std::max<int64_t>(sndcnt, t.snd_mss);
    t.cc.cwnd = pipe + static_cast<uint32_t>(std::max<int64_t>(sndcnt, 0));
}

// One record of the scoreboard goes out again.
void Engine::retransmit(Tcb& t, SentSegment& seg) {
    bool again = seg.has(SentSegment::kRetransmitted);
    Seq start = seg.start;
    uint32_t len = seg.payload();
    bool fin = seg.has(SentSegment::kFin);
    t.sb.retransmitted(seg, now_);
    t.rate.on_sent(seg, now_, false);
    if (t.undo_armed)
        ++t.undo_retrans;
    ++counters_.RetransSegs;
    if (again)
        ++counters_.TCPLostRetransmit;
    if (t.in_recovery) {
        ++counters_.TCPFastRetrans;
        if (t.sack_ok)
            ++counters_.TCPSACKRetrans;
    } else if (t.rto_recovery) {
        ++counters_.TCPSlowStartRetrans;
    }
    send_segment(t, start, len, kAck | (fin ? kFin : 0) | (len > 0 ? kPsh : 0));
    if (t.in_recovery)
        t.prr_out += len + (fin ? 1 : 0);
}

// RFC 6675 NextSeg rule 1: lost segments go first, while the window has
// room for them (one always goes when nothing is in flight).
void Engine::send_lost(Tcb& t) {
    while (SentSegment* seg = t.sb.next_lost()) {
        uint32_t pipe = t.sb.pipe();
        if (pipe > 0 && pipe + seg->length() > t.cc.cwnd)
            return;
        retransmit(t, *seg);
    }
}

// With data outstanding, one timer: RACK's reordering timer when it asked
// for one, else the loss probe or RTO (restarted when new data was
// acknowledged, RFC 6298 (5.3)); with nothing outstanding, the idle timer.
void Engine::arm_sending_timer(Tcb& t, bool restart) {
    if (t.snd_una == t.snd_max) {
        t.rack_timeout_us = 0;
        arm_idle_timer(t);
        return;
    }
    if (t.rack_timeout_us != 0) {
        arm_timer(t, TimerKind::Reorder, t.rack_timeout_us);
        return;
    }
    if (restart || (t.timer_kind != TimerKind::Retransmit && t.timer_kind != TimerKind::LossProbe))
        arm_retransmit_timer(t);
}

// RFC 8985 §6.3: the reordering window of a segment ran out.
void Engine::on_reorder_timer(Tcb& t) {
    uint64_t reo = t.rack.reo_wnd(t.in_recovery || t.rto_recovery, t.sb.sacked_segments(),
                                  t.rtt.min_rtt_us(), t.rtt.srtt_us());
    t.rack_timeout_us = t.rack.detect_loss(t.sb, now_, reo);
    if (!t.in_recovery && !t.rto_recovery && t.sb.has_unrepaired_loss())
        start_recovery(t);
    else if (t.in_recovery && !t.cc_ops->sets_window_on_every_ack())
        prr_update(t, 0);
    arm_sending_timer(t, true);
    mark_dirty(t);
}

// RFC 8985 §7.3: a probe draws an ACK whose SACK blocks show a lost tail,
// instead of waiting for the RTO: new data if the windows allow, else the
// last segment again.
void Engine::send_loss_probe(Tcb& t) {
    t.probe_sent = true;
    t.tlp_high = t.snd_max;
    ++counters_.TCPLossProbes;
    uint32_t flight = static_cast<uint32_t>(t.snd_max - t.snd_una);
    uint32_t unsent = t.sendq.bytes > flight ? t.sendq.bytes - flight : 0;
    if (unsent > 0 && t.snd_wnd > flight) {
        uint32_t len = std::min({unsent, t.snd_wnd - flight, effective_mss(t)});
        bool fin = t.fin_queued && t.snd_nxt + len == t.fin_seq;
        send_segment(t, t.snd_nxt, len, kAck | kPsh | (fin ? kFin : 0));
        t.snd_nxt += len + (fin ? 1 : 0);
    } else {
        for (uint32_t i = t.sb.size(); i-- > 0;) {
            SentSegment& seg = t.sb.at(i);
            if (!seg.has(SentSegment::kSacked)) {
                retransmit(t, seg);
                break;
            }
        }
    }
    arm_timer(t, TimerKind::Retransmit, retransmit_delay(t));
}

// RFC 6298 (5.4)-(5.6) and RFC 5681 (4): after an RTO everything not
// SACKed is presumed lost and resent in order from a window of one
// segment, in slow start; the SACK information is kept (as Linux).
void Engine::start_rto_recovery(Tcb& t) {
    uint32_t flight = static_cast<uint32_t>(t.snd_max - t.snd_una);
    if (!t.rto_recovery) {  // a second expiry does not lower ssthresh again
        congestion::on_timeout(*t.cc_ops, t.cc, flight, now_);
        t.undo_armed = true;
        t.undo_marker = t.snd_una;
        t.undo_retrans = 0;
    } else {
        t.cc.cwnd = t.snd_mss;
    }
    t.in_recovery = false;
    t.rto_recovery = true;
    t.recover = t.snd_max;
    t.dupacks = 0;
    t.rack_timeout_us = 0;
    t.sb.mark_all_lost();
}

}  // namespace tcpterm::tcp
