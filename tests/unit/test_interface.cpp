// lib/net: Ethernet, ARP (RFC 826), IPv4 validation (RFC 791), ICMP echo
// (RFC 792) and checksums, through net::Interface with a capturing sink.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "engine_harness.hpp"
#include "lib/net/interface.hpp"

using namespace tcpterm;
using namespace tcpterm::test;

namespace {

constexpr uint32_t kOurIp = 0xC6120001;   // 198.18.0.1
constexpr uint32_t kPeerIp = 0xC6120002;  // 198.18.0.2
const rte_ether_addr kOurMac{{0x02, 0, 0, 0, 0, 1}};
const rte_ether_addr kPeerMac{{0x02, 0, 0, 0, 0, 2}};

struct Capture final : net::FrameSink {
    std::vector<rte_mbuf*> frames;
    void send_frame(rte_mbuf* m) override { frames.push_back(m); }
    ~Capture() override {
        for (auto* m : frames)
            rte_pktmbuf_free(m);
    }
};

struct Fixture {
    net::Counters counters;
    Capture sink;
    net::InterfaceConfig config;
    std::unique_ptr<net::Interface> iface;
    explicit Fixture(uint32_t gateway = 0, net::Ipv4Prefix vip = {}) {
        config.mac = kOurMac;
        config.addresses.add({kOurIp, 24});
        if (vip.addr)
            config.addresses.add(vip);
        config.gateway = gateway;
        iface = std::make_unique<net::Interface>(config, counters, sink, test_pool());
    }
    bool input(rte_mbuf* m, net::Ipv4Datagram* out = nullptr) {
        net::Ipv4Datagram d;
        bool tcp = iface->input(m, 1000, d);
        if (out)
            *out = d;
        if (tcp && !out)
            rte_pktmbuf_free(m);
        return tcp;
    }
};

rte_mbuf* arp_frame(uint16_t op, uint32_t sender, uint32_t target) {
    rte_mbuf* m = rte_pktmbuf_alloc(test_pool());
    auto* eth = reinterpret_cast<rte_ether_hdr*>(
        rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)));
    memset(&eth->dst_addr, 0xff, 6);
    eth->src_addr = kPeerMac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = 6;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(op);
    arp->arp_data.arp_sha = kPeerMac;
    arp->arp_data.arp_sip = rte_cpu_to_be_32(sender);
    memset(&arp->arp_data.arp_tha, 0, 6);
    arp->arp_data.arp_tip = rte_cpu_to_be_32(target);
    return m;
}

// An Ethernet frame around a crafted TCP segment (see build_segment).
rte_mbuf* tcp_frame(SegmentSpec spec = {}) {
    rte_mbuf* m = build_segment(spec);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(m, sizeof(rte_ether_hdr)));
    eth->dst_addr = kOurMac;
    eth->src_addr = kPeerMac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    return m;
}

// A datagram from us to the peer, as the engine hands it down.
rte_mbuf* outgoing(uint32_t dst = kPeerIp) {
    SegmentSpec spec;
    spec.src = kOurIp;
    spec.dst = dst;
    rte_mbuf* m = build_segment(spec);
    m->l3_len = 20;
    return m;
}

rte_ipv4_hdr* ip_of(rte_mbuf* m) {
    return rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, sizeof(rte_ether_hdr));
}

void refresh_ip_checksum(rte_mbuf* m) {
    rte_ipv4_hdr* ip = ip_of(m);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
}

}  // namespace

TEST_CASE("arp: a request for our address is answered in place and the sender learned",
          "[net][arp]") {
    Fixture f;
    CHECK_FALSE(f.input(arp_frame(RTE_ARP_OP_REQUEST, kPeerIp, kOurIp)));
    REQUIRE(f.sink.frames.size() == 1);
    auto* eth = rte_pktmbuf_mtod(f.sink.frames[0], rte_ether_hdr*);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    CHECK(rte_is_same_ether_addr(&eth->dst_addr, &kPeerMac));
    CHECK(rte_be_to_cpu_16(arp->arp_opcode) == RTE_ARP_OP_REPLY);
    CHECK(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &kOurMac));
    CHECK(rte_be_to_cpu_32(arp->arp_data.arp_sip) == kOurIp);
    CHECK(rte_be_to_cpu_32(arp->arp_data.arp_tip) == kPeerIp);
    CHECK(f.counters.ArpOutReplies == 1);

    // Learned: a datagram to the peer goes straight out, no ARP request.
    f.iface->output(outgoing(), 2000);
    REQUIRE(f.sink.frames.size() == 2);
    auto* out = rte_pktmbuf_mtod(f.sink.frames[1], rte_ether_hdr*);
    CHECK(rte_is_same_ether_addr(&out->dst_addr, &kPeerMac));
    CHECK(f.counters.ArpOutRequests == 0);
}

