// The one place the packet path reads time: TSC converted to microseconds.
#pragma once

#include <cstdint>

#include <rte_cycles.h>

namespace tcpterm::app {

class TscClock {
public:
    TscClock() : cycles_per_us_(rte_get_tsc_hz() / 1'000'000) {
        if (cycles_per_us_ == 0)
            cycles_per_us_ = 1;
    }
    uint64_t now_us() const { return rte_rdtsc() / cycles_per_us_; }

private:
    uint64_t cycles_per_us_;
};

}  // namespace tcpterm::app
