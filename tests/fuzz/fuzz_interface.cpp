// libFuzzer target: Interface::input (lib/net/interface.hpp), the whole L2/L3
// receive path: Ethernet, ARP, IPv4 validation, ICMP echo. Input: byte 0
// picks the NIC's checksum verdicts (rx_offload.hpp), the rest is one
// Ethernet frame. Before it, the interface sends a datagram to an on-link
// peer it has no ARP entry for, so the frame can be the ARP reply that
// releases the held datagram. A TCP datagram the interface accepts goes on
// through parse_segment, as in the worker.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "lib/net/interface.hpp"
#include "lib/tcp/segment.hpp"
#include "tests/common/segment_builder.hpp"
#include "tests/fuzz/fuzz_eal.hpp"
#include "tests/fuzz/rx_offload.hpp"

using namespace tcpterm;

namespace {

constexpr uint32_t kOurIp = 0xC6120001;   // 198.18.0.1
constexpr uint32_t kPeerIp = 0xC6120002;  // 198.18.0.2

// Frames the interface sends are only counted: nothing reads them back.
struct CountingSink final : net::FrameSink {
    unsigned frames = 0;
    void send_frame(rte_mbuf* m) override {
        ++frames;
        if (m->pkt_len < RTE_ETHER_HDR_LEN)
            fuzz::invariant_failed("interface sent a frame shorter than an Ethernet header");
        rte_pktmbuf_free(m);
    }
};

// A datagram from us to the peer, waiting in the ARP table for its MAC.
void hold_one_for_arp(net::Interface& iface, uint64_t now) {
    test::SegmentSpec spec;
    spec.src = kOurIp;
    spec.dst = kPeerIp;
    spec.src_port = 80;
    spec.dst_port = 40000;
    spec.flags = tcp::kAck;
    rte_mbuf* m = test::craft_segment(fuzz::pool(), spec);
    if (m == nullptr)
        fuzz::invariant_failed("pool empty");
    m->l3_len = 20;
    m->l4_len = 20;
    iface.output(m, now);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1 || size - 1 > RTE_MBUF_DEFAULT_DATAROOM)
        return -1;
    fuzz::MbufLeakCheck leaks;
    {
        net::Counters counters;
        CountingSink sink;
        net::InterfaceConfig config;
        config.mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 1}};
        config.addresses.add({kOurIp, 24});
        config.gateway = 0xC61200FE;  // 198.18.0.254
        config.arp_entries = 16;
        net::Interface iface(config, counters, sink, fuzz::pool());
        const uint64_t now = 5'000'000;
        hold_one_for_arp(iface, now);

        rte_mbuf* m = rte_pktmbuf_alloc(fuzz::pool());
        if (m == nullptr)
            fuzz::invariant_failed("pool empty");
        std::memcpy(rte_pktmbuf_append(m, uint16_t(size - 1)), data + 1, size - 1);
        m->ol_flags = fuzz::rx_offload_flags(data[0]);
        net::Ipv4Datagram d;
        if (iface.input(m, now, d)) {
            if (rte_pktmbuf_mtod(m, const uint8_t*)[0] >> 4 != 4 ||
                uint32_t(d.header_len) + d.payload_len != m->data_len || d.dst != kOurIp)
                fuzz::invariant_failed("accepted datagram does not match its mbuf");
            tcp::Segment s;
            tcp::parse_segment(m, d.src, d.dst, d.header_len, d.payload_len, s);
            rte_pktmbuf_free(m);
        }
        if (counters.RxPackets != 1)
            fuzz::invariant_failed("one frame in, RxPackets != 1");
    }  // the interface frees what its ARP table still holds
    leaks.check("fuzz_interface");
    return 0;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::init_eal("interface");
    return 0;
}