TEST_CASE("arp: requests for other addresses and malformed frames are not answered",
          "[net][arp]") {
    Fixture f;
    CHECK_FALSE(f.input(arp_frame(RTE_ARP_OP_REQUEST, kPeerIp, kOurIp + 5)));
    rte_mbuf* short_frame = arp_frame(RTE_ARP_OP_REQUEST, kPeerIp, kOurIp);
    rte_pktmbuf_trim(short_frame, 10);
    CHECK_FALSE(f.input(short_frame));
    CHECK(f.sink.frames.empty());
    CHECK(f.counters.ArpIgnored == 1);
    CHECK(f.counters.ArpMalformed == 1);
}

TEST_CASE("arp: an unresolved next hop is asked for, and the held packet leaves on reply",
          "[net][arp]") {
    Fixture f;
    f.iface->output(outgoing(), 1000);
    REQUIRE(f.sink.frames.size() == 1);  // only the ARP request
    auto* eth = rte_pktmbuf_mtod(f.sink.frames[0], rte_ether_hdr*);
    CHECK(rte_is_broadcast_ether_addr(&eth->dst_addr));
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    CHECK(rte_be_to_cpu_32(arp->arp_data.arp_tip) == kPeerIp);
    f.input(arp_frame(RTE_ARP_OP_REPLY, kPeerIp, kOurIp));
    REQUIRE(f.sink.frames.size() == 2);
    auto* out = rte_pktmbuf_mtod(f.sink.frames[1], rte_ether_hdr*);
    CHECK(rte_is_same_ether_addr(&out->dst_addr, &kPeerMac));
    // The held packet had its checksums filled on the way out.
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(out + 1);
    CHECK(rte_ipv4_cksum(ip) == 0);
    CHECK(rte_ipv4_udptcp_cksum_verify(ip, ip + 1) == 0);
}

TEST_CASE("ipv4: off-link destinations need a gateway", "[net][ipv4]") {
    Fixture none;
    const uint32_t far = 0xC6130001;  // 198.19.0.1, outside our /24
    none.iface->output(outgoing(far), 1000);
    CHECK(none.sink.frames.empty());
    CHECK(none.counters.IpOutNoRoutes == 1);

    Fixture gw(0xC61200FE);
    gw.iface->output(outgoing(far), 1000);
    REQUIRE(gw.sink.frames.size() == 1);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(rte_pktmbuf_mtod(gw.sink.frames[0], rte_ether_hdr*) + 1);
    CHECK(rte_be_to_cpu_32(arp->arp_data.arp_tip) == 0xC61200FE);
}

TEST_CASE("ipv4: a valid TCP datagram is handed up with its addresses", "[net][ipv4]") {
    Fixture f;
    SegmentSpec spec;
    spec.payload = "abc";
    rte_mbuf* m = tcp_frame(spec);
    // Ethernet minimum-size padding must be cut off.
    memset(rte_pktmbuf_append(m, 6), 0xee, 6);
    net::Ipv4Datagram d;
    REQUIRE(f.input(m, &d));
    CHECK(d.src == kPeerIp);
    CHECK(d.dst == kOurIp);
    CHECK(d.header_len == 20);
    CHECK(d.payload_len == 20 + 3);
    CHECK(m->data_len == 20 + 20 + 3);
    rte_pktmbuf_free(m);
}

