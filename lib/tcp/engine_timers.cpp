// Timer expiry: retransmission (RFC 6298 §5), persist (RFC 9293 §3.8.6.1)
// and the end of TIME_WAIT.
#include <algorithm>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::tcp {

void Engine::run_timers(uint64_t now_us) {
    now_ = now_us;
    wheel_.advance(now_us, [this](TimerNode& node) {
        static_assert(offsetof(Tcb, timer) == 0);
        static_assert(offsetof(TimeWaitEntry, timer) == 0);
        if (node.owner == TimeWaitTable::kTimerOwner) {
            ++counters_.TCPTimeWaitExpired;
            end_time_wait(*reinterpret_cast<TimeWaitEntry*>(&node));
        } else if (node.owner == kDelackTimerOwner) {
            on_delack_timer(*reinterpret_cast<Tcb*>(reinterpret_cast<char*>(&node) -
                                                    offsetof(Tcb, delack_timer)));
        } else {
            on_timer(*reinterpret_cast<Tcb*>(&node));
        }
    });
}

void Engine::on_timer(Tcb& t) {
    TimerKind kind = t.timer_kind;
    t.timer_kind = TimerKind::None;
    switch (kind) {
    case TimerKind::LossProbe:
        send_loss_probe(t);
        break;
    case TimerKind::Reorder:
        on_reorder_timer(t);
        break;
    case TimerKind::Keepalive:
        on_keepalive_timer(t);
        break;
    case TimerKind::Retransmit:
        on_retransmit_timeout(t);
        break;
    case TimerKind::FinWait2:
        ++counters_.TCPFinWait2Timeouts;
        close_connection(t, CloseReason::Timeout);
        break;
    case TimerKind::Persist:
        on_persist_timer(t);
        break;
    case TimerKind::None:
        break;
    }
}

// With nothing outstanding, one timer watches the peer's silence: the next
// keepalive probe (RFC 1122 4.2.3.6) and the listener's idle timeout,
// whichever comes first.
void Engine::arm_idle_timer(Tcb& t) {
    uint64_t due = UINT64_MAX;  // of silence since last_rx_us
    if (config_.keepalive_idle_us != 0 &&
        (t.state == State::Established || t.state == State::CloseWait))
        due = config_.keepalive_idle_us + uint64_t{t.keepalive_probes} * config_.keepalive_interval_us;
    if (uint64_t limit = idle_limit(t))
        due = std::min(due, limit);
    if (due == UINT64_MAX) {
        cancel_timer(t);
        return;
    }
    uint64_t idle = now_ - t.last_rx_us;
    arm_timer(t, TimerKind::Keepalive, idle < due ? due - idle : config_.timer_tick_us);
}

// Lazy, as gVisor's: segments only stamp last_rx_us; the timer checks the
// real idle time when it fires and re-arms if the peer spoke meanwhile.
void Engine::on_keepalive_timer(Tcb& t) {
    if (t.snd_max != t.snd_una)
        return;  // data is outstanding: the retransmission timer watches the peer
    uint64_t idle = now_ - t.last_rx_us;
    if (uint64_t limit = idle_limit(t); limit != 0 && idle >= limit) {
        if (t.idle_timeout_us != 0 && t.service && t.accepted && !t.app_closed) {
            t.idle_timeout_us = 0;  // once: the service ends the connection its way
            t.service->on_idle_timeout(*this, t);
            return;
        }
        ++counters_.TCPAbortOnIdle;  // HAProxy's "timeout client"
        send_rst(t);
        close_connection(t, CloseReason::Timeout);
        return;
    }
    uint64_t due = config_.keepalive_idle_us + uint64_t{t.keepalive_probes} * config_.keepalive_interval_us;
    if (config_.keepalive_idle_us != 0 && idle >= due &&
        (t.state == State::Established || t.state == State::CloseWait)) {
        if (t.keepalive_probes >= config_.keepalive_probes) {
            ++counters_.TCPAbortOnKeepalive;
            send_rst(t);
            close_connection(t, CloseReason::Timeout);
            return;
        }
        // A segment below the window makes a live peer answer with an ACK.
        ++t.keepalive_probes;
        ++counters_.TCPKeepAlive;
        send_segment(t, t.snd_una - 1, 0, kAck);
    }
    arm_idle_timer(t);
}

