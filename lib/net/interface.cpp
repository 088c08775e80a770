#include "lib/net/interface.hpp"

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

namespace tcpterm::net {

namespace {

constexpr uint16_t kEthLen = sizeof(rte_ether_hdr);

bool is_martian_source(uint32_t src, const AddressSet& ours) {
    uint8_t first = src >> 24;
    return src == 0 || src == 0xffffffff || first == 127 || first >= 224 || ours.owns(src) ||
           ours.is_subnet_broadcast(src);
}

}  // namespace

Interface::Interface(const InterfaceConfig& config, Counters& counters, FrameSink& sink,
                     rte_mempool* pool)
    : config_(config),
      counters_(counters),
      sink_(sink),
      pool_(pool),
      arp_(config.arp_entries, config.arp_reachable_us) {
    arp_.counters = &counters_;
}

bool Interface::input(rte_mbuf* m, uint64_t now, Ipv4Datagram& tcp) {
    ++counters_.RxPackets;
    if (m->nb_segs != 1) {
        ++counters_.RxMultiSegDropped;
        rte_pktmbuf_free(m);
        return false;
    }
    if (m->data_len < kEthLen) {
        ++counters_.EthTooShort;
        rte_pktmbuf_free(m);
        return false;
    }
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    if (!rte_is_same_ether_addr(&eth->dst_addr, &config_.mac) &&
        !rte_is_broadcast_ether_addr(&eth->dst_addr)) {
        ++counters_.EthNotForUs;
        rte_pktmbuf_free(m);
        return false;
    }
    uint16_t type = rte_be_to_cpu_16(eth->ether_type);
    if (type == RTE_ETHER_TYPE_ARP) {
        input_arp(m, now);
        return false;
    }
    if (type != RTE_ETHER_TYPE_IPV4) {
        ++counters_.EthUnknownType;
        rte_pktmbuf_free(m);
        return false;
    }

    ++counters_.IpInReceives;
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    uint16_t avail = m->data_len - kEthLen;
    if (avail < sizeof(rte_ipv4_hdr) || (ip->version_ihl >> 4) != 4) {
        ++counters_.IpInHdrErrors;
        rte_pktmbuf_free(m);
        return false;
    }
    uint16_t hlen = rte_ipv4_hdr_len(ip);
    uint16_t total = rte_be_to_cpu_16(ip->total_length);
    uint64_t ip_cksum = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    if (hlen < sizeof(rte_ipv4_hdr) || hlen > avail || total < hlen || total > avail ||
        ip_cksum == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
        (ip_cksum != RTE_MBUF_F_RX_IP_CKSUM_GOOD && rte_raw_cksum(ip, hlen) != 0xffff)) {
        ++counters_.IpInHdrErrors;
        rte_pktmbuf_free(m);
        return false;
    }
    if (hlen != sizeof(rte_ipv4_hdr)) {
        ++counters_.IpOptionsDropped;
        rte_pktmbuf_free(m);
        return false;
    }
    if (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
        ++counters_.IpFragDropped;
        rte_pktmbuf_free(m);
        return false;
    }
    uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
    uint32_t src = rte_be_to_cpu_32(ip->src_addr);
    if (!config_.addresses.owns(dst)) {
        ++counters_.IpInAddrErrors;
        rte_pktmbuf_free(m);
        return false;
    }
    if (is_martian_source(src, config_.addresses)) {
        ++counters_.IpInMartians;
        rte_pktmbuf_free(m);
        return false;
    }
    // Ethernet pads short frames: cut the mbuf to the datagram's own length.
    rte_pktmbuf_trim(m, avail - total);

    switch (ip->next_proto_id) {
    case IPPROTO_ICMP:
        input_icmp(m, eth, total);
        return false;
    case IPPROTO_TCP:
        rte_pktmbuf_adj(m, kEthLen);
        m->l2_len = 0;
        m->l3_len = hlen;
        tcp.src = src;
        tcp.dst = dst;
        tcp.header_len = hlen;
        tcp.payload_len = total - hlen;
        return true;
    default:
        ++counters_.IpInUnknownProtos;
        rte_pktmbuf_free(m);
        return false;
    }
}

void Interface::input_icmp(rte_mbuf* m, rte_ether_hdr* eth, uint16_t ip_len) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    uint16_t icmp_len = ip_len - sizeof(rte_ipv4_hdr);
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
    if (icmp_len < sizeof(rte_icmp_hdr) || rte_raw_cksum(icmp, icmp_len) != 0xffff) {
        ++counters_.IcmpInErrors;
        rte_pktmbuf_free(m);
        return;
    }
    if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
        ++counters_.IcmpInIgnored;
        rte_pktmbuf_free(m);
        return;
    }
    ++counters_.IcmpInEchos;
    // Answer in place, as DPDK's icmpecho does: swap addresses, flip the type.
    rte_ether_addr peer_mac = eth->src_addr;
    eth->dst_addr = peer_mac;
    eth->src_addr = config_.mac;
    rte_be32_t peer_ip = ip->src_addr;
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = peer_ip;
    ip->time_to_live = 64;
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    icmp->icmp_cksum = 0;
    icmp->icmp_cksum = ~rte_raw_cksum(icmp, icmp_len);
    m->l2_len = kEthLen;
    m->l3_len = sizeof(rte_ipv4_hdr);
    finish_tx_checksums(m, config_.tx_offloads);
    ++counters_.IcmpOutEchoReps;
    sink_.send_frame(m);
}

