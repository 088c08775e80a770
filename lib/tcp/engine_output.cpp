// Building segments and deciding what to send (RFC 9293 §3.8, RFC 5681).
#include <algorithm>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

namespace {
constexpr uint16_t kIpLen = sizeof(rte_ipv4_hdr);
constexpr uint16_t kTcpLen = sizeof(rte_tcp_hdr);
// IPv4 IDs reveal no counter (RFC 6864, RFC 7739 §5): every datagram we
// send is atomic (DF set, never fragmented), so a connection's segments
// count up from a random start of their own and replies that have no
// connection (RST, cookie SYN-ACK, TIME_WAIT ACK) carry 0, as Linux does.
constexpr uint16_t kStatelessIpId = 0;

void fill_ipv4(rte_ipv4_hdr* ip, uint32_t src, uint32_t dst, uint16_t total_len, uint16_t id,
               uint8_t ecn) {
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = ecn;  // DSCP 0
    ip->total_length = rte_cpu_to_be_16(total_len);
    ip->packet_id = rte_cpu_to_be_16(id);
    ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_TCP;
    ip->hdr_checksum = 0;
    ip->src_addr = rte_cpu_to_be_32(src);
    ip->dst_addr = rte_cpu_to_be_32(dst);
}
// Writes the IPv4 and TCP headers (and options) of a segment from `key`'s
// local end at p, the mbuf's data start, and the lengths DPDK's offloads read.
void write_headers(rte_mbuf* m, uint8_t* p, const FlowKey& key, uint16_t ip_id, Seq seq, Seq ack,
                   uint8_t flags, uint16_t window, const uint8_t* options, size_t options_len,
                   uint32_t payload_len, uint8_t ecn = kNotEct) {
    uint16_t header_len = static_cast<uint16_t>(kIpLen + kTcpLen + options_len);
    fill_ipv4(reinterpret_cast<rte_ipv4_hdr*>(p), key.laddr, key.raddr,
              static_cast<uint16_t>(header_len + payload_len), ip_id, ecn);
    auto* th = reinterpret_cast<rte_tcp_hdr*>(p + kIpLen);
    th->src_port = rte_cpu_to_be_16(key.lport);
    th->dst_port = rte_cpu_to_be_16(key.rport);
    th->sent_seq = rte_cpu_to_be_32(seq.v);
    th->recv_ack = rte_cpu_to_be_32((flags & kAck) ? ack.v : 0);
    th->data_off = static_cast<uint8_t>(((kTcpLen + options_len) / 4) << 4);
    th->tcp_flags = flags;
    th->rx_win = rte_cpu_to_be_16(window);
    th->cksum = 0;
    th->tcp_urp = 0;
    // Options come in whole words (at most 10): a word loop, not a call to
    // memcpy; none at all when the caller wrote them in place.
    auto* opt = reinterpret_cast<uint8_t*>(th + 1);
    if (options != opt)
        for (size_t i = 0; i < options_len; i += 4)
            memcpy(opt + i, options + i, 4);
    m->l2_len = 0;
    m->l3_len = kIpLen;
    m->l4_len = static_cast<uint8_t>(kTcpLen + options_len);
}
}  // namespace

// How many SACK blocks a segment carrying len payload bytes may hold: what
// fits in 40 bytes of options beside TS (12) and TCP-AO (16), and, on a
// data segment, in the room its payload leaves within the MSS. snd_mss
// already leaves out TS and TCP-AO; SACK blocks are not reserved there, so
// a full-sized segment that carried them would exceed the MTU (and be
// dropped on the way, silently).
// Payloads shorter than this are copied: two indirect mbufs cost more than
// the copy. Beyond this many send-queue buffers per segment (a peer's
// tiny segments spliced through) a copy is cheaper too.
constexpr uint32_t kZeroCopyMinPayload = 256;
constexpr uint16_t kZeroCopyMaxSegments = 8;
// A TSO frame's chain: 64 KB in send-queue buffers of 2 KB or more, or
// fewer bytes in smaller ones.
constexpr uint16_t kTsoMaxSegments = 40;

