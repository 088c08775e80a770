// Stopping the appliance (SIGINT/SIGTERM): before the port goes down every
// peer hears that its connection has ended, as when a Linux process dies
// holding sockets, instead of being left ESTABLISHED with a dead address.
// Per connection:
//
//   TIME_WAIT entry        dropped: the peer has finished already
//   SYN_SENT               dropped, nothing sent (close() in SYN_SENT,
//                          RFC 9293 §3.10.4; Linux sends nothing either)
//   unread received data   RST, TCPAbortOnClose (RFC 1122 4.2.2.13, as
//                          Linux's tcp_close)
//   service finished       FIN (re)sent, TCPFinOnShutdown: our FIN is queued
//                          (FIN_WAIT_1/2, CLOSING, LAST_ACK), every byte
//                          before it is acknowledged, and the service reads
//                          no more (it closed, or the peer sent its FIN)
//   anything else          RST, TCPAbortOnShutdown: SYN_RECEIVED, ESTABLISHED
//                          and CLOSE_WAIT (the accept queue too), a
//                          half-closed service still reading, data not yet
//                          sent or not yet acknowledged
//
// Linux keeps an orphaned socket's unsent data and sends it before its FIN;
// a stopping appliance cannot go on sending, so a stream it cannot finish is
// reset rather than ended with a FIN that would pass it off as complete.
//
// The RST goes at SND.MAX (send_rst). Should data still in flight be lost,
// the peer answers it with a challenge ACK (RFC 5961 §3.2); the worker keeps
// polling a moment after this, and the closed port answers that ACK with
// <SEQ=SEG.ACK><CTL=RST>, the exact sequence number the peer wants.
#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

bool Engine::shutdown_all(uint64_t now_us, uint32_t budget) {
    now_ = now_us;
    stopping_ = true;
    // By slot: the pool never moves, no slot below the cursor is taken again
    // (nothing is allocated once stopping), and a TCB a service's on_closed
    // ends (a proxy's partner) is released already when the walk reaches it.
    for (; shutdown_next_ < tcbs_.size() && budget > 0; ++shutdown_next_) {
        Tcb& t = tcbs_[shutdown_next_];
        if (t.state != State::Closed && !t.released) {
            shutdown_connection(t);
            --budget;
        }
    }
    bool done = shutdown_next_ == tcbs_.size();
    if (done)  // last: connections ended in between may have entered TIME_WAIT
        drop_time_wait();
    flush(now_us);
    return done;
}

// Nothing left for the peer but our FIN: the service will neither send nor
// read again, and every byte before the FIN is acknowledged.
bool Engine::service_finished(const Tcb& t) const {
    return t.fin_queued && t.sendq.bytes == 0 && (t.app_closed || t.peer_fin);
}

void Engine::shutdown_connection(Tcb& t) {
    if (t.state == State::SynSent || t.state == State::SynReceived)
        ++counters_.AttemptFails;
    else if (t.state == State::Established || t.state == State::CloseWait)
        ++counters_.EstabResets;
    if (t.state == State::SynSent) {
        close_connection(t, CloseReason::Aborted);
        return;
    }
    CloseReason reason = CloseReason::Aborted;
    if (t.recvq.bytes > 0) {
        ++counters_.TCPAbortOnClose;
        send_rst(t);
    } else if (service_finished(t)) {
        ++counters_.TCPFinOnShutdown;
        send_segment(t, t.fin_seq, 0, kFin | kAck);
        reason = CloseReason::Normal;
    } else {
        ++counters_.TCPAbortOnShutdown;
        send_rst(t);
    }
    // Last: the segment is built from the TCB before the service hears
    // on_closed and the TCB leaves the table.
    close_connection(t, reason);
}

void Engine::drop_time_wait() {
    for (TimeWaitEntry* tw : time_wait_.entries()) {
        ++counters_.TCPTimeWaitOnShutdown;
        end_time_wait(*tw);
    }
}

}  // namespace tcpterm::tcp