void Interface::input_arp(rte_mbuf* m, uint64_t now) {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    if (m->data_len < kEthLen + sizeof(rte_arp_hdr)) {
        ++counters_.ArpMalformed;
        rte_pktmbuf_free(m);
        return;
    }
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
        arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
        arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4) {
        ++counters_.ArpMalformed;
        rte_pktmbuf_free(m);
        return;
    }
    uint32_t sender = rte_be_to_cpu_32(arp->arp_data.arp_sip);
    uint32_t target = rte_be_to_cpu_32(arp->arp_data.arp_tip);
    uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
    // Any of our addresses is answered, to an on-link sender that is not
    // one of them (a duplicate would be a conflict, not a neighbour).
    if (!config_.addresses.owns(target) || config_.addresses.owns(sender) ||
        !config_.addresses.on_link(sender) || sender == 0) {
        ++counters_.ArpIgnored;
        rte_pktmbuf_free(m);
        return;
    }
    // RFC 826: the sender's mapping is learned from both requests and replies
    // addressed to us.
    rte_ether_addr sender_mac = arp->arp_data.arp_sha;
    learn_neighbor(sender, sender_mac, now);
    if (observer_)
        observer_->neighbor_learned(sender, sender_mac);

    if (op == RTE_ARP_OP_REPLY) {
        ++counters_.ArpInReplies;
        rte_pktmbuf_free(m);
        return;
    }
    if (op != RTE_ARP_OP_REQUEST) {
        ++counters_.ArpMalformed;
        rte_pktmbuf_free(m);
        return;
    }
    ++counters_.ArpInRequests;
    // Turn the request into the reply in place.
    eth->dst_addr = sender_mac;
    eth->src_addr = config_.mac;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = sender_mac;
    arp->arp_data.arp_tip = arp->arp_data.arp_sip;
    arp->arp_data.arp_sha = config_.mac;
    arp->arp_data.arp_sip = rte_cpu_to_be_32(target);
    rte_pktmbuf_trim(m, m->data_len - (kEthLen + sizeof(rte_arp_hdr)));
    ++counters_.ArpOutReplies;
    sink_.send_frame(m);
}

void Interface::learn_neighbor(uint32_t ip, const rte_ether_addr& mac, uint64_t now) {
    if (rte_mbuf* held = arp_.learn(ip, mac, now))
        transmit(held, mac);
}

void Interface::send_arp_request(uint32_t target, uint64_t now) {
    if (now / 1'000'000 != arp_second_) {
        arp_second_ = now / 1'000'000;
        arp_sent_this_second_ = 0;
    }
    if (arp_sent_this_second_ >= config_.arp_requests_per_second) {
        ++counters_.ArpRequestsLimited;
        return;
    }
    ++arp_sent_this_second_;
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (!m) {
        ++counters_.MbufAllocFailed;
        return;
    }
    // From our address on the target's subnet, so that its reply (and the
    // mapping it learns of us) stays on that subnet.
    const Ipv4Prefix* from = config_.addresses.on_link(target);
    uint32_t source = from ? from->addr : config_.addresses.primary().addr;
    if (!write_arp_request(m, config_.mac, source, target)) {
        rte_pktmbuf_free(m);
        return;
    }
    ++counters_.ArpOutRequests;
    sink_.send_frame(m);
}

void Interface::output(rte_mbuf* m, uint64_t now) {
    auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
    uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
    uint32_t next_hop = dst;
    if (!config_.addresses.on_link(dst)) {
        if (config_.gateway == 0) {
            ++counters_.IpOutNoRoutes;
            rte_pktmbuf_free(m);
            return;
        }
        next_hop = config_.gateway;
    }
    ArpTable::Lookup found = arp_.lookup(next_hop, now);
    if (found.should_probe)
        send_arp_request(next_hop, now);
    if (found.mac)
        transmit(m, *found.mac);
    else
        arp_.hold(next_hop, m, now);
}

void Interface::reply(rte_mbuf* m) {
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(m, kEthLen));
    if (!eth) {
        rte_pktmbuf_free(m);
        return;
    }
    // The received Ethernet header is intact: input() only moved data_off.
    eth->dst_addr = eth->src_addr;
    eth->src_addr = config_.mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    m->l2_len = kEthLen;
    finish_tx_checksums(m, config_.tx_offloads);
    sink_.send_frame(m);
}

void Interface::transmit(rte_mbuf* m, const rte_ether_addr& dst) {
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(m, kEthLen));
    if (!eth) {  // every mbuf we build keeps headroom; a foreign one might not
        rte_pktmbuf_free(m);
        return;
    }
    eth->dst_addr = dst;
    eth->src_addr = config_.mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    m->l2_len = kEthLen;
    finish_tx_checksums(m, config_.tx_offloads);
    sink_.send_frame(m);
}

}  // namespace tcpterm::net
