#include <cstring>
#include "engine_harness.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <string>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "lib/net/checksum.hpp"

namespace tcpterm::test {

rte_mempool* test_pool() {
    static rte_mempool* pool = rte_pktmbuf_pool_create("test_pool", 16383, 256, 0,
                                                       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    REQUIRE(pool != nullptr);
    return pool;
}

tcp::EngineConfig EngineHarness::default_config() {
    tcp::EngineConfig c;
    c.max_connections = 64;
    c.isn_key = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    c.ts_key = {1, 2};
    c.tx_chains = true;  // payload by reference, as on a port that takes chains
    return c;
}

EngineHarness::EngineHarness(const tcp::EngineConfig& config) {
    static std::atomic<unsigned> serial{0};
    free_mbufs_at_start = rte_mempool_avail_count(test_pool());
    engine = std::make_unique<tcp::Engine>("test" + std::to_string(serial++), config, counters,
                                           *this, test_pool(), now_us);
}

EngineHarness::~EngineHarness() { engine.reset(); }

tcp::CookieMode cookie_mode_under_test() {
    static const tcp::CookieMode mode = [] {
        const char* v = std::getenv("TCPTERM_TEST_COOKIES");
        std::string s = v ? v : "auto";
        if (s == "always")
            return tcp::CookieMode::Always;
        if (s == "off")
            return tcp::CookieMode::Off;
        if (s != "auto")
            FAIL("TCPTERM_TEST_COOKIES must be auto, always or off, not " << s);
        return tcp::CookieMode::Auto;
    }();
    return mode;
}

void EngineHarness::listen(uint16_t port, tcp::Service* service, uint32_t addr, uint32_t backlog) {
    tcp::Listener l;
    l.addr = addr;
    l.port = port;
    l.service = service;
    l.syn_backlog = backlog;
    l.cookies = cookie_mode_under_test();
    REQUIRE(engine->add_listener(l));
}

rte_mbuf* build_segment(const SegmentSpec& spec) {
    rte_mbuf* m = craft_segment(test_pool(), spec);
    REQUIRE(m != nullptr);
    return m;
}

void EngineHarness::deliver(const SegmentSpec& spec) {
    deliver_burst({spec});
}

void EngineHarness::deliver_burst(const std::vector<SegmentSpec>& specs) {
    for (const SegmentSpec& spec : specs) {
        rte_mbuf* m = build_segment(spec);
        auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
        net::Ipv4Datagram d;
        d.src = spec.src;
        d.dst = spec.dst;
        d.header_len = 20;
        d.payload_len = static_cast<uint16_t>(rte_be_to_cpu_16(ip->total_length) - 20);
        engine->input(m, d, now_us);
    }
    engine->flush(now_us);
}

void EngineHarness::advance_ms(uint64_t ms) {
    // In 1 ms steps, as a polling worker would see time pass.
    for (uint64_t i = 0; i < ms; ++i) {
        now_us += 1000;
        engine->run_timers(now_us);
        engine->flush(now_us);
    }
}

void EngineHarness::send_datagram(rte_mbuf* m) {
    uint16_t tso_segsz = (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) ? m->tso_segsz : 0;
    if (m->nb_segs > 1) {  // headers, then payload by reference
        CHECK(rte_pktmbuf_data_len(m) == m->l3_len + m->l4_len);
        ++chained_sent;
    }
    CHECK(m->l3_len == 20);
    // The datagram as the wire would carry it, in one piece.
    std::vector<uint8_t> wire(m->pkt_len);
    const void* at = rte_pktmbuf_read(m, 0, m->pkt_len, wire.data());
    REQUIRE(at != nullptr);
    if (at != wire.data())
        memcpy(wire.data(), at, wire.size());
    uint8_t l4_len = m->l4_len;
    rte_pktmbuf_free(m);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(wire.data());
    auto* th = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    // The engine leaves checksums to the interface; fill them as it would.
    th->cksum = 0;
    th->cksum = rte_ipv4_udptcp_cksum(ip, th);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    Sent s;
    s.tso_segsz = tso_segsz;
    s.key = {rte_be_to_cpu_32(ip->dst_addr), rte_be_to_cpu_32(ip->src_addr),
             rte_be_to_cpu_16(th->dst_port), rte_be_to_cpu_16(th->src_port)};
    s.seq = tcp::Seq(rte_be_to_cpu_32(th->sent_seq));
    s.ack = tcp::Seq(rte_be_to_cpu_32(th->recv_ack));
    s.flags = th->tcp_flags;
    s.ip_ecn = ip->type_of_service & 3;
    size_t total = rte_be_to_cpu_16(ip->total_length);
    REQUIRE(total == wire.size());
    s.datagram = wire;
    s.window = rte_be_to_cpu_16(th->rx_win);
    size_t hlen = (th->data_off >> 4) * 4;
    REQUIRE(tcp::parse_options(reinterpret_cast<uint8_t*>(th + 1), hlen - 20, s.opts));
    s.payload.assign(reinterpret_cast<char*>(th) + hlen, total - 20 - hlen);
    CHECK(l4_len == hlen);
    sent.push_back(std::move(s));
}

Sent EngineHarness::pop() {
    REQUIRE_FALSE(sent.empty());
    Sent s = std::move(sent.front());
    sent.pop_front();
    return s;
}

tcp::Tcb* EngineHarness::conn(uint16_t src_port, uint16_t dst_port) {
    return engine->find(tcp::FlowKey{0xC6120002, 0xC6120001, src_port, dst_port});
}

const tcp::TimeWaitEntry* EngineHarness::tw(uint16_t src_port, uint16_t dst_port) {
    return engine->find_time_wait(tcp::FlowKey{0xC6120002, 0xC6120001, src_port, dst_port});
}

}  // namespace tcpterm::test