// How many payload bytes one frame may carry: one segment, or with TSO
// (not under TCP-AO, whose MAC covers each segment) as much as the port
// takes in whole segments.
uint32_t Engine::tso_burst(const Tcb& t, uint32_t mss) const {
    if (config_.tso_max < 2 * mss || !config_.tx_chains || t.ao)
        return mss;
    return config_.tso_max / mss * mss;
}

uint8_t Engine::sack_room(const Tcb& t, uint32_t len) const {
    if (!t.sack_ok || (!t.dsack_pending && t.ooo.empty()))
        return 0;
    uint8_t room = t.ao ? (t.ts_ok ? 1 : 2) : (t.ts_ok ? 3 : 4);
    if (len > 0) {
        uint32_t spare = t.snd_mss > len ? t.snd_mss - len : 0;  // NOP, NOP, kind, len, 8 a block
        room = static_cast<uint8_t>(std::min<uint32_t>(room, spare >= 12 ? (spare - 4) / 8 : 0));
    }
    return room;
}

// The payload of a full-sized segment now (RFC 9293 §3.7.1: Eff.snd.MSS
// counts the options the segment carries): less while SACK blocks are owed,
// as Linux's tcp_current_mss, so that they ride on the data.
uint32_t Engine::effective_mss(const Tcb& t) const {
    if (!t.sack_ok || (!t.dsack_pending && t.ooo.empty()))
        return t.snd_mss;
    SackBlock blocks[kMaxSackBlocks];
    uint8_t room = t.ao ? (t.ts_ok ? 1 : 2) : (t.ts_ok ? 3 : 4);
    uint32_t count = (t.dsack_pending ? 1u : 0u) + t.ooo.sack_blocks(blocks, room);
    count = std::min<uint32_t>(count, room);
    return t.snd_mss - std::min<uint32_t>(t.snd_mss / 2, 4 + 8 * count);
}

// The window field for an outgoing segment; moves rcv_adv (RFC 9293
// §3.8.6.2.2: never shrink the window; open it only by a useful amount).
uint16_t Engine::advertise_window(Tcb& t) {
    Seq right = t.rcv_nxt + receive_space(t);
    uint32_t threshold = std::min<uint32_t>(t.rcvbuf / 2, t.snd_mss);
    if (right < t.rcv_adv || (right - t.rcv_adv < static_cast<int32_t>(threshold) &&
                              t.rcv_adv > t.rcv_nxt))
        right = seq_max(t.rcv_adv, t.rcv_nxt);
    uint32_t wnd = static_cast<uint32_t>(right - t.rcv_nxt);
    wnd = std::min<uint32_t>(wnd, uint32_t{65535} << t.rcv_wscale);
    uint16_t field = static_cast<uint16_t>(wnd >> t.rcv_wscale);
    t.rcv_adv = seq_max(t.rcv_adv, t.rcv_nxt + (uint32_t{field} << t.rcv_wscale));
    return field;
}

// Our UTO option (RFC 5482) on a SYN or SYN-ACK when configured: seconds, or
// minutes when seconds do not fit 15 bits (§4.1).
void Engine::advertise_user_timeout(TcpOptions& o) const {
    if (!config_.uto_advertise || config_.user_timeout_us == 0)
        return;
    uint64_t seconds = config_.user_timeout_us / 1'000'000;
    o.has_user_timeout = true;
    o.user_timeout_minutes = seconds > 0x7fff;
    o.user_timeout = static_cast<uint16_t>(
        std::min<uint64_t>(o.user_timeout_minutes ? (seconds + 59) / 60 : seconds, 0x7fff));
}

