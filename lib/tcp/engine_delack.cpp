// Delayed ACKs (RFC 9293 §3.8.6.3, RFC 5681 §4.2, RFC 1122 4.2.3.2): in-order
// data is acknowledged for every second full-sized segment, or once the
// delayed-ACK timer (tcp.delayed_ack_ms) runs out, whichever comes first;
// an ACK that leaves with our own data or a window update serves as well.
// Everything that tells the sender about loss goes at once: out-of-order
// segments, duplicates, a segment that fills a hole (RFC 5681 §4.2), and
// the first segments of a connection (quick ACKs, as Linux's quickack
// mode, so that slow start is not held back by our timer). While anything
// is out of order, every segment gets an ACK of its own (ack_at_once),
// except those SACK compression folds into the next (ack_out_of_order).
#include <algorithm>

#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

namespace {
// Linux's TCP_MAX_QUICKACKS.
constexpr uint8_t kQuickAcks = 16;
// Linux's TCP_FASTRETRANS_THRESH.
constexpr uint8_t kDupAckThreshold = 3;
}  // namespace

void Engine::start_quick_acks(Tcb& t) {
    t.quick_acks = kQuickAcks;
}

// In-order data of len bytes was taken: decide when it is acknowledged.
void Engine::owe_ack(Tcb& t, uint32_t len, bool urgent) {
    t.rcv_mss = static_cast<uint16_t>(std::clamp<uint32_t>(len, t.rcv_mss, config_.mss));
    t.rcv_unacked += len;
    mark_dirty(t);
    if (urgent || config_.delayed_ack_us == 0 || t.quick_acks > 0 ||
        t.rcv_unacked >= 2u * t.rcv_mss) {
        t.ack_now = true;
        return;
    }
    if (!t.delack_timer.armed())
        wheel_.schedule(t.delack_timer, now_ + config_.delayed_ack_us);
}

// RFC 5681 §4.2: "an immediate duplicate ACK when an out-of-order segment
// arrives": one per segment, sent before the next segment of the burst is
// taken, and the same while a hole remains (Linux's __tcp_ack_snd_check with
// an out-of-order queue). One ACK carries at most 3 or 4 SACK blocks: one
// ACK for a burst that opened several runs would leave runs unreported, and
// the sender's RACK, seeing later data SACKed, would retransmit them. A
// sender without SACK counts these as its duplicate ACKs.
void Engine::ack_at_once(Tcb& t) {
    send_segment(t, t.snd_max, 0, kAck);
    ++counters_.TCPOFOAcks;
}

// A segment beyond a hole was held. SACK compression (Linux's
// tcp_comp_sack_nr, tcp.comp_sack_nr): the first three duplicate ACKs for
// each RCV.NXT go at once, for a sender that counts them; after them, a
// segment that only grew the newest run waits for the ACK at the end of the
// burst, which reports the grown run as its first block, up to comp_sack_nr
// in a row. Anything else (a new run, runs joined, a duplicate) goes at
// once, so no run is left unreported. Linux bounds its compression by time
// (rtt/20, at most 1 ms); ours ends with the burst. Why: each ACK costs the
// sender a pass through its stack, and on a virtual port the sender's ACK
// processing and the data it releases can run on our own core. A 200 MB
// discard at 1 % loss: median 1.66 s against 2.54 s with an ACK per segment
// (Linux 1.47); at 5 % no faster (3.89 against 3.57 s) and three times the
// client's RTOs: fewer ACKs leave a flight's tail more often with none
// (bench/README.md, "SACK compression").
void Engine::ack_out_of_order(Tcb& t) {
    if (config_.comp_sack_nr == 0 || !t.sack_ok || t.dsack_pending)
        return ack_at_once(t);
    if (t.ooo_ack_rcv_nxt != t.rcv_nxt) {
        t.ooo_ack_rcv_nxt = t.rcv_nxt;
        t.ooo_dupacks = 0;
    }
    if (t.ooo_dupacks >= kDupAckThreshold && t.ooo.last_grew_recent() &&
        t.ooo_compressed < config_.comp_sack_nr) {
        ++t.ooo_compressed;
        ++counters_.TCPAckCompressed;
        t.ack_now = true;
        mark_dirty(t);
        return;
    }
    if (t.ooo_dupacks < kDupAckThreshold)
        ++t.ooo_dupacks;
    ack_at_once(t);
}

// [left, right) arrived twice: the next ACK carries a D-SACK block for it
// (RFC 2883 §4), so that the sender may undo a needless retransmission. One
// owed for an earlier duplicate goes first, in an ACK of its own.
void Engine::owe_dsack(Tcb& t, Seq left, Seq right) {
    if (t.dsack_pending)
        ack_at_once(t);
    t.dsack = SackBlock{left.v, right.v};
    t.dsack_pending = true;
    ++counters_.TCPDSACKOldSent;
    t.ack_now = true;
    mark_dirty(t);
}

// An ACK left (on data, a window update or a pure ACK): nothing is owed.
void Engine::ack_sent(Tcb& t) {
    if (t.rcv_unacked > 0 && t.quick_acks > 0)
        --t.quick_acks;
    t.rcv_unacked = 0;
    t.ooo_compressed = 0;
    t.ack_now = false;
    wheel_.cancel(t.delack_timer);
}

void Engine::on_delack_timer(Tcb& t) {
    if (t.rcv_unacked == 0)
        return;
    ++counters_.DelayedACKs;
    t.ack_now = true;
    mark_dirty(t);
}

}  // namespace tcpterm::tcp
