// Smooth weighted round robin, as nginx's upstream module does it: every
// pick adds each eligible backend's weight to its running score, takes the
// highest and charges it the total. Weights 5, 1, 1 give a a b a c a a, not
// a a a a a b c: the heavy backend's share is spread through the cycle.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tcpterm::app {

class SmoothWrr {
public:
    static constexpr uint16_t kNone = 0xFFFF;

    explicit SmoothWrr(size_t backends) : current_(backends, 0) {}

    // weights[i] == 0 or skip(i): backend i is not a candidate this time.
    template <typename Skip>
    uint16_t pick(std::span<const uint32_t> weights, Skip skip) {
        int64_t total = 0;
        uint16_t best = kNone;
        for (size_t i = 0; i < weights.size() && i < current_.size(); ++i) {
            if (weights[i] == 0 || skip(static_cast<uint16_t>(i)))
                continue;
            current_[i] += weights[i];
            total += weights[i];
            if (best == kNone || current_[i] > current_[best])
                best = static_cast<uint16_t>(i);
        }
        if (best != kNone)
            current_[best] -= total;
        return best;
    }
    uint16_t pick(std::span<const uint32_t> weights) {
        return pick(weights, [](uint16_t) { return false; });
    }

private:
    std::vector<int64_t> current_;
};

}  // namespace tcpterm::app