uint8_t* Engine::emit(const FlowKey& key, Seq seq, Seq ack, uint8_t flags, uint16_t window,
                      const uint8_t* options, size_t options_len, uint32_t len, rte_mbuf** out,
                      uint8_t ecn, uint16_t ip_id, rte_mbuf* by_reference) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    uint16_t header_len = static_cast<uint16_t>(kIpLen + kTcpLen + options_len);
    uint32_t inline_len = by_reference ? 0 : len;
    auto* p = m ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(header_len + inline_len)))
                : nullptr;
    if (!p) {
        rte_pktmbuf_free(m);
        rte_pktmbuf_free(by_reference);
        ++counters_.TCPSendAllocFail;
        return nullptr;
    }
    write_headers(m, p, key, ip_id, seq, ack, flags, window, options, options_len, len, ecn);
    if (by_reference)
        rte_pktmbuf_chain(m, by_reference);  // a few segments: nb_segs cannot overflow
    ++counters_.OutSegs;
    *out = m;
    return p + header_len;
}

void Engine::send_segment(Tcb& t, Seq seq, uint32_t len, uint8_t flags) {
    TcpOptions o;
    if (t.ts_ok) {
        o.has_timestamps = true;
        o.ts_val = ts_now(t);
        o.ts_ecr = t.ts_recent;
    }
    uint8_t opt_buf[40];
    uint16_t window;
    size_t opt_len;
    if (flags & kSyn) {
        o.has_mss = true;
        o.mss = config_.mss;
        o.has_window_scale = t.ws_ok;
        o.window_scale = t.rcv_wscale;
        o.sack_permitted = t.sack_ok;
        advertise_user_timeout(o);
        opt_len = write_syn_options(opt_buf, o);
        // A SYN's window is never scaled (RFC 7323 §2.2).
        uint32_t space = std::min<uint32_t>(config_.rcvbuf, 65535);
        window = static_cast<uint16_t>(space);
        t.rcv_adv = t.rcv_nxt + space;
    } else {
        uint8_t room = sack_room(t, len);
        if (room > 0) {
            // A D-SACK block goes first (RFC 2883 §4), once.
            if (t.dsack_pending) {
                o.sack[0] = t.dsack;
                o.sack_count = 1;
                t.dsack_pending = false;
            }
            o.sack_count += t.ooo.sack_blocks(o.sack + o.sack_count, room - o.sack_count);
            ++counters_.TCPSACKBlocksSent;
        }
        opt_len = write_data_options(opt_buf, o);
        window = advertise_window(t);
    }
    size_t ao_at = opt_len;
    if (t.ao)
        opt_len += write_ao_option(opt_buf + opt_len, t.ao->send_id, t.ao->recv_id);
    uint8_t ecn = t.ecn_ok ? ecn_marking(t, seq, len, flags) : uint8_t{kNotEct};
    // Zero copy where the port takes chains: the payload goes as references
    // to the send queue's mbufs. Not for TCP-AO (its MAC reads the payload
    // in one piece) nor for short payloads, cheaper copied than referenced.
    rte_mbuf* by_reference = nullptr;
    uint32_t offset = static_cast<uint32_t>(seq - t.snd_una);
    if (len >= kZeroCopyMinPayload && config_.tx_chains && !t.ao)
        by_reference = t.sendq.reference(offset, len, pool_,
                                         len > t.snd_mss ? kTsoMaxSegments : kZeroCopyMaxSegments);
    if (len > t.snd_mss && !by_reference) {  // a TSO frame fits no single buffer
        ++counters_.TCPSendAllocFail;
        return;
    }
    rte_mbuf* m = nullptr;
    uint8_t* payload = emit(t.key, seq, t.rcv_nxt, flags, window, opt_buf, opt_len, len, &m, ecn,
                            t.ip_id++, by_reference);
    if (!payload)
        return;
    if (len > 0 && !by_reference)
        t.sendq.copy_out(offset, len, payload);
    uint32_t seg_mss = len > t.snd_mss ? effective_mss(t) : len;
    if (len > t.snd_mss) {  // a TSO frame: the port cuts it at seg_mss
        m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
        m->tso_segsz = static_cast<uint16_t>(seg_mss);
        ++counters_.TCPTSOFrames;
        counters_.OutSegs += (len + seg_mss - 1) / seg_mss - 1;  // emit counted one
    }
    if (t.ao)  // last: the MAC covers the header, options and payload
        ao_sign(t, m, seq, flags, static_cast<uint16_t>(kTcpLen + ao_at));
    if (flags & kAck) {
        t.last_ack_sent = t.rcv_nxt;
        ack_sent(t);
    }
    Seq end = seq + len + ((flags & kSyn) ? 1 : 0) + ((flags & kFin) ? 1 : 0);
    if (end > t.snd_max) {
        if (!(flags & kSyn)) {  // new sequence space: a record on the scoreboard per segment
            uint32_t bytes = static_cast<uint32_t>(end - t.snd_max) - ((flags & kFin) ? 1 : 0);
            Seq at = t.snd_max;
            do {
                uint32_t piece = seg_mss > 0 ? std::min(bytes, seg_mss) : bytes;
                bool last = piece == bytes;
                bool idle = t.sb.empty();
                t.sb.sent(at, piece, last && (flags & kFin) != 0, now_);
                if (!t.sb.empty())
                    t.rate.on_sent(t.sb.back(), now_, idle);
                at += piece;
                bytes -= piece;
            } while (bytes > 0);
        }
        t.snd_max = end;
    }
    out_.send_datagram(m);
}

