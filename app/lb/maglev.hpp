// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI 2016, §3.4): a lookup table of prime
// size M in which every backend claims slots in the order of its own
// permutation of 0..M-1 (offset + j * skip, both from a hash of its
// identity), the backends taking turns until the table is full. A flow goes
// to table[hash % M]. Each backend gets about M / N slots, and when one
// leaves, its slots go to the others while theirs barely move ("minimal
// disruption"), so most clients keep their backend.
//
// Weights follow Envoy's variant of the paper's turns: a backend of weight w
// takes a turn only every max_weight / w rounds.
//
// A value type: built by the control thread, then only read.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tcpterm::app {

// A 64-bit mix (splitmix64's finaliser): spreads keys and flow hashes.
constexpr uint64_t lb_mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

class MaglevTable {
public:
    static constexpr uint16_t kNone = 0xFFFF;

    struct Member {
        uint64_t key = 0;     // stable identity (address and port): fixes its permutation
        uint32_t weight = 0;  // 0: not in the table (down, drained)
    };

    MaglevTable() = default;
    // Member i of the span is backend i; size must be a prime above the
    // number of members.
    MaglevTable(std::span<const Member> members, uint32_t size);

    uint32_t size() const { return static_cast<uint32_t>(entries_.size()); }
    bool empty() const { return empty_; }
    uint16_t at(uint32_t slot) const { return entries_[slot]; }

    // The backend for a flow hash (kNone when no member has a weight).
    uint16_t lookup(uint64_t hash) const { return empty_ ? kNone : entries_[hash % entries_.size()]; }
    // The first backend at or after the hash's slot that `skip` does not
    // reject: where a retry goes after the backends it already tried.
    template <typename Skip>
    uint16_t lookup(uint64_t hash, Skip skip) const {
        if (empty_)
            return kNone;
        size_t m = entries_.size();
        for (size_t i = 0, slot = hash % m; i < m; ++i, slot = slot + 1 == m ? 0 : slot + 1)
            if (!skip(entries_[slot]))
                return entries_[slot];
        return kNone;
    }

private:
    std::vector<uint16_t> entries_;
    bool empty_ = true;
};

}  // namespace tcpterm::app