TEST_CASE("ipv4: bad datagrams are dropped and counted", "[net][ipv4]") {
    Fixture f;
    rte_mbuf* bad_sum = tcp_frame();
    ip_of(bad_sum)->hdr_checksum ^= 0x1234;
    CHECK_FALSE(f.input(bad_sum));

    rte_mbuf* bad_version = tcp_frame();
    ip_of(bad_version)->version_ihl = 0x65;
    CHECK_FALSE(f.input(bad_version));

    rte_mbuf* too_long = tcp_frame();
    ip_of(too_long)->total_length = rte_cpu_to_be_16(1400);
    refresh_ip_checksum(too_long);
    CHECK_FALSE(f.input(too_long));

    rte_mbuf* short_ihl = tcp_frame();
    ip_of(short_ihl)->version_ihl = 0x44;
    CHECK_FALSE(f.input(short_ihl));
    CHECK(f.counters.IpInHdrErrors == 4);

    rte_mbuf* fragment = tcp_frame();
    ip_of(fragment)->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
    refresh_ip_checksum(fragment);
    CHECK_FALSE(f.input(fragment));
    CHECK(f.counters.IpFragDropped == 1);

    SegmentSpec other;
    other.dst = kOurIp + 1;
    CHECK_FALSE(f.input(tcp_frame(other)));
    CHECK(f.counters.IpInAddrErrors == 1);

    SegmentSpec land;
    land.src = kOurIp;
    CHECK_FALSE(f.input(tcp_frame(land)));
    CHECK(f.counters.IpInMartians == 1);

    rte_mbuf* runt = rte_pktmbuf_alloc(test_pool());
    rte_pktmbuf_append(runt, 10);
    CHECK_FALSE(f.input(runt));
    CHECK(f.counters.EthTooShort == 1);
    CHECK(f.sink.frames.empty());
}

TEST_CASE("icmp: echo request gets an echo reply with valid checksums", "[net][icmp]") {
    Fixture f;
    rte_mbuf* m = tcp_frame();
    rte_ipv4_hdr* ip = ip_of(m);
    ip->next_proto_id = IPPROTO_ICMP;
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
    icmp->icmp_code = 0;
    icmp->icmp_ident = rte_cpu_to_be_16(7);
    icmp->icmp_seq_nb = rte_cpu_to_be_16(1);
    icmp->icmp_cksum = 0;
    uint16_t icmp_len = rte_be_to_cpu_16(ip->total_length) - 20;
    icmp->icmp_cksum = ~rte_raw_cksum(icmp, icmp_len);
    refresh_ip_checksum(m);
    CHECK_FALSE(f.input(m));
    REQUIRE(f.sink.frames.size() == 1);
    rte_mbuf* reply = f.sink.frames[0];
    rte_ipv4_hdr* rip = ip_of(reply);
    auto* ricmp = reinterpret_cast<rte_icmp_hdr*>(rip + 1);
    CHECK(ricmp->icmp_type == RTE_IP_ICMP_ECHO_REPLY);
    CHECK(rte_be_to_cpu_32(rip->dst_addr) == kPeerIp);
    CHECK(rte_ipv4_cksum(rip) == 0);
    CHECK(rte_raw_cksum(ricmp, icmp_len) == 0xffff);
    CHECK(rte_be_to_cpu_16(ricmp->icmp_ident) == 7);
}

// VIPs: every owned address answers ARP and ping and takes TCP; others not.
constexpr uint32_t kVip = 0xC612000A;       // 198.18.0.10, on the primary's /24
constexpr uint32_t kHostVip = 0xC6130505;   // 198.19.5.5/32, a subnet of its own

rte_mbuf* echo_request(uint32_t dst) {
    SegmentSpec spec;
    spec.dst = dst;
    rte_mbuf* m = tcp_frame(spec);
    rte_ipv4_hdr* ip = ip_of(m);
    ip->next_proto_id = IPPROTO_ICMP;
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
    icmp->icmp_code = 0;
    icmp->icmp_cksum = 0;
    icmp->icmp_cksum = ~rte_raw_cksum(icmp, rte_be_to_cpu_16(ip->total_length) - 20);
    refresh_ip_checksum(m);
    return m;
}

TEST_CASE("vip: address set ownership, on-link subnets and broadcasts", "[net][vip]") {
    net::AddressSet set;
    CHECK(set.add({kOurIp, 24}));
    CHECK(set.add({kHostVip, 32}));
    CHECK_FALSE(set.add({kOurIp, 16}));  // the same address twice
    CHECK(set.size() == 2);
    CHECK(set.primary().addr == kOurIp);
    CHECK(set.owns(kHostVip));
    CHECK_FALSE(set.owns(kPeerIp));
    REQUIRE(set.on_link(kPeerIp));
    CHECK(set.on_link(kPeerIp)->addr == kOurIp);
    CHECK(set.on_link(kHostVip)->addr == kHostVip);
    CHECK_FALSE(set.on_link(0xC6130506));
    CHECK(set.is_subnet_broadcast(0xC61200FF));
    CHECK_FALSE(set.is_subnet_broadcast(0xC613FFFF));  // a /32 has none
    CHECK_FALSE(set.is_subnet_broadcast(0x0A0000FF));  // not our subnet
    for (uint32_t i = 0; set.size() < net::AddressSet::kMax; ++i)
        CHECK(set.add({0x0A000001 + i, 32}));
    CHECK_FALSE(set.add({0x0B000001, 32}));
}

