// lib/tcp/reassembly: the out-of-order queue against a byte model. Whatever
// segments arrive, in whatever order, overlapping or not, what it drains is
// exactly the stream's bytes, its runs are the model's held stretches, its
// SACK blocks name only held bytes (newest arrival first), and every mbuf it
// took is back in the pool once drained or cleared.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "engine_harness.hpp"
#include "lib/tcp/reassembly.hpp"

using namespace tcpterm;
using namespace tcpterm::tcp;
using namespace tcpterm::test;

namespace {

// The stream's byte at sequence number s: a pattern that tells positions apart.
uint8_t stream_byte(uint32_t s) { return static_cast<uint8_t>((s * 2654435761u) >> 24); }

rte_mbuf* segment(Seq seq, uint16_t len) {
    rte_mbuf* m = rte_pktmbuf_alloc(test_pool());
    REQUIRE(m != nullptr);
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len));
    REQUIRE(p != nullptr);
    for (uint16_t i = 0; i < len; ++i)
        p[i] = stream_byte(seq.v + i);
    return m;
}

// Drains what RCV.NXT now reaches, checking every byte; returns the new RCV.NXT.
Seq drain_and_check(ReassemblyQueue& q, Seq rcv_nxt) {
    MbufQueue into;
    Seq next = q.drain_in_order(rcv_nxt, into);
    Seq at = rcv_nxt;
    while (!into.empty()) {
        rte_mbuf* m = into.pop_front();
        const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
        for (uint16_t i = 0; i < m->data_len; ++i)
            REQUIRE(p[i] == stream_byte(at.v + i));
        at += m->data_len;
        rte_pktmbuf_free(m);
    }
    REQUIRE(at == next);
    return next;
}

// Stretches of held bytes in the model, as [left, right) offsets from base.
std::vector<std::pair<uint32_t, uint32_t>> model_runs(const std::vector<bool>& held, uint32_t from) {
    std::vector<std::pair<uint32_t, uint32_t>> runs;
    for (uint32_t i = from; i < held.size(); ++i) {
        if (!held[i])
            continue;
        uint32_t j = i;
        while (j < held.size() && held[j])
            ++j;
        runs.emplace_back(i, j);
        i = j;
    }
    return runs;
}

}  // namespace

TEST_CASE("reassembly: random arrivals drain as the stream, runs and SACK blocks match the model",
          "[tcp][reassembly]") {
    std::mt19937 rng(GENERATE(1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u));
    unsigned pool_before = rte_mempool_avail_count(test_pool());
    const Seq base(0xfffff000u);  // wraps during the test
    const uint32_t span = 60000;
    std::vector<bool> held(span, false);  // by offset from base, beyond RCV.NXT
    ReassemblyQueue q;
    Seq rcv_nxt = base;
    std::uniform_int_distribution<uint32_t> len_of(1, 1448);
    for (int step = 0; step < 3000 && rcv_nxt - base < static_cast<int32_t>(span - 1448); ++step) {
        uint32_t done = static_cast<uint32_t>(rcv_nxt - base);
        uint32_t off = done + rng() % std::min<uint32_t>(20000, span - done - 1448);
        uint16_t len = static_cast<uint16_t>(len_of(rng));
        Seq seq = base + off;
        if (off == done)
            continue;  // in order: the engine takes it without the queue
        bool anything_new = false;
        for (uint32_t i = off; i < off + len; ++i)
            anything_new |= !held[i];
        bool taken = q.insert(segment(seq, len), seq);
        if (!anything_new)
            REQUIRE_FALSE(taken);
        if (taken)
            for (uint32_t i = off; i < off + len; ++i)
                held[i] = true;
        else  // refused whole: only for nothing new (the limits are far)
            REQUIRE_FALSE(anything_new);

        // The most recent SACK block holds this arrival's bytes; every block
        // names held bytes only.
        SackBlock blocks[kMaxSackBlocks];
        uint8_t n = q.sack_blocks(blocks, kMaxSackBlocks);
        if (taken) {
            REQUIRE(n >= 1);
            REQUIRE(Seq(blocks[0].left) <= seq);
            REQUIRE(seq + len <= Seq(blocks[0].right));
        }
        for (uint8_t b = 0; b < n; ++b)
            for (Seq s(blocks[b].left); s < Seq(blocks[b].right); s += 97)
                REQUIRE(held[static_cast<uint32_t>(s - base)]);

        // Now and then the hole at RCV.NXT fills, as a retransmission does.
        if (rng() % 8 == 0 && !q.empty()) {
            uint32_t hole_end = done;
            while (!held[hole_end])
                ++hole_end;
            // The retransmission fills the hole's front (all of it, when
            // it fits in one segment); RCV.NXT then runs up to the next hole.
            uint32_t fill = std::min<uint32_t>(hole_end - done, 1448);
            for (uint32_t i = done; i < done + fill; ++i)
                held[i] = true;
            REQUIRE(q.insert(segment(rcv_nxt, static_cast<uint16_t>(fill)), rcv_nxt));
            Seq before = rcv_nxt;
            rcv_nxt = drain_and_check(q, rcv_nxt);
            REQUIRE(rcv_nxt > before);
            uint32_t now = static_cast<uint32_t>(rcv_nxt - base);
            REQUIRE((now == span || !held[now]));
            for (uint32_t i = 0; i < now; ++i)
                REQUIRE(held[i]);
        }
        // The queue's runs are the model's stretches beyond RCV.NXT.
        auto runs = model_runs(held, static_cast<uint32_t>(rcv_nxt - base));
        REQUIRE(q.runs() == runs.size());
        uint32_t bytes = 0;
        for (auto [l, r] : runs)
            bytes += r - l;
        REQUIRE(q.bytes() == bytes);
    }
    q.clear();
    REQUIRE(q.empty());
    REQUIRE(q.segments() == 0);
    REQUIRE(rte_mempool_avail_count(test_pool()) == pool_before);
}

