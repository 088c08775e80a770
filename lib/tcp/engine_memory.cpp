// Memory that no peer can hoard. Every mbuf a connection keeps in its
// receive, out-of-order or send queue is charged to it and to the worker:
// - per connection, received data is charged by the buffers it occupies,
//   not by its payload bytes (Linux's truesize), so 1-byte segments cost
//   what they really cost; in-order segments are coalesced into the tail
//   buffer (MbufQueue::append_to_tail) and the advertised window follows
//   the memory left, not only the bytes left;
// - per worker, the sum is held to three marks (Linux's tcp_mem): above
//   `mem_pressure` windows stop growing and out-of-order data is refused
//   until the sum falls below `mem_low`; at `mem_high` out-of-order queues go
//   first, then the connections holding the most are reset. `mem_high` is
//   set below the pool size, so the NIC can always refill its RX ring and
//   RSTs and ACKs keep getting in.
#include <algorithm>

#include <rte_mbuf.h>

#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

namespace {
// Below this a connection is never refused receive memory for being on a
// full worker: a small request still gets in while hoarders are reclaimed.
constexpr uint32_t kFairShareMbufs = 4;
// Largest holders reset per reclaim pass (one scan of the holders list).
constexpr size_t kReclaimBatch = 16;
}  // namespace

uint32_t Engine::rcv_mem(const Tcb& t) const {
    return (t.recvq.mbufs + t.ooo.segments()) * mbuf_truesize_;
}

// Reconciles the connection's charge with what its queues hold now, and the
// worker's pressure state with the new sum. Called wherever a queue changes.
void Engine::account(Tcb& t) {
    uint32_t held = t.recvq.mbufs + t.sendq.mbufs + t.ooo.segments();
    if (held == t.mem_mbufs)
        return;
    held_mbufs_ += held - t.mem_mbufs;  // modular: a decrease wraps back
    if (t.mem_mbufs == 0) {  // becomes a holder
        t.mem_prev = nullptr;
        t.mem_next = holders_;
        if (holders_)
            holders_->mem_prev = &t;
        holders_ = &t;
    } else if (held == 0) {  // no longer one
        (t.mem_prev ? t.mem_prev->mem_next : holders_) = t.mem_next;
        if (t.mem_next)
            t.mem_next->mem_prev = t.mem_prev;
        t.mem_prev = t.mem_next = nullptr;
    }
    t.mem_mbufs = held;
    counters_.TCPMemoryMbufs = held_mbufs_;
    if (!mem_pressure_ && config_.mem_pressure != 0 && held_mbufs_ >= config_.mem_pressure) {
        mem_pressure_ = true;
        pressure_since_ = now_;
        ++counters_.TCPMemoryPressures;
    } else if (mem_pressure_ && held_mbufs_ < config_.mem_low) {
        mem_pressure_ = false;
        counters_.TCPMemoryPressuresChrono += (now_ - pressure_since_) / 1000;
    }
}

// Whether one more received mbuf may be queued on t. Out-of-order data is
// the first to go: it is refused under pressure, and dropped to make room for
// in-order data (RFC 2018 §8 lets a receiver renege on what it SACKed).
bool Engine::rcv_mem_admits(Tcb& t, bool in_order) {
    const uint32_t limit = 2 * t.rcvbuf;
    bool worker_full = config_.mem_high != 0 && held_mbufs_ >= config_.mem_high &&
                       t.mem_mbufs >= kFairShareMbufs;
    if (!in_order)
        return !mem_pressure_ && !worker_full && rcv_mem(t) + mbuf_truesize_ <= limit;
    if ((worker_full || rcv_mem(t) + mbuf_truesize_ > limit) && !t.ooo.empty()) {
        t.ooo.clear();
        ++counters_.OfoPruned;
        account(t);
        worker_full = config_.mem_high != 0 && held_mbufs_ >= config_.mem_high &&
                      t.mem_mbufs >= kFairShareMbufs;
    }
    return !worker_full && rcv_mem(t) + mbuf_truesize_ <= limit;
}