void Engine::send_syn_ack(Tcb& t) {
    send_segment(t, t.iss, 0, kSyn | kAck);
    t.snd_nxt = t.iss + 1;
}

// <SEQ=SND.NXT><CTL=RST>, with the ACK a peer's RFC 5961 check expects.
void Engine::send_rst(Tcb& t) {
    ++counters_.OutRsts;
    send_segment(t, t.snd_max, 0, kRst | kAck);
}

void Engine::output(Tcb& t) {
    bool data_state = t.state == State::Established || t.state == State::CloseWait ||
                      t.state == State::FinWait1 || t.state == State::Closing ||
                      t.state == State::LastAck;
    bool sent = false;
    if (t.snd_max == t.snd_una)
        t.stall_since = now_;  // the user timeout counts from the first unacknowledged send
    if (data_state)
        send_lost(t);
    while (data_state) {
        // New data: within the peer's window (RFC 9293 §3.8.6.2.1) and the
        // congestion window less what is in the network (RFC 6675 pipe).
        uint32_t flight = static_cast<uint32_t>(t.snd_nxt - t.snd_una);
        uint32_t avail = t.sendq.bytes > flight ? t.sendq.bytes - flight : 0;
        uint32_t pipe = t.sb.pipe();
        uint32_t peer_room = t.snd_wnd > flight ? t.snd_wnd - flight : 0;
        uint32_t cwnd_room = t.cc.cwnd > pipe ? t.cc.cwnd - pipe : 0;
        uint32_t mss = effective_mss(t);
        uint32_t len = std::min({avail, peer_room, cwnd_room, tso_burst(t, mss)});
        if (len > mss)
            len -= len % mss;  // whole segments in a TSO frame; a short tail goes alone
        bool fin = t.fin_queued && t.snd_nxt + len == t.fin_seq;
        if (len == 0 && !fin)
            break;
        // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): no runt segment while
        // data is in flight; an ACK will open the window further.
        if (len < mss && len < avail && pipe > 0)
            break;
        // Nagle (RFC 9293 §3.7.4), unless nodelay: a short tail waits while
        // anything is unacknowledged, so that small writes coalesce.
        if (!t.nodelay && len < mss && len == avail && !fin && t.snd_nxt > t.snd_una)
            break;
        uint8_t flags = kAck | (fin ? kFin : 0) | (len > 0 && len == avail ? kPsh : 0);
        send_segment(t, t.snd_nxt, len, flags);
        t.snd_nxt += len + (fin ? 1 : 0);
        if (t.in_recovery)
            t.prr_out += len + (fin ? 1 : 0);
        sent = true;
        if (fin)
            break;
    }
    // Less to send than the window allows (draft-cheng-iccrg-delivery-rate-
    // estimation §3.4): rate samples until this flight is delivered measure
    // the application, not the path.
    if (data_state && t.sendq.bytes - std::min<uint32_t>(t.sendq.bytes, t.snd_nxt - t.snd_una) < effective_mss(t) &&
        t.sb.pipe() < t.cc.cwnd && !t.sb.next_lost())
        t.rate.on_app_limited(t.sb.pipe());
    if (!sent && t.ack_now)
        send_segment(t, t.state == State::SynReceived ? t.snd_nxt : t.snd_max, 0, kAck);
    if (!data_state)
        return;
    // Whether ACKs may grow the window: only when it is what limits us
    // (RFC 7661 §4.1; in slow start, as Linux, once half of it is used).
    uint32_t pipe = t.sb.pipe();
    t.cwnd_limited = pipe + t.snd_mss > t.cc.cwnd || (t.cc.in_slow_start() && 2 * pipe >= t.cc.cwnd);
    if (t.snd_max > t.snd_una) {
        if (t.timer_kind != TimerKind::Retransmit && t.timer_kind != TimerKind::LossProbe &&
            t.timer_kind != TimerKind::Reorder)
            arm_retransmit_timer(t);
    } else if (t.sendq.bytes > 0 && t.snd_wnd == 0) {
        if (t.timer_kind != TimerKind::Persist) {
            arm_timer(t, TimerKind::Persist, t.rtt.rto_us());
            t.persist_since = now_;
        }
    }
}