TEST_CASE("vip: ARP for each owned address is answered from that address; others not",
          "[net][vip][arp]") {
    Fixture f(0, {kHostVip, 32});
    for (uint32_t vip : {kOurIp, kHostVip}) {
        f.input(arp_frame(RTE_ARP_OP_REQUEST, kPeerIp, vip));
        REQUIRE(f.sink.frames.size() == 1);
        auto* arp = reinterpret_cast<rte_arp_hdr*>(rte_pktmbuf_mtod(f.sink.frames[0], rte_ether_hdr*) + 1);
        CHECK(rte_be_to_cpu_16(arp->arp_opcode) == RTE_ARP_OP_REPLY);
        CHECK(rte_be_to_cpu_32(arp->arp_data.arp_sip) == vip);
        CHECK(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &kOurMac));
        rte_pktmbuf_free(f.sink.frames[0]);
        f.sink.frames.clear();
    }
    f.input(arp_frame(RTE_ARP_OP_REQUEST, kPeerIp, kVip));  // on our subnet, not ours
    f.input(arp_frame(RTE_ARP_OP_REQUEST, kHostVip, kOurIp));  // "from" one of ours
    CHECK(f.sink.frames.empty());
    CHECK(f.counters.ArpOutReplies == 2);
    CHECK(f.counters.ArpIgnored == 2);
}

TEST_CASE("vip: TCP to any owned address is handed up with that destination; ping answered "
          "from it", "[net][vip][ipv4]") {
    Fixture f(0, {kVip, 24});
    SegmentSpec spec;
    spec.dst = kVip;
    net::Ipv4Datagram d;
    rte_mbuf* m = tcp_frame(spec);
    REQUIRE(f.input(m, &d));
    CHECK(d.dst == kVip);
    rte_pktmbuf_free(m);

    spec.dst = kVip + 1;  // on the subnet, not ours
    CHECK_FALSE(f.input(tcp_frame(spec)));
    CHECK(f.counters.IpInAddrErrors == 1);
    spec.dst = kOurIp;
    spec.src = kVip;  // our own address as a source: martian
    CHECK_FALSE(f.input(tcp_frame(spec)));
    CHECK(f.counters.IpInMartians == 1);

    CHECK_FALSE(f.input(echo_request(kVip)));
    REQUIRE(f.sink.frames.size() == 1);
    rte_ipv4_hdr* rip = ip_of(f.sink.frames[0]);
    CHECK(rte_be_to_cpu_32(rip->src_addr) == kVip);
    CHECK(rte_be_to_cpu_32(rip->dst_addr) == kPeerIp);
    CHECK(f.counters.IcmpOutEchoReps == 1);
}

TEST_CASE("checksum: software TCP checksum matches the verifier", "[net][checksum]") {
    SegmentSpec spec;
    spec.payload = "odd length payload!";
    rte_mbuf* m = build_segment(spec);
    auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
    auto* th = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    th->cksum = 0x5555;
    ip->hdr_checksum = 0x5555;
    m->l2_len = 0;
    m->l3_len = 20;
    net::finish_tx_checksums(m, net::ChecksumOffloads{});
    CHECK(rte_ipv4_cksum(ip) == 0);
    CHECK(net::l4_checksum_ok(m, ip));
    th->cksum ^= 1;
    CHECK_FALSE(net::l4_checksum_ok(m, ip));
    rte_pktmbuf_free(m);
}

