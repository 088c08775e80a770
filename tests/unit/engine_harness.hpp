// Drives one tcp::Engine the way a worker does, with a fake clock: segments
// are crafted as real mbufs (IPv4 + TCP, checksums filled) and everything the
// engine sends is captured, parsed back and kept in order.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "lib/net/frame_sink.hpp"
#include "lib/tcp/engine.hpp"
#include "tests/common/segment_builder.hpp"

namespace tcpterm::test {

// Shared by all tests in the process; created on first use.
rte_mempool* test_pool();

struct Sent {
    tcp::FlowKey key;  // as seen from the engine: local = source
    tcp::Seq seq;
    tcp::Seq ack;
    uint8_t flags = 0;
    uint16_t window = 0;
    tcp::TcpOptions opts;
    std::string payload;
    uint8_t ip_ecn = 0;  // ECN field of the IPv4 header (RFC 3168)
    std::vector<uint8_t> datagram;  // the whole IPv4 datagram, for MAC checks
    uint16_t tso_segsz = 0;  // a TSO frame: the port cuts its payload into pieces of this
    bool has(uint8_t f) const { return (flags & f) != 0; }
};

class EngineHarness final : public net::DatagramSink {
public:
    explicit EngineHarness(const tcp::EngineConfig& config = default_config());
    ~EngineHarness() override;

    static tcp::EngineConfig default_config();

    void listen(uint16_t port, tcp::Service* service, uint32_t addr = 0, uint32_t backlog = 1024);
    // Hands a crafted segment to the engine, then flushes as a worker would.
    void deliver(const SegmentSpec& spec);
    // Several segments in one receive burst: all are input, then one flush.
    void deliver_burst(const std::vector<SegmentSpec>& specs);
    // Moves the fake clock and runs timers and output.
    void advance_ms(uint64_t ms);

    Sent pop();                    // the oldest captured segment (REQUIREs one)
    bool nothing_sent() const { return sent.empty(); }
    tcp::Tcb* conn(uint16_t src_port = 40000, uint16_t dst_port = 80);
    const tcp::TimeWaitEntry* tw(uint16_t src_port = 40000, uint16_t dst_port = 80);

    void send_datagram(rte_mbuf* m) override;

    tcp::Counters counters;
    std::unique_ptr<tcp::Engine> engine;
    std::deque<Sent> sent;
    uint64_t chained_sent = 0;  // segments whose payload went by reference
    uint64_t now_us = 10'000'000;
    unsigned free_mbufs_at_start = 0;
};

// craft_segment from test_pool(); REQUIREs an mbuf.
rte_mbuf* build_segment(const SegmentSpec& spec);

// The SYN-cookie mode the engine suites run their listeners in: auto (the
// default) unless TCPTERM_TEST_COOKIES says always or off. scripts/test.sh
// runs the suites once per mode (issue 4: "every test in auto mode run with
// cookies forced on and off"). Tests tagged [stateful] are left out of the
// forced-on run: they check what only a stateful handshake keeps, by design
// of cookies (syncookie.hpp): a SYN_RECEIVED TCB and SYN-ACK retransmission,
// the peer's exact MSS (cookies carry one of four) and UTO, window scale and SACK
// without timestamps, and a RST (not a silent drop) for a wrong third ACK
// or a stray ACK (an always-cookie listener drops ACKs it cannot validate).
tcp::CookieMode cookie_mode_under_test();

}  // namespace tcpterm::test