// Turns a received segment into our reply to it, in place (as DPDK's
// icmpecho does): addresses and ports swapped, payload and options replaced.
// For answers that need no connection state: RST, cookie SYN-ACK.
uint8_t* Engine::reply_options_in_place(Segment& s) {
    // The received segment's own options sit there; they are parsed already.
    // The IPv4 layer passes no IP options, so the TCP header is at 20.
    if (s.m->nb_segs != 1 || kIpLen + kTcpLen + 40 > s.m->buf_len - s.m->data_off)
        return nullptr;
    return rte_pktmbuf_mtod_offset(s.m, uint8_t*, kIpLen + kTcpLen);
}

void Engine::reply_in_place(Segment& s, Seq seq, Seq ack, uint8_t flags, uint16_t window,
                            const uint8_t* options, size_t options_len) {
    rte_mbuf* m = s.m;
    uint16_t len = static_cast<uint16_t>(kIpLen + kTcpLen + options_len);
    if (m->nb_segs != 1 || len > m->buf_len - m->data_off) {
        rte_pktmbuf_free(m);  // a chained or tiny buffer: not worth a reply
        return;
    }
    m->data_len = len;
    m->pkt_len = len;
    write_headers(m, rte_pktmbuf_mtod(m, uint8_t*), s.key, kStatelessIpId, seq, ack, flags, window,
                  options, options_len, 0);
    m->ol_flags &= RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;  // drop RX flags
    ++counters_.OutSegs;
    out_.reply_datagram(m);
}

// Answers a segment that has no connection (RFC 9293 §3.10.7.1): with ACK,
// <SEQ=SEG.ACK><CTL=RST>; without, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
void Engine::reply_rst(Segment& s) {
    ++counters_.OutRsts;
    if (s.has(kAck))
        reply_in_place(s, s.ack, Seq(0), kRst, 0, nullptr, 0);
    else
        reply_in_place(s, Seq(0), s.seq + s.seg_len(), kRst | kAck, 0, nullptr, 0);
}

}  // namespace tcpterm::tcp
