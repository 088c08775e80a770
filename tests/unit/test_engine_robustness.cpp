// Bad input gets a defined answer: random and hostile segments never crash
// the engine and never leak an mbuf.
#include <catch2/catch.hpp>

#include <random>

#include "app/services/echo.hpp"
#include "app/services/http.hpp"
#include "engine_harness.hpp"

using namespace tcpterm;
using namespace tcpterm::test;

TEST_CASE("engine: 200k random and hostile segments leave no crash and no leaked mbuf",
          "[tcp][robustness]") {
    unsigned before = rte_mempool_avail_count(test_pool());
    for (bool with_ao : {false, true}) {
        tcp::EngineConfig cfg = EngineHarness::default_config();
        cfg.max_connections = 256;
        if (with_ao) {  // port 80's peers must sign: random AO options meet real checks
            tcp::AoKey key;
            key.peer = {0xC6120000, 15};
            key.local_port = 80;
            key.secret = {'k'};
            cfg.ao_keys.push_back(key);
        }
        EngineHarness h(cfg);
        app::EchoService echo;
        app::HttpService http(100);
        h.listen(7, &echo);
        h.listen(80, &http);
        std::mt19937 rng(12345);
        auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
        // A few live connections so that random segments hit every state.
        uint32_t isn[4];
        for (uint16_t p = 0; p < 4; ++p) {
            SegmentSpec syn;
            syn.src_port = static_cast<uint16_t>(50000 + p);
            syn.dst_port = 7;
            syn.seq = 1000;
            syn.flags = tcp::kSyn;
            h.deliver(syn);
            isn[p] = h.pop().seq.v;
            SegmentSpec ack = syn;
            ack.seq = 1001;
            ack.ack = isn[p] + 1;
            ack.flags = tcp::kAck;
            h.deliver(ack);
        }
        for (int i = 0; i < 200000; ++i) {
            SegmentSpec s;
            s.src_port = static_cast<uint16_t>(pick(3) == 0 ? 50000 + pick(4) : 1 + pick(65535));
            s.dst_port = pick(2) ? 7 : (pick(2) ? 80 : static_cast<uint16_t>(1 + pick(65535)));
            bool near = s.src_port >= 50000 && s.src_port < 50004;
            s.seq = near && pick(2) ? 1001 + pick(3000) : static_cast<uint32_t>(rng());
            s.ack = near && pick(2) ? isn[s.src_port - 50000] + pick(3000) : static_cast<uint32_t>(rng());
            s.flags = static_cast<uint8_t>(pick(64));
            s.window = static_cast<uint16_t>(pick(65536));
            uint8_t raw[40];
            size_t raw_len = 4 * pick(11);
            for (size_t k = 0; k < raw_len; ++k)
                raw[k] = static_cast<uint8_t>(pick(3) == 0 ? pick(40) : rng());
            s.raw_options = raw;
            s.raw_options_len = raw_len;
            s.payload.assign(pick(4) == 0 ? pick(1400) : 0, static_cast<char>('a' + pick(26)));
            if (pick(8) == 0)
                s.payload = "GET / HTTP/1.1\r\n\r\n";
            rte_mbuf* m = build_segment(s);
            auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
            net::Ipv4Datagram d{s.src, s.dst, 20,
                                static_cast<uint16_t>(rte_be_to_cpu_16(ip->total_length) - 20)};
            if (pick(50) == 0)  // a lying length or data offset
                d.payload_len = static_cast<uint16_t>(pick(d.payload_len + 1));
            h.engine->input(m, d, h.now_us);
            if (i % 16 == 0)
                h.advance_ms(pick(300));
            h.engine->flush(h.now_us);
            h.sent.clear();
        }
        h.advance_ms(200'000);  // let every timer run out
        h.sent.clear();
        CHECK(h.counters.InSegs > 0);
        if (with_ao)
            CHECK(h.counters.TCPAORequired + h.counters.TCPAOKeyNotFound > 0);
    }
    CHECK(rte_mempool_avail_count(test_pool()) == before);
}
