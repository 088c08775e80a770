// Least connections: the backend with the fewest open connections per unit
// of weight (a/w < b/v compared as a*v < b*w). Ties go round robin: the
// search starts after the last backend chosen, so equal backends take turns
// instead of the first one taking every new connection of a quiet moment.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tcpterm::app {

class LeastConn {
public:
    static constexpr uint16_t kNone = 0xFFFF;

    // open(i): backend i's open connections. weights[i] == 0 or skip(i):
    // backend i is not a candidate.
    template <typename Open, typename Skip>
    uint16_t pick(std::span<const uint32_t> weights, Open open, Skip skip) {
        size_t n = weights.size();
        uint16_t best = kNone;
        for (size_t k = 0; k < n; ++k) {
            size_t i = (rotor_ + k) % n;
            if (weights[i] == 0 || skip(static_cast<uint16_t>(i)))
                continue;
            if (best == kNone || open(i) * weights[best] < open(best) * weights[i])
                best = static_cast<uint16_t>(i);
        }
        if (best != kNone)
            rotor_ = best + 1u;
        return best;
    }
    uint16_t pick(std::span<const uint32_t> weights, std::span<const uint64_t> open) {
        return pick(weights, [&](size_t i) { return open[i]; }, [](uint16_t) { return false; });
    }

private:
    size_t rotor_ = 0;
};

}  // namespace tcpterm::app
