#include "tests/common/segment_builder.hpp"

#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "lib/tcp/segment.hpp"

namespace tcpterm::test {

rte_mbuf* craft_segment(rte_mempool* pool, const SegmentSpec& spec) {
    uint8_t opts[40];
    size_t opt_len;
    if (spec.raw_options) {
        // The AO option (16 bytes) must still fit behind raw ones.
        if (spec.raw_options_len > sizeof(opts) - (spec.ao ? 16 : 0))
            return nullptr;
        opt_len = spec.raw_options_len;
        memcpy(opts, spec.raw_options, opt_len);
    } else if (spec.flags & tcp::kSyn) {
        opt_len = tcp::write_syn_options(opts, spec.opts);
    } else {
        opt_len = tcp::write_data_options(opts, spec.opts);
    }
    size_t ao_at = opt_len;
    if (spec.ao)
        opt_len += tcp::write_ao_option(opts + opt_len, spec.ao->send_id, spec.ao->recv_id);
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr)
        return nullptr;
    uint16_t total = static_cast<uint16_t>(20 + 20 + opt_len + spec.payload.size());
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, total));
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p);
    memset(ip, 0, sizeof(*ip));
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(total);
    ip->time_to_live = 64;
    ip->type_of_service = spec.ip_ecn;
    ip->next_proto_id = IPPROTO_TCP;
    ip->src_addr = rte_cpu_to_be_32(spec.src);
    ip->dst_addr = rte_cpu_to_be_32(spec.dst);
    auto* th = reinterpret_cast<rte_tcp_hdr*>(p + 20);
    th->src_port = rte_cpu_to_be_16(spec.src_port);
    th->dst_port = rte_cpu_to_be_16(spec.dst_port);
    th->sent_seq = rte_cpu_to_be_32(spec.seq);
    th->recv_ack = rte_cpu_to_be_32(spec.ack);
    th->data_off = static_cast<uint8_t>(((20 + (opt_len + 3) / 4 * 4) / 4) << 4);
    th->tcp_flags = spec.flags;
    th->rx_win = rte_cpu_to_be_16(spec.window);
    th->cksum = 0;
    th->tcp_urp = 0;
    memcpy(th + 1, opts, opt_len);
    memcpy(p + 40 + opt_len, spec.payload.data(), spec.payload.size());
    if (spec.ao) {
        tcp::AoTrafficKey key = tcp::ao_traffic_key(*spec.ao, spec.src, spec.dst, spec.src_port,
                                                    spec.dst_port, spec.ao_src_isn, spec.ao_dst_isn);
        tcp::AoMac mac = tcp::ao_mac(spec.ao->alg, key, spec.ao_sne, p, total, uint16_t(20 + ao_at));
        memcpy(p + 40 + ao_at + 4, mac.data(), mac.size());
    }
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    th->cksum = rte_ipv4_udptcp_cksum(ip, th);
    return m;
}

}  // namespace tcpterm::test
