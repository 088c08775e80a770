#include "app/tcpgen/flood.hpp"

#include <algorithm>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace tcpterm::tcpgen {

namespace {
// Bucket depth: after a stall (the lcore descheduled) the flood catches up
// by at most 10 ms worth of packets (at least 64), so the rate stays smooth.
constexpr uint64_t kBucketMinPackets = 64;
}  // namespace

uint16_t TxQueue::send(rte_mbuf** pkts, uint16_t n) const {
    if (!lock)
        return rte_eth_tx_burst(port, queue, pkts, n);
    rte_spinlock_lock(lock);
    uint16_t sent = rte_eth_tx_burst(port, queue, pkts, n);
    rte_spinlock_unlock(lock);
    return sent;
}

Flood::Flood(const Options& o, const SynBuilder& builder, rte_mempool* pool, TxQueue tx, uint64_t hz)
    : builder_(builder),
      pool_(pool),
      tx_(tx),
      hz_(hz),
      rate_(o.flood_rate),
      // Bursts of about 100 us worth of packets (1 to 32): at high rates a
      // burst per packet would cost a PMD call (a syscall on af_packet) each
      // and fall short of the rate; at low rates one packet goes at a time.
      min_burst_(std::clamp<uint64_t>(o.flood_rate / 10000, 1, kBurst)),
      bucket_(std::max<uint64_t>(kBucketMinPackets, o.flood_rate / 100)),
      unpaced_(o.flood_max),
      rng_{rte_rdtsc() ^ 0x5eed0f100dull} {}

Flood::~Flood() {
    if (pending_n_ > pending_off_)
        rte_pktmbuf_free_bulk(pending_ + pending_off_, pending_n_ - pending_off_);
}

void Flood::start(uint64_t now_tsc) {
    last_tsc_ = now_tsc;
    credit_ = 0;
    stats_.start_tsc.store(now_tsc, std::memory_order_relaxed);
}

void Flood::poll(uint64_t now_tsc) {
    if (pending_n_ == 0) {
        uint16_t want = kBurst;
        if (!unpaced_) {
            uint64_t elapsed = std::min(now_tsc - last_tsc_, hz_);  // no overflow after a stall
            last_tsc_ = now_tsc;
            credit_ = std::min(credit_ + elapsed * rate_, bucket_ * hz_);
            uint64_t ready = credit_ / hz_;
            if (ready < min_burst_)
                return;
            want = static_cast<uint16_t>(std::min<uint64_t>(kBurst, ready));
            credit_ -= want * hz_;
        }
        if (rte_pktmbuf_alloc_bulk(pool_, pending_, want) != 0) {
            add(stats_.alloc_failed, 1);
            return;
        }
        for (uint16_t i = 0; i < want; ++i)
            builder_.build(pending_[i], rng_);
        pending_n_ = want;
        pending_off_ = 0;
    }
    uint16_t sent = tx_.send(pending_ + pending_off_, pending_n_ - pending_off_);
    add(stats_.sent, sent);
    pending_off_ += sent;
    if (pending_off_ == pending_n_)
        pending_n_ = pending_off_ = 0;
    else
        add(stats_.tx_full, 1);  // the rest goes first next time
}

void Flood::finish(uint64_t now_tsc) {
    if (pending_n_ > pending_off_)
        rte_pktmbuf_free_bulk(pending_ + pending_off_, pending_n_ - pending_off_);
    pending_n_ = pending_off_ = 0;
    stats_.end_tsc.store(now_tsc, std::memory_order_relaxed);
}

}  // namespace tcpterm::tcpgen