// RFC 9293 §3.8.6.1: probe a zero window for as long as the receiver
// answers. What ends it, as in Linux's tcp_probe_timer: a user timeout
// counted from when the window closed, probes nobody answers (tcp.retries),
// or an orphan's retry budget (tcp.orphan_retries), so that a peer that
// never reads cannot pin a connection its service has given up on.
void Engine::on_persist_timer(Tcb& t) {
    if (t.snd_wnd > 0) {
        mark_dirty(t);  // the window opened meanwhile
        return;
    }
    if (t.user_timeout_us != 0 && now_ - t.persist_since >= t.user_timeout_us) {
        ++counters_.TCPAbortOnUserTimeout;
        send_rst(t);
        close_connection(t, CloseReason::Timeout);
        return;
    }
    // keepalive_probes: probes since the peer last answered; retries:
    // probes since the window closed, answered or not.
    if (t.keepalive_probes >= config_.data_retries || orphan_gave_up(t, t.retries + 1u)) {
        ++counters_.TCPAbortOnTimeout;
        send_rst(t);
        close_connection(t, CloseReason::Timeout);
        return;
    }
    // A probe below the window makes the peer answer with its window.
    ++counters_.TCPWinProbe;
    ++t.keepalive_probes;  // reset by any acceptable segment: the answer
    send_segment(t, t.snd_una - 1, 0, kAck);
    t.retries = static_cast<uint8_t>(std::min<int>(t.retries + 1, 30));
    arm_timer(t, TimerKind::Persist,
              std::min(t.rtt.rto_us() << std::min<int>(t.retries, 10), config_.rto_max_us));
}

uint64_t Engine::retransmit_delay(const Tcb& t) const {
    if (t.user_timeout_us == 0)
        return t.rtt.rto_us();
    uint64_t deadline = t.stall_since + t.user_timeout_us;
    uint64_t left = deadline > now_ ? deadline - now_ : 0;
    return std::max<uint64_t>(std::min(t.rtt.rto_us(), left), config_.timer_tick_us);
}

// The SYN's timer: the RTO, or what is left of the connect's own timeout
// when that ends first (the timer then fires at the deadline and gives up).
uint64_t Engine::syn_retransmit_delay(const Tcb& t) const {
    if (t.connect_deadline == 0)
        return t.rtt.rto_us();
    uint64_t left = t.connect_deadline > now_ ? t.connect_deadline - now_ : 0;
    return std::max<uint64_t>(std::min(t.rtt.rto_us(), left), config_.timer_tick_us);
}

void Engine::arm_retransmit_timer(Tcb& t) {
    // RFC 8985 §7.2: PTO = 2 * SRTT, only with an RTT sample, outside
    // recovery, once per episode, and never later than the RTO itself.
    if (config_.tail_loss_probe && t.rtt.has_sample() && !t.in_recovery && !t.rto_recovery &&
        !t.probe_sent && t.state != State::SynReceived) {
        uint64_t pto = std::max(2 * t.rtt.srtt_us(), config_.tlp_min_us);
        if (pto < retransmit_delay(t)) {
            arm_timer(t, TimerKind::LossProbe, pto);
            return;
        }
    }
    arm_timer(t, TimerKind::Retransmit, retransmit_delay(t));
}

void Engine::on_retransmit_timeout(Tcb& t) {
    ++counters_.TCPTimeouts;
    t.rtt.back_off(config_.rto_max_us);  // RFC 6298 (5.5)
    if (t.state == State::SynSent) {
        bool deadline_passed = t.connect_deadline != 0 && now_ >= t.connect_deadline;
        if (deadline_passed || ++t.retries > config_.syn_retries) {
            ++counters_.AttemptFails;
            if (deadline_passed)
                ++counters_.TCPConnectTimeouts;
            close_connection(t, CloseReason::Timeout);  // the connect timed out
            return;
        }
        ++counters_.RetransSegs;
        send_segment(t, t.iss, 0, kSyn);
        arm_timer(t, TimerKind::Retransmit, syn_retransmit_delay(t));
        return;
    }
    if (t.state == State::SynReceived) {
        if (++t.retries > config_.synack_retries) {
            ++counters_.TCPSynAckRetransFail;
            ++counters_.AttemptFails;
            close_connection(t, CloseReason::Timeout);
            return;
        }
        ++counters_.RetransSegs;
        send_syn_ack(t);
        arm_timer(t, TimerKind::Retransmit, t.rtt.rto_us());
        return;
    }
    if (t.user_timeout_us != 0 && now_ - t.stall_since >= t.user_timeout_us) {
        ++counters_.TCPAbortOnUserTimeout;
        send_rst(t);
        close_connection(t, CloseReason::Timeout);
        return;
    }
    if (++t.retries > config_.data_retries || orphan_gave_up(t, t.retries)) {
        ++counters_.TCPAbortOnTimeout;
        send_rst(t);
        close_connection(t, CloseReason::Timeout);
        return;
    }
    start_rto_recovery(t);
    output(t);
    if (t.snd_max > t.snd_una)
        arm_timer(t, TimerKind::Retransmit, retransmit_delay(t));
}

}  // namespace tcpterm::tcp
