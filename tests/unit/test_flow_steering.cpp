// RSS flow steering: the software Toeplitz hash, the symmetric key, and
// source ports chosen so that replies come back to the opening worker.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "engine_harness.hpp"
#include "lib/net/flow_steering.hpp"
#include "lib/net/ipv4_addr.hpp"
#include "recording_service.hpp"

using namespace tcpterm;

namespace {

uint32_t reference_hash(const uint8_t* key, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
    rte_ipv4_tuple t;
    t.src_addr = src;
    t.dst_addr = dst;
    t.sport = sport;
    t.dport = dport;
    return rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V4_L4_LEN, key);
}

}  // namespace

TEST_CASE("steering: DPDK's Toeplitz matches the Microsoft RSS verification vectors",
          "[net][rss]") {
    // "Verifying the RSS Hash Calculation", IPv4 with TCP ports, default key.
    const uint8_t ms_key[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                                0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                                0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                                0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
    struct Vector {
        const char *dst, *src;
        uint16_t dport, sport;
        uint32_t hash;
    } vectors[] = {
        {"161.142.100.80", "66.9.149.187", 1766, 2794, 0x51ccc178},
        {"65.69.140.83", "199.92.111.2", 4739, 14230, 0xc626b0ea},
        {"12.22.207.184", "24.19.198.95", 38024, 12898, 0x5c2b394a},
        {"209.142.163.6", "38.27.205.30", 2217, 48228, 0xafc7327f},
        {"202.188.127.2", "153.39.163.191", 1303, 44251, 0x10e828a2},
    };
    for (const Vector& v : vectors) {
        uint32_t h = reference_hash(ms_key, *net::parse_ipv4(v.src), *net::parse_ipv4(v.dst),
                                    v.sport, v.dport);
        CHECK(h == v.hash);
    }
}

TEST_CASE("steering: our fast hash equals DPDK's reference, and every random key is "
          "symmetric and spreads flows",
          "[net][rss]") {
    std::mt19937 rng(3);
    for (int k = 0; k < 20; ++k) {
        uint16_t pattern = k == 0 ? net::FlowSteering::kDefaultPattern
                                  : net::FlowSteering::random_key_pattern();
        net::FlowSteering s(4, pattern);
        int per_worker[4] = {};
        for (int i = 0; i < 4000; ++i) {
            uint32_t a = rng(), b = rng();
            uint16_t pa = static_cast<uint16_t>(rng()), pb = static_cast<uint16_t>(rng());
            uint32_t h = s.hash(a, b, pa, pb);
            CHECK(h == reference_hash(s.key().data(), a, b, pa, pb));
            CHECK(h == s.hash(b, a, pb, pa));  // both directions of a flow agree
            CHECK(s.owner(a, b, pa, pb) == s.owner(b, a, pb, pa));
            ++per_worker[s.owner(a, b, pa, pb)];
        }
        for (int n : per_worker) {  // 1000 each on average
            CHECK(n > 700);
            CHECK(n < 1300);
        }
    }
    std::set<uint16_t> drawn;
    for (int i = 0; i < 8; ++i)
        drawn.insert(net::FlowSteering::random_key_pattern());
    CHECK(drawn.size() > 1);  // a fresh key per run, not a constant
}

TEST_CASE("steering: the RETA spreads buckets over every worker", "[net][rss]") {
    for (uint16_t w = 1; w <= 8; ++w) {
        net::FlowSteering s(w);
        std::vector<int> buckets(w);
        for (uint16_t q : s.reta())
            ++buckets.at(q);
        for (int count : buckets)
            CHECK(count >= static_cast<int>(net::FlowSteering::kRetaSize / w));
    }
}

TEST_CASE("steering: connect picks source ports whose replies hash to the opening worker, "
          "for 1 to 8 workers", "[net][rss][tcp]") {
    for (uint16_t workers = 1; workers <= 8; ++workers) {
        net::FlowSteering s(workers);
        for (uint16_t me = 0; me < workers; ++me) {
            test::EngineHarness h;
            test::RecordingService svc;
            h.engine->set_port_filter([&](const tcp::FlowKey& k) {
                return s.owner(k.raddr, k.laddr, k.rport, k.lport) == me;
            });
            for (int i = 0; i < 5; ++i) {
                tcp::Tcb* t = h.engine->connect(0xC6120001, 0xC6120002, 80, &svc, 0, h.now_us);
                REQUIRE(t);
                // The reply travels peer -> us: that tuple must be ours.
                CHECK(s.owner(0xC6120002, 0xC6120001, 80, t->key.lport) == me);
            }
        }
    }
}