TEST_CASE("reassembly: a segment covering runs and holes replaces what it covers", "[tcp][reassembly]") {
    unsigned pool_before = rte_mempool_avail_count(test_pool());
    ReassemblyQueue q;
    const Seq rcv_nxt(1000);
    // Runs [1100,1200) [1300,1400) [1500,1600), then one segment [1050,1550).
    for (uint32_t l : {1100u, 1300u, 1500u})
        REQUIRE(q.insert(segment(Seq(l), 100), Seq(l)));
    REQUIRE(q.runs() == 3);
    REQUIRE(q.insert(segment(Seq(1050), 500), Seq(1050)));
    REQUIRE(q.runs() == 1);
    REQUIRE(q.bytes() == 550);  // [1050, 1600)
    REQUIRE(q.segments() == 2);  // the covered ones went, the last trimmed us
    SackBlock b[kMaxSackBlocks];
    REQUIRE(q.sack_blocks(b, kMaxSackBlocks) == 1);
    REQUIRE(b[0].left == 1050);
    REQUIRE(b[0].right == 1600);
    // Inside a run: nothing new, refused.
    REQUIRE_FALSE(q.insert(segment(Seq(1200), 300), Seq(1200)));
    // A duplicate of an older island still puts its block first (RFC 2018 §4).
    REQUIRE(q.insert(segment(Seq(1700), 100), Seq(1700)));
    REQUIRE_FALSE(q.insert(segment(Seq(1100), 100), Seq(1100)));
    REQUIRE(q.sack_blocks(b, kMaxSackBlocks) == 2);
    REQUIRE(b[0].left == 1050);
    REQUIRE(b[1].left == 1700);
    // The hole fills: everything drains in order.
    REQUIRE(q.insert(segment(rcv_nxt, 50), rcv_nxt));
    REQUIRE(drain_and_check(q, rcv_nxt) == Seq(1600));
    REQUIRE(q.runs() == 1);
    q.clear();
    REQUIRE(rte_mempool_avail_count(test_pool()) == pool_before);
}

TEST_CASE("reassembly: runs beyond kMaxRuns are refused, a segment joining a run is not", "[tcp][reassembly]") {
    unsigned pool_before = rte_mempool_avail_count(test_pool());
    ReassemblyQueue q;
    // One-byte segments two bytes apart: each its own run.
    for (uint32_t i = 0; i < ReassemblyQueue::kMaxRuns; ++i)
        REQUIRE(q.insert(segment(Seq(100 + 2 * i), 1), Seq(100 + 2 * i)));
    REQUIRE(q.runs() == ReassemblyQueue::kMaxRuns);
    Seq far(100 + 2 * ReassemblyQueue::kMaxRuns + 10);
    REQUIRE_FALSE(q.insert(segment(far, 1), far));  // one more run: refused
    REQUIRE(q.insert(segment(Seq(101), 1), Seq(101)));  // fills a hole: two runs become one
    REQUIRE(q.runs() == ReassemblyQueue::kMaxRuns - 1);
    REQUIRE(q.insert(segment(far, 1), far));  // room again
    q.clear();
    REQUIRE(rte_mempool_avail_count(test_pool()) == pool_before);
}
