// ECN (RFC 3168 §6.1): the receiver echoes CE marks in ECE until the
// sender's CWR; the sender reduces its window once per window of data on
// ECE and marks its new data ECT(0).
#include <algorithm>

#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

// RFC 3168 §6.1.3, receiver side: a CE mark is echoed in ECE on every ACK
// until the peer's CWR says it has reduced its window. A CWR that is itself
// marked starts the echo again.
void Engine::ecn_receiver(Tcb& t, const Segment& s) {
    if (s.has(kCwr))
        t.ece_pending = false;
    if (s.ip_ecn == kEcnCe) {
        ++counters_.InCEPkts;
        t.ece_pending = true;
        t.ack_now = true;  // tell the sender soon
        mark_dirty(t);
    }
}

// RFC 3168 §6.1.2, sender side: ECE halves the window as a loss would, once
// per window of data and not during loss recovery (which has reduced it
// already). Runs after the ACK's own processing, so that the ACK does not
// grow the window it has just cut. flight is what was out before the ACK.
void Engine::ecn_echo_received(Tcb& t, uint32_t flight) {
    // Until SND.UNA passes the reduction point, ECE may still echo the same
    // event: the receiver stops only once our CWR segment (sent at or after
    // that point) arrives.
    if (t.in_recovery || t.snd_una <= t.ecn_recover)
        return;
    t.cwr_pending = true;
    t.ecn_recover = t.snd_max;
    ++counters_.TCPECNCwndReduced;
    if (t.cc_ops->sets_window_on_every_ack()) {
        // BBR: its model sets the window from what is delivered and would
        // ignore the mark (Linux's BBR v1 does). An AQM's mark is
        // congestion, so the window is halved once per window of data as
        // RFC 3168 asks; the model regrows it by what each ACK delivers.
        t.cc.cwnd = std::max<uint32_t>(t.cc.cwnd / 2, 4u * t.snd_mss);
        return;
    }
    congestion::on_congestion(*t.cc_ops, t.cc, flight, now_);
    t.cc.cwnd = t.cc.ssthresh;
}

// RFC 3168 §6.1: the TCP flags and IP codepoint of a segment on a connection
// that uses (or, in SYN_SENT, asks for) ECN. Adds ECE/CWR to flags; returns
// the ECN field for the IPv4 header.
uint8_t Engine::ecn_marking(Tcb& t, Seq seq, uint32_t len, uint8_t& flags) {
    if (flags & kSyn) {
        if (seq < t.snd_max) {  // a retransmitted SYN or SYN-ACK: perhaps ECN is
            t.ecn_ok = false;   // what a middlebox drops; go on without (§6.1.1.1)
            return kNotEct;
        }
        flags |= (flags & kAck) ? kEce : (kEce | kCwr);  // ECN-setup SYN-ACK / SYN
        return kNotEct;         // never ECT on a SYN or SYN-ACK (§6.1.1)
    }
    if (flags & kRst)
        return kNotEct;
    if (t.ece_pending)
        flags |= kEce;          // until the peer says CWR (§6.1.3)
    // New data only: not pure ACKs, window probes or retransmissions (§6.1.5, §6.1.6).
    if (len == 0 || seq < t.snd_max)
        return kNotEct;
    if (t.cwr_pending) {
        flags |= kCwr;
        t.cwr_pending = false;
    }
    return kEct0;
}

}  // namespace tcpterm::tcp
