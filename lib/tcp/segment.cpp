#include "lib/tcp/segment.hpp"

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "lib/net/checksum.hpp"

namespace tcpterm::tcp {

ParseResult parse_segment(rte_mbuf* m, uint32_t src, uint32_t dst, uint16_t ip_header_len,
                          uint16_t ip_payload_len, Segment& out) {
    if (ip_payload_len < sizeof(rte_tcp_hdr))
        return ParseResult::BadHeader;
    auto* ip = rte_pktmbuf_mtod(m, const rte_ipv4_hdr*);
    auto* th = rte_pktmbuf_mtod_offset(m, const rte_tcp_hdr*, ip_header_len);
    uint16_t tcp_header_len = (th->data_off >> 4) * 4;
    if (tcp_header_len < sizeof(rte_tcp_hdr) || tcp_header_len > ip_payload_len)
        return ParseResult::BadHeader;
    if (th->src_port == 0 || th->dst_port == 0)
        return ParseResult::BadHeader;
    if (!net::l4_checksum_ok(m, ip))
        return ParseResult::BadChecksum;
    out.opts.reset();
    if (!parse_options(reinterpret_cast<const uint8_t*>(th + 1),
                       tcp_header_len - sizeof(rte_tcp_hdr), out.opts))
        return ParseResult::BadOptions;
    out.m = m;
    out.key = FlowKey{src, dst, rte_be_to_cpu_16(th->src_port), rte_be_to_cpu_16(th->dst_port)};
    out.seq = Seq(rte_be_to_cpu_32(th->sent_seq));
    out.ack = Seq(rte_be_to_cpu_32(th->recv_ack));
    out.flags = th->tcp_flags;
    out.ip_ecn = ip->type_of_service & 3;
    out.window = rte_be_to_cpu_16(th->rx_win);
    out.payload_offset = ip_header_len + tcp_header_len;
    out.payload_len = ip_payload_len - tcp_header_len;
    return ParseResult::Ok;
}

}  // namespace tcpterm::tcp
