// Out-of-order segments held until the hole before them fills (RFC 9293
// §3.10.7.4 "segment text": segments beyond RCV.NXT may be kept), and the
// SACK blocks that describe them (RFC 2018 §4). Payload stays in the received
// mbufs; each mbuf's hash.usr holds the sequence number of its first byte.
#pragma once

#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

#include "lib/tcp/mbuf_queue.hpp"
#include "lib/tcp/options.hpp"
#include "lib/tcp/seq.hpp"

namespace tcpterm::tcp {

class ReassemblyQueue {
public:
    // Segments kept at most. What a connection may hold is bounded by its
    // receive memory (engine_memory.cpp: 2 * rcvbuf of buffers); this bound
    // only matters to a peer that sends tiny segments. It must cover a whole
    // window of full-sized segments (tcp.rcvbuf_max 4 MiB / 1448 = 2,897): a
    // hole at the front of a flight must not cost the segments behind it,
    // or the sender, seeing nothing SACKed above them, can only recover them
    // by timeout.
    static constexpr uint32_t kMaxSegments = 4096;
    // Runs (contiguous stretches between holes) kept at most: an arrival
    // that would open one more is refused. 5 % loss over a 4 MiB window
    // leaves about 150; a peer spacing out tiny segments to make many pays
    // for each one a search and a shift of this array, never a walk of
    // the held segments.
    static constexpr uint32_t kMaxRuns = 1024;

    ReassemblyQueue() = default;
    // It owns mbufs: never copied. Moved only when empty (a TCB reset).
    ReassemblyQueue(const ReassemblyQueue&) = delete;
    ReassemblyQueue& operator=(const ReassemblyQueue&) = delete;
    ReassemblyQueue(ReassemblyQueue&&) = default;
    ReassemblyQueue& operator=(ReassemblyQueue&&) = default;

    bool empty() const { return runs_.empty(); }
    uint32_t bytes() const { return bytes_; }
    uint32_t segments() const { return count_; }
    uint32_t runs() const { return static_cast<uint32_t>(runs_.size()); }

    // Takes m (payload only, data_len bytes starting at seq). Parts already
    // held are trimmed away. Returns false, and frees m, when nothing of it
    // was new or the queue is full.
    bool insert(rte_mbuf* m, Seq seq);

    // Moves every segment that now starts at or before rcv_nxt into `into`,
    // trimming overlap; returns the new RCV.NXT.
    Seq drain_in_order(Seq rcv_nxt, MbufQueue& into);

    // RFC 2018 §4: the block holding the most recently received segment
    // first, then the most recently reported other blocks. Returns how many
    // were written. Constant time: the blocks are kept as segments arrive.
    uint8_t sack_blocks(SackBlock* out, uint8_t max) const;

    // The last insert only extended the most recent block at its right
    // edge (the run in progress grew): an ACK for it would tell the sender
    // nothing the next one will not (engine_delack.cpp, SACK compression).
    bool last_grew_recent() const { return last_grew_recent_; }

    void clear();

private:
    // A contiguous stretch of held bytes [left, right): its segments chained
    // through m->next from first to last, in order, without overlap. Runs
    // are sorted and never touch (a hole lies between any two), so the run
    // an arrival belongs to is found by binary search, as Linux finds it in
    // its out-of-order rbtree, instead of walking hundreds of mbufs.
    struct Run {
        Seq left, right;
        rte_mbuf* first;
        rte_mbuf* last;
    };
    using RunIter = std::vector<Run>::iterator;

    RunIter first_reaching(Seq s);  // the first run whose right edge >= s
    void free_run(const Run& r);
    void report(Seq left, Seq right);
    static Seq seq_of(const rte_mbuf* m) { return Seq(m->hash.usr); }
    static Seq end_of(const rte_mbuf* m) { return Seq(m->hash.usr) + m->data_len; }

    std::vector<Run> runs_;  // allocated at the first hole, kept for reuse
    uint32_t bytes_ = 0;
    uint32_t count_ = 0;
    // The blocks to report, most recent first (Linux's selective_acks):
    // an arrival joins every block it touches and goes to the front; the
    // oldest falls off. Walking the queue for them on every ACK cost a
    // pass over hundreds of mbufs per ACK with a large window, and ACKs go
    // per segment while anything is out of order.
    SackBlock mru_[kMaxSackBlocks];
    uint8_t mru_count_ = 0;
    bool last_grew_recent_ = false;
};

}  // namespace tcpterm::tcp
