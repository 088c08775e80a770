// Delayed ACKs (RFC 9293 §3.8.6.3, RFC 5681 §4.2, RFC 1122 4.2.3.2): in-order
// data is acknowledged for every second full-sized segment, or once the
// delayed-ACK timer (tcp.delayed_ack_ms) runs out, whichever comes first;
// an ACK that leaves with our own data or a window update serves as well.
// Everything that tells the sender about loss goes at once: out-of-order
// segments, duplicates, a segment that fills a hole (RFC 5681 §4.2), and
// the first segments of a connection (quick ACKs, as Linux's quickack
// mode, so that slow start is not held back by our timer). While anything
// is out of order, every segment gets an ACK of its own (ack_at_once).
#include <algorithm>

#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

namespace {
// Linux's TCP_MAX_QUICKACKS.
constexpr uint8_t kQuickAcks = 16;
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
// the sender's RACK, seeing later data SACKed, would retransmit them; and
// when 5 % of ACKs are lost, fewer ACKs left a window-limited sender with
// nothing to go on but its retransmission timer (a 200 MB transfer at 5 %:
// 7-26 client RTOs with an ACK per burst or per run, 0-3 with one per
// segment). A sender without SACK counts these as its duplicate ACKs.
void Engine::ack_at_once(Tcb& t) {
    send_segment(t, t.snd_max, 0, kAck);
    ++counters_.TCPOFOAcks;
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
