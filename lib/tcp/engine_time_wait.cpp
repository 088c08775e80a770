// TIME_WAIT as a compact entry (see time_wait.hpp): entering it, answering
// what arrives in it (RFC 9293 §3.10.7.4, RFC 1337, RFC 6191), ending it.
#include <rte_mbuf.h>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::tcp {

namespace {
constexpr uint32_t kJunkAckIntervalMs = 500;  // as Linux's tcp_invalid_ratelimit
}

void Engine::enter_time_wait(Tcb& t) {
    ++counters_.TCPTimeWaitEntered;
    // The final ACK of the peer's FIN goes out now: the TCB is gone after this.
    if (t.ack_now)
        send_segment(t, t.snd_max, 0, kAck);
    // What a late segment of this incarnation needs, taken before the TCB goes.
    TimeWaitEntry state;
    state.key = t.key;
    state.snd_nxt = t.snd_max;
    state.rcv_nxt = t.rcv_nxt;
    state.window = advertise_window(t);
    state.ts_ok = t.ts_ok;
    state.ts_recent = t.ts_recent;
    state.ts_offset = t.ts_offset;
    state.ts_recent_ms = static_cast<uint32_t>(t.ts_recent_stamp / 1000);
    state.ao = t.ao;
    state.ao_iss = t.iss;
    state.ao_irs = t.irs;
    state.ao_snd_ref = t.ao_snd_ref;
    state.ao_rcv_ref = t.ao_rcv_ref;
    state.ao_snd_sne = t.ao_snd_sne;
    state.ao_rcv_sne = t.ao_rcv_sne;
    set_state(t, State::TimeWait);
    close_connection(t, CloseReason::Normal);  // the service is done with it
    TimeWaitEntry* tw = time_wait_.insert(state);  // after the TCB left the table: no overlap
    if (!tw) {
        // As Linux when its TIME_WAIT buckets run out: close without it.
        ++counters_.TCPTimeWaitOverflow;
        return;
    }
    tuples_.add(flow_hash(state.key));
    ++counters_.CurrTimeWait;
    wheel_.schedule(tw->timer, now_ + 2 * config_.msl_us);
}

// Both FINs are through: the connection ends, in TIME_WAIT after an active
// close, else in CLOSED. Either way its TCB is released, and with it its
// receive queue: while the service still has bytes to read there (a proxy
// whose other side is not taking them yet), ending now would throw away the
// end of the peer's stream after the service was told nothing was lost (a
// Normal on_closed, which a proxy passes on as a FIN). So, as Linux keeps a
// socket's receive queue readable after its connection reached TIME_WAIT,
// the connection waits, its state already TIME_WAIT or LAST_ACK, until the
// service has read everything (consume; the end comes at the next flush) or
// closes. The service hears of the peer's FIN as in CLOSE_WAIT.
void Engine::end_connection(Tcb& t, bool time_wait) {
    if (t.recvq.bytes > 0 && t.accepted && t.service && !t.app_closed) {
        if (t.end_deferred)
            return;
        t.end_deferred = true;
        ++counters_.TCPEndDeferred;
        if (!time_wait)
            return;  // LAST_ACK: the service heard on_peer_shutdown in CLOSE_WAIT
        set_state(t, State::TimeWait);
        t.service->on_peer_shutdown(*this, t);  // may read, close, end it: t is not used after
        return;
    }
    t.end_deferred = false;
    if (time_wait)
        enter_time_wait(t);
    else
        close_connection(t, CloseReason::Normal);
}

void Engine::end_time_wait(TimeWaitEntry& tw) {
    wheel_.cancel(tw.timer);
    tuples_.remove(flow_hash(tw.key));
    time_wait_.erase(tw);
    --counters_.CurrTimeWait;
}

void Engine::send_time_wait_ack(TimeWaitEntry& tw) {
    tw.last_ack_ms = static_cast<uint32_t>(now_ / 1000);
    uint8_t options[12 + kAoOptionLen];
    size_t options_len = 0;
    if (tw.ts_ok) {
        TcpOptions o;
        o.has_timestamps = true;
        o.ts_val = static_cast<uint32_t>(now_ / 1000) + tw.ts_offset;
        o.ts_ecr = tw.ts_recent;
        options_len = write_data_options(options, o);
    }
    size_t ao_at = options_len;
    if (tw.ao)
        options_len += write_ao_option(options + options_len, tw.ao->send_id, tw.ao->recv_id);
    rte_mbuf* m = nullptr;
    if (!emit(tw.key, tw.snd_nxt, tw.rcv_nxt, kAck, tw.window, options, options_len, 0, &m))
        return;
    if (tw.ao)
        ao_sign_time_wait(tw, m, static_cast<uint16_t>(20 + ao_at));
    out_.send_datagram(m);
}

void Engine::time_wait_input(TimeWaitEntry& tw, Segment& s) {
    // RFC 5925: a keyed peer's segments count only when their MAC checks, so
    // a forged RST or SYN cannot end TIME_WAIT early. (A SYN that reuses the
    // tuple is checked again by its listener.)
    if (!ao_accept_time_wait(tw, s)) {
        rte_pktmbuf_free(s.m);  // counted by the check
        return;
    }
    if (s.has(kRst)) {
        if (config_.rfc1337) {  // RFC 1337: a RST must not cut TIME_WAIT short
            drop(s, &Counters::TCPTimeWaitRstIgnored);
            return;
        }
        rte_pktmbuf_free(s.m);
        if (s.seq == tw.rcv_nxt)  // otherwise RFC 9293: an acceptable RST closes
            end_time_wait(tw);
        return;
    }
    if (s.has(kSyn) && !s.has(kAck)) {
        // A new incarnation may reuse the tuple when it cannot be confused
        // with the old one (RFC 6191 §2): a newer timestamp, or an equal one
        // with a higher sequence number; without timestamps, a sequence
        // number beyond the old (RFC 9293 §3.6.1).
        bool newer;
        if (tw.ts_ok && s.opts.has_timestamps) {
            int32_t age = static_cast<int32_t>(s.opts.ts_val - tw.ts_recent);
            newer = age > 0 || (age == 0 && s.seq > tw.rcv_nxt);
        } else {
            newer = s.seq > tw.rcv_nxt;
        }
        Listener* l = newer && !stopping_ ? find_listener(s.key.laddr, s.key.lport) : nullptr;
        if (l) {
            ++counters_.TWRecycled;
            Seq old_snd_nxt = tw.snd_nxt;
            end_time_wait(tw);
            listen_input(*l, s, &old_snd_nxt);
            return;
        }
        // RFC 6191 §2: a SYN that is not newer may belong to the old
        // incarnation: drop it silently (an ACK would tell an off-path
        // prober that the tuple is in TIME_WAIT).
        drop(s, &Counters::TCPTimeWaitSynDropped);
        return;
    }
    bool fin = s.has(kFin);
    rte_pktmbuf_free(s.m);
    if (fin) {  // our last ACK was lost: repeat it and wait 2MSL again
        wheel_.schedule(tw.timer, now_ + 2 * config_.msl_us);
        send_time_wait_ack(tw);
        return;
    }
    // Anything else is a stray from the old connection: ACK it, but sparingly
    // so a flood of junk cannot make us a reflector.
    uint32_t now_ms = static_cast<uint32_t>(now_ / 1000);
    if (now_ms - tw.last_ack_ms >= kJunkAckIntervalMs)
        send_time_wait_ack(tw);
}

}  // namespace tcpterm::tcp