// Bytes the peer may send beyond RCV.NXT: what the receive buffer has room
// for, and no more than the buffer memory left could hold at half
// efficiency (a full-sized segment fills ~2/3 of its mbuf). Under pressure
// the window opens by at most 4 segments (Linux's tcp_clamp_window).
uint32_t Engine::receive_space(const Tcb& t) const {
    uint32_t bytes = t.rcvbuf > t.recvq.bytes ? t.rcvbuf - t.recvq.bytes : 0;
    uint32_t limit = 2 * t.rcvbuf, used = rcv_mem(t);
    uint32_t memory = used < limit ? (limit - used) / 2 : 0;
    uint32_t space = std::min(bytes, memory);
    if (mem_pressure_)
        space = std::min<uint32_t>(space, 4u * config_.mss);
    return space;
}

// Linux's tcp_sndbuf_expand: twice the congestion window (at least what is
// in flight), so that the window, not the buffer, limits the sender; up to
// tcp.sndbuf_max, never under memory pressure.
void Engine::autotune_sndbuf(Tcb& t) {
    if (t.sndbuf >= config_.sndbuf_max || mem_pressure_)
        return;
    uint64_t flight = static_cast<uint32_t>(t.snd_max - t.snd_una);
    uint64_t want = 2 * std::max<uint64_t>(t.cc.cwnd, flight);
    if (want <= t.sndbuf)
        return;
    t.sndbuf = static_cast<uint32_t>(std::min<uint64_t>(want, config_.sndbuf_max));
    ++counters_.TCPSndBufGrown;
}

// Receive-buffer autotuning (Linux's tcp_rcv_space_adjust, "dynamic
// right-sizing"): once per round trip, a connection whose service read
// more than half its buffer in that time may be held back by its window;
// the buffer grows to twice what was read, up to tcp.rcvbuf_max, and never
// under memory pressure. The window scale we offer was chosen for the cap.
void Engine::autotune_rcvbuf(Tcb& t, uint32_t consumed) {
    if (t.rcvbuf >= config_.rcvbuf_max)
        return;
    t.rcv_copied += consumed;
    uint64_t rtt = t.rtt.has_sample() ? t.rtt.srtt_us() : t.rcv_rtt_us;
    if (rtt == 0) {  // nothing measured yet: the first read starts the clock
        t.rcv_space_since = t.rcv_space_since ? t.rcv_space_since : now_;
        rtt = config_.timer_tick_us;
    }
    if (now_ - t.rcv_space_since < rtt)
        return;
    if (2 * uint64_t{t.rcv_copied} > t.rcvbuf && !mem_pressure_) {
        t.rcvbuf = static_cast<uint32_t>(std::min<uint64_t>(2 * uint64_t{t.rcv_copied}, config_.rcvbuf_max));
        ++counters_.TCPRcvBufGrown;
    }
    t.rcv_copied = 0;
    t.rcv_space_since = now_;
}

// At the hard limit (once per burst, from flush): out-of-order queues first,
// then reset the connections that hold the most, until the worker is back
// below the pressure mark.
void Engine::reclaim_memory() {
    if (config_.mem_high == 0 || held_mbufs_ < config_.mem_high)
        return;
    ++counters_.PruneCalled;
    for (Tcb* t = holders_; t && held_mbufs_ >= config_.mem_pressure;) {
        Tcb* next = t->mem_next;  // account() may unlink t
        if (!t->ooo.empty()) {
            t->ooo.clear();
            ++counters_.OfoPruned;
            account(*t);
        }
        t = next;
    }
    while (held_mbufs_ >= config_.mem_pressure && holders_) {
        // One scan keeps the kReclaimBatch largest holders, largest first.
        Tcb* largest[kReclaimBatch];
        size_t n = 0;
        for (Tcb* t = holders_; t; t = t->mem_next) {
            size_t i = n < kReclaimBatch ? n++ : kReclaimBatch;
            if (i == kReclaimBatch && t->mem_mbufs <= largest[kReclaimBatch - 1]->mem_mbufs)
                continue;
            if (i == kReclaimBatch)
                --i;
            for (; i > 0 && largest[i - 1]->mem_mbufs < t->mem_mbufs; --i)
                largest[i] = largest[i - 1];
            largest[i] = t;
        }
        for (size_t i = 0; i < n && held_mbufs_ >= config_.mem_pressure; ++i) {
            ++counters_.TCPAbortOnMemory;
            largest[i]->app_closed = true;
            send_rst(*largest[i]);
            close_connection(*largest[i], CloseReason::Aborted);  // release() uncharges it
        }
    }
}

}  // namespace tcpterm::tcp
