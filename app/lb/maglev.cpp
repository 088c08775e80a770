#include "app/lb/maglev.hpp"

#include <algorithm>
#include <cassert>

namespace tcpterm::app {

MaglevTable::MaglevTable(std::span<const Member> members, uint32_t size) {
    assert(size > members.size() && members.size() < kNone);
    entries_.assign(size, kNone);
    uint32_t max_weight = 0;
    for (const Member& m : members)
        max_weight = std::max(max_weight, m.weight);
    empty_ = max_weight == 0;
    if (empty_)
        return;
    struct Turns {
        uint64_t offset, skip;  // the member's permutation: offset + j * skip (mod size)
        uint64_t next = 0;      // j of its next preferred slot
        uint64_t target = 0;    // Envoy's weighting: a turn once round * weight reaches it
    };
    std::vector<Turns> turns;
    for (const Member& m : members)
        turns.push_back({lb_mix(m.key ^ 0x6d61676c65763031ull) % size,
                         lb_mix(m.key ^ 0x6d61676c65763032ull) % (size - 1) + 1});
    uint32_t filled = 0;
    for (uint64_t round = 1; filled < size; ++round) {
        for (size_t i = 0; i < members.size() && filled < size; ++i) {
            Turns& t = turns[i];
            if (members[i].weight == 0 || round * members[i].weight < t.target)
                continue;
            t.target += max_weight;
            // size is prime, so the permutation reaches every slot: a free
            // one comes before j runs out.
            uint64_t slot;
            do {
                slot = (t.offset + t.next * t.skip) % size;
                ++t.next;
            } while (entries_[slot] != kNone);
            entries_[slot] = static_cast<uint16_t>(i);
            ++filled;
        }
    }
}

}  // namespace tcpterm::app
