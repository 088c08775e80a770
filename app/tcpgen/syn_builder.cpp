#include "app/tcpgen/syn_builder.hpp"

#include <cstdio>
#include <cstring>
#include <vector>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

namespace tcpterm::tcpgen {

namespace {

// One's complement sum of 16-bit words as they lie in memory (the same
// convention as rte_raw_cksum), unfolded.
uint32_t raw_sum(const uint8_t* p, size_t len) {
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint16_t w;
        std::memcpy(&w, p + i, 2);
        s += w;
    }
    if (len & 1) {
        uint16_t w = 0;
        std::memcpy(&w, p + len - 1, 1);
        s += w;
    }
    return s;
}

inline uint16_t load16(const uint8_t* p) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    return w;
}

inline uint16_t fold(uint32_t s) {
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

}  // namespace

SynBuilder::SynBuilder(const Options& o, const rte_ether_addr& src_mac) {
    // TCP options in the order Linux puts them: MSS, SACK-permitted, TS, WS.
    uint8_t opts[40];
    size_t n = 0;
    opts[n++] = 2;
    opts[n++] = 4;
    opts[n++] = static_cast<uint8_t>(o.syn.mss >> 8);
    opts[n++] = static_cast<uint8_t>(o.syn.mss);
    size_t ts_at = 0;
    if (o.syn.sack && o.syn.timestamps) {
        opts[n++] = 4;
        opts[n++] = 2;
    } else if (o.syn.sack || o.syn.timestamps) {
        opts[n++] = 1;
        opts[n++] = 1;
        if (o.syn.sack) {
            opts[n++] = 4;
            opts[n++] = 2;
        }
    }
    if (o.syn.timestamps) {
        opts[n++] = 8;
        opts[n++] = 10;
        ts_at = n;
        std::memset(opts + n, 0, 8);  // TSval (per packet), TSecr 0
        n += 8;
    }
    if (o.syn.window_scale) {
        opts[n++] = 1;
        opts[n++] = 3;
        opts[n++] = 3;
        opts[n++] = o.syn.wscale;
    }
    while (n % 4)
        opts[n++] = 0;  // EOL padding
    uint16_t tcp_len = static_cast<uint16_t>(20 + n);
    len_ = static_cast<uint16_t>(kTcpOff + tcp_len);
    tsval_off_ = o.syn.timestamps ? static_cast<uint16_t>(kTcpOff + 20 + ts_at) : 0;

    auto* eth = reinterpret_cast<rte_ether_hdr*>(tmpl_);
    eth->src_addr = src_mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(tmpl_ + kIpOff);
    ip->version_ihl = 0x45;
    ip->type_of_service = 0;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(20 + tcp_len));
    ip->packet_id = 0;
    ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_TCP;
    ip->hdr_checksum = 0;
    ip->src_addr = 0;
    ip->dst_addr = rte_cpu_to_be_32(o.target_addr);
    auto* th = reinterpret_cast<rte_tcp_hdr*>(tmpl_ + kTcpOff);
    th->src_port = 0;
    th->dst_port = rte_cpu_to_be_16(o.target_port);
    th->sent_seq = 0;
    th->recv_ack = 0;
    th->data_off = static_cast<uint8_t>((tcp_len / 4) << 4);
    th->tcp_flags = RTE_TCP_SYN_FLAG;
    th->rx_win = rte_cpu_to_be_16(64240);  // what Linux offers in a SYN
    th->cksum = 0;
    th->tcp_urp = 0;
    std::memcpy(th + 1, opts, n);

    ip_base_ = raw_sum(tmpl_ + kIpOff, 20);
    // Pseudo header (RFC 9293 §3.1) without the source address, plus the
    // fixed part of the segment (variable fields are zero in the template).
    uint8_t pseudo[12] = {};
    std::memcpy(pseudo + 4, &ip->dst_addr, 4);
    pseudo[9] = IPPROTO_TCP;
    pseudo[10] = static_cast<uint8_t>(tcp_len >> 8);
    pseudo[11] = static_cast<uint8_t>(tcp_len);
    tcp_base_ = raw_sum(pseudo, sizeof(pseudo)) + raw_sum(tmpl_ + kTcpOff, tcp_len);

    src_base_ = o.flood_prefix.addr & o.flood_prefix.mask();
    host_mask_ = ~o.flood_prefix.mask();
    avoid_edges_ = o.flood_prefix.length < 31;
}