TEST_CASE("interface: random and truncated frames are dropped and counted, no mbuf leaks",
          "[net][robustness]") {
    unsigned before = rte_mempool_avail_count(test_pool());
    {
        Fixture f;
        std::mt19937 rng(99);
        for (int i = 0; i < 100000; ++i) {
            rte_mbuf* m;
            if (rng() % 2) {
                m = tcp_frame();  // a valid frame, then damaged at random
                uint16_t len = m->data_len;
                auto* p = rte_pktmbuf_mtod(m, uint8_t*);
                for (int k = rng() % 4; k >= 0; --k)
                    p[rng() % len] = static_cast<uint8_t>(rng());
                if (rng() % 3 == 0)
                    rte_pktmbuf_trim(m, static_cast<uint16_t>(rng() % len));
            } else {
                m = rte_pktmbuf_alloc(test_pool());
                uint16_t len = static_cast<uint16_t>(rng() % 200);
                auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len));
                for (uint16_t k = 0; k < len; ++k)
                    p[k] = static_cast<uint8_t>(rng());
                if (len >= 14) {  // often our MAC and a known EtherType
                    memcpy(p, &kOurMac, 6);
                    uint16_t types[] = {RTE_ETHER_TYPE_IPV4, RTE_ETHER_TYPE_ARP, 0x86dd};
                    uint16_t type = rte_cpu_to_be_16(types[rng() % 3]);
                    memcpy(p + 12, &type, 2);
                }
            }
            net::Ipv4Datagram d;
            if (f.iface->input(m, 1000 + i, d)) {
                CHECK(d.header_len == 20);
                CHECK(m->data_len == d.header_len + d.payload_len);
                rte_pktmbuf_free(m);
            }
        }
        for (auto* m : f.sink.frames)
            rte_pktmbuf_free(m);
        f.sink.frames.clear();
        CHECK(f.counters.RxPackets == 100000);
    }
    CHECK(rte_mempool_avail_count(test_pool()) == before);
}

TEST_CASE("arp: unanswered lookups (spoofed flood sources) do not crowd out real neighbours",
          "[net][arp]") {
    net::Counters counters;
    net::ArpTable table(8, 300'000'000);  // 2 buckets of 4
    table.counters = &counters;
    uint64_t now = 1'000'000;
    // A flood asks for many addresses that never answer.
    for (uint32_t ip = 1; ip <= 64; ++ip)
        table.lookup(0xC6120000 + ip, now);
    // A real client's ARP request arrives while those are still fresh: it
    // must be learned all the same.
    now += 1'000;
    rte_ether_addr mac{{2, 0, 0, 0, 0, 9}};
    table.learn(0xC61200FE, mac, now);
    auto found = table.lookup(0xC61200FE, now);
    REQUIRE(found.mac != nullptr);
    CHECK(rte_is_same_ether_addr(found.mac, &mac));
    // And a live, resolved neighbour is never evicted by new lookups.
    for (uint32_t ip = 100; ip <= 200; ++ip)
        table.lookup(0xC6120000 + ip, now + 10'000'000);
    CHECK(table.lookup(0xC61200FE, now + 10'000'000).mac != nullptr);
}

TEST_CASE("arp: a neighbour that ARPs us gets a slot even when live entries fill the table",
          "[net][arp]") {
    net::ArpTable table(8, 300'000'000);
    uint64_t now = 1'000'000;
    rte_ether_addr flood_mac{{2, 0, 0, 0, 0, 7}};
    for (uint32_t ip = 1; ip <= 64; ++ip)  // a flood whose spoofed sources all answer ARP
        table.learn(0xC6128000 + ip, flood_mac, now + ip);
    rte_ether_addr mac{{2, 0, 0, 0, 0, 9}};
    table.learn(0xC6120003, mac, now + 1'000);
    auto found = table.lookup(0xC6120003, now + 2'000);
    REQUIRE(found.mac != nullptr);
    CHECK(rte_is_same_ether_addr(found.mac, &mac));
}

TEST_CASE("interface: a reply built in a received frame goes back to its source MAC, "
          "with no ARP lookup", "[net][reply]") {
    Fixture f;
    SegmentSpec spec;
    spec.src = 0xC6120063;  // 198.18.0.99: never resolved
    rte_mbuf* m = tcp_frame(spec);
    net::Ipv4Datagram d;
    REQUIRE(f.input(m, &d));
    // As the engine does for a RST: swap the addresses in place.
    auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
    rte_be32_t peer = ip->src_addr;
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = peer;
    f.iface->reply(m);
    REQUIRE(f.sink.frames.size() == 1);
    auto* eth = rte_pktmbuf_mtod(f.sink.frames[0], rte_ether_hdr*);
    CHECK(rte_is_same_ether_addr(&eth->dst_addr, &kPeerMac));
    CHECK(rte_is_same_ether_addr(&eth->src_addr, &kOurMac));
    CHECK(f.counters.ArpOutRequests == 0);
    CHECK(rte_ipv4_cksum(reinterpret_cast<rte_ipv4_hdr*>(eth + 1)) == 0);
}
