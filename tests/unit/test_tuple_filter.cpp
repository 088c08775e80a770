// The counting filter in front of the connection and TIME_WAIT tables
// (tuple_filter.hpp): it may say "maybe" wrongly, never "absent" wrongly.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "lib/tcp/tuple_filter.hpp"

using tcpterm::tcp::TupleFilter;

TEST_CASE("tuple filter: never absent while a tuple is held, empty after all leave",
          "[tcp][filter]") {
    TupleFilter filter(1000);
    std::mt19937 rng(3);
    std::map<uint32_t, int> held;  // hash -> copies held
    for (int step = 0; step < 200000; ++step) {
        if (held.size() < 1000 && (held.empty() || rng() % 2)) {
            uint32_t h = rng();
            filter.add(h);
            ++held[h];
        } else {
            auto it = held.begin();
            std::advance(it, rng() % held.size());
            filter.remove(it->first);
            if (--it->second == 0)
                held.erase(it);
        }
        if (step % 97 == 0)
            for (const auto& [h, n] : held)
                REQUIRE(filter.maybe_present(h));
    }
    for (const auto& [h, n] : held)
        for (int i = 0; i < n; ++i)
            filter.remove(h);
    for (uint32_t h = 0; h < 100000; ++h)
        REQUIRE_FALSE(filter.maybe_present(h * 2654435761u));
}

TEST_CASE("tuple filter: a saturated slot stays 'maybe' for good", "[tcp][filter]") {
    TupleFilter filter(16);
    for (int i = 0; i < 300; ++i)
        filter.add(7);
    for (int i = 0; i < 300; ++i)
        filter.remove(7);
    CHECK(filter.maybe_present(7));  // conservative: only costs a lookup
    CHECK_FALSE(filter.maybe_present(8));
}