void SynBuilder::set_dst_mac(const rte_ether_addr& mac) {
    reinterpret_cast<rte_ether_hdr*>(tmpl_)->dst_addr = mac;
}

void SynBuilder::fill(uint8_t* f, Rng& rng) const {
    std::memcpy(f, tmpl_, len_);
    uint64_t r1 = rng.next();
    uint64_t r2 = rng.next();
    uint32_t host = static_cast<uint32_t>(r1) & host_mask_;
    if (avoid_edges_ && (host == 0 || host == host_mask_))
        host ^= 1;  // not the network or broadcast address
    uint32_t src = rte_cpu_to_be_32(src_base_ | host);
    // Ephemeral-looking source ports, 1024..65535.
    uint16_t sport = rte_cpu_to_be_16(
        static_cast<uint16_t>(1024 + (((r1 >> 32) & 0xffff) * 64512 >> 16)));
    uint32_t seq = static_cast<uint32_t>(r2);
    uint16_t id = static_cast<uint16_t>(r1 >> 48);

    std::memcpy(f + kIpOff + 4, &id, 2);
    std::memcpy(f + kIpOff + 12, &src, 4);
    uint32_t s = ip_base_ + load16(f + kIpOff + 4) + load16(f + kIpOff + 12) + load16(f + kIpOff + 14);
    uint16_t ip_cksum = static_cast<uint16_t>(~fold(s));
    std::memcpy(f + kIpOff + 10, &ip_cksum, 2);

    std::memcpy(f + kTcpOff, &sport, 2);
    std::memcpy(f + kTcpOff + 4, &seq, 4);
    uint32_t t = tcp_base_ + load16(f + kIpOff + 12) + load16(f + kIpOff + 14) + load16(f + kTcpOff) +
                 load16(f + kTcpOff + 4) + load16(f + kTcpOff + 6);
    if (tsval_off_) {
        uint32_t tsval = static_cast<uint32_t>(r2 >> 32);
        std::memcpy(f + tsval_off_, &tsval, 4);
        t += load16(f + tsval_off_) + load16(f + tsval_off_ + 2);
    }
    uint16_t tcp_cksum = static_cast<uint16_t>(~fold(t));
    std::memcpy(f + kTcpOff + 16, &tcp_cksum, 2);
}

void SynBuilder::build(rte_mbuf* m, Rng& rng) const {
    fill(rte_pktmbuf_mtod(m, uint8_t*), rng);
    m->data_len = len_;
    m->pkt_len = len_;
}

bool SynBuilder::self_test(unsigned n) const {
    Rng rng{0x1234567};
    std::vector<uint8_t> buf(len_ + 8);
    for (unsigned i = 0; i < n; ++i) {
        fill(buf.data(), rng);
        auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(buf.data() + kIpOff);
        bool ip_ok = rte_raw_cksum(ip, 20) == 0xffff;
        bool tcp_ok = rte_ipv4_udptcp_cksum_verify(ip, buf.data() + kTcpOff) == 0;
        uint32_t src = rte_be_to_cpu_32(ip->src_addr);
        bool src_ok = (src & ~host_mask_) == src_base_;
        if (!ip_ok || !tcp_ok || !src_ok) {
            std::fprintf(stderr, "tcpgen: SYN self-test failed at packet %u (ip %d tcp %d src %d)\n",
                         i, ip_ok, tcp_ok, src_ok);
            return false;
        }
    }
    return true;
}

}  // namespace tcpterm::tcpgen
