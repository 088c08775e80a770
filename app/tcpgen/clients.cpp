#include "app/tcpgen/clients.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

namespace tcpterm::tcpgen {

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kEthLen = sizeof(rte_ether_hdr);
constexpr uint32_t kSlotMagic = 0x74677367;  // "tgsg"

// Each connection's service state: its slot.
struct SlotTag {
    uint32_t magic;
    uint32_t index;
};

tcp::SipKey random_key() {
    tcp::SipKey key;
    if (getrandom(&key, sizeof(key), 0) != sizeof(key))
        throw std::runtime_error("getrandom failed");
    return key;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size())
        return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i])
            return false;
    return true;
}

}  // namespace

Clients::Clients(const Options& o, const net::PortInfo& port, rte_mempool* pool, TxQueue tx,
                 uint16_t rx_queues, uint64_t hz)
    : o_(o),
      mac_(port.mac),
      next_hop_(o.gateway ? o.gateway : o.target_addr),
      hz_(hz),
      us_cycles_(std::max<uint64_t>(1, hz / 1'000'000)),
      tx_(tx),
      rx_queues_(rx_queues),
      pool_(pool),
      timeout_cycles_(o.timeout_us * (hz / 1'000'000)) {
    net::InterfaceConfig ic;
    ic.mac = port.mac;
    ic.addresses.add(o.client);
    ic.gateway = o.gateway;
    ic.arp_entries = 64;
    ic.tx_offloads = port.tx_offloads;
    iface_ = std::make_unique<net::Interface>(ic, net_counters_, *this, pool);

    tcp::EngineConfig ec;
    ec.max_connections = o.concurrency + std::max<uint32_t>(64, o.concurrency / 8);
    ec.max_time_wait = 16384;
    uint32_t mss = port.mtu - 40u;
    ec.mss = static_cast<uint16_t>(std::min<uint32_t>(mss, 1460));
    ec.rcvbuf = 65536;
    ec.sndbuf = 16384;
    ec.isn_key = random_key();
    ec.ts_key = random_key();
    ec.cookie_key = random_key();
    now_us_ = rte_rdtsc() / us_cycles_;
    engine_ = std::make_unique<tcp::Engine>("tcpgen", ec, tcp_counters_, *this, pool, now_us_);

    request_ = "GET / HTTP/1.1\r\nHost: " + o.host + "\r\nConnection: close\r\n\r\n";
    slots_.resize(o.concurrency);
    free_slots_.reserve(o.concurrency);
    for (uint32_t i = o.concurrency; i-- > 0;)
        free_slots_.push_back(i);
    active_.reserve(o.concurrency);
    double expected = static_cast<double>(o.clients_rate) * (o.duration_s + 2.0) * 1.2 + 4096;
    handshake_us_.reserve(static_cast<size_t>(std::min(expected, 50e6)));
    completion_us_.reserve(static_cast<size_t>(std::min(expected, 50e6)));
}

Clients::~Clients() {
    engine_.reset();  // frees queued mbufs before the pool goes
    if (tx_n_)
        rte_pktmbuf_free_bulk(tx_pkts_, tx_n_);
}

// --- output ---------------------------------------------------------------------

void Clients::send_frame(rte_mbuf* frame) {
    if (tx_n_ == kTxMax)
        flush_tx();
    if (tx_n_ == kTxMax) {
        ++net_counters_.TxDropped;
        rte_pktmbuf_free(frame);
        return;
    }
    ++net_counters_.TxPackets;
    tx_pkts_[tx_n_++] = frame;
}

void Clients::send_datagram(rte_mbuf* datagram) { iface_->output(datagram, now_us_); }

void Clients::flush_tx() {
    if (tx_n_ == 0)
        return;
    uint16_t sent = tx_.send(tx_pkts_, tx_n_);
    if (sent < tx_n_)
        std::memmove(tx_pkts_, tx_pkts_ + sent, (tx_n_ - sent) * sizeof(rte_mbuf*));
    tx_n_ -= sent;
}

// --- input ----------------------------------------------------------------------

// Takes what is not for the Interface: ARP for flood addresses (answered with
// our MAC, as if every spoofed host were there), and IPv4 to flood addresses
// (counted and dropped). Also learns the next hop's MAC for the flood.
bool Clients::handle_local(rte_mbuf* m) {
    if (m->nb_segs != 1 || m->data_len < kEthLen)
        return false;
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    uint16_t type = rte_be_to_cpu_16(eth->ether_type);
    if (type == RTE_ETHER_TYPE_ARP) {
        if (m->data_len < kEthLen + sizeof(rte_arp_hdr))
            return false;
        auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
        if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
            arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
            return false;
        uint32_t sender = rte_be_to_cpu_32(arp->arp_data.arp_sip);
        uint32_t target = rte_be_to_cpu_32(arp->arp_data.arp_tip);
        if (sender == next_hop_ && !next_hop_known_) {
            next_hop_mac_ = arp->arp_data.arp_sha;
            next_hop_known_ = true;
        }
        if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) || !o_.flood_prefix.contains(target))
            return false;
        // The reply, in place.
        rte_ether_addr sender_mac = arp->arp_data.arp_sha;
        eth->dst_addr = sender_mac;
        eth->src_addr = mac_;
        arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
        arp->arp_data.arp_tha = sender_mac;
        arp->arp_data.arp_tip = arp->arp_data.arp_sip;
        arp->arp_data.arp_sha = mac_;
        arp->arp_data.arp_sip = rte_cpu_to_be_32(target);
        rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - (kEthLen + sizeof(rte_arp_hdr))));
        ++rx_.flood_arp_replies;
        send_frame(m);
        return true;
    }
    if (type != RTE_ETHER_TYPE_IPV4 || m->data_len < kEthLen + sizeof(rte_ipv4_hdr))
        return false;
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    if (!o_.flood_prefix.contains(rte_be_to_cpu_32(ip->dst_addr)))
        return false;
    uint16_t hlen = rte_ipv4_hdr_len(ip);
    if (ip->next_proto_id == IPPROTO_TCP && m->data_len >= kEthLen + hlen + sizeof(rte_tcp_hdr)) {
        auto* th = reinterpret_cast<rte_tcp_hdr*>(reinterpret_cast<uint8_t*>(ip) + hlen);
        uint8_t f = th->tcp_flags;
        if (f & RTE_TCP_RST_FLAG)
            ++rx_.flood_rst;
        else if ((f & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG))
            ++rx_.flood_synack;
        else
            ++rx_.flood_other;
    } else {
        ++rx_.flood_other;
    }
    rte_pktmbuf_free(m);
    return true;
}

void Clients::probe_next_hop(uint64_t now_tsc) {
    if (next_hop_known_ || now_tsc - last_probe_tsc_ < hz_ / 10)
        return;
    last_probe_tsc_ = now_tsc;
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (!m)
        return;
    if (!net::write_arp_request(m, mac_, o_.client.addr, next_hop_)) {
        rte_pktmbuf_free(m);
        return;
    }
    ++rx_.target_arp_probes;
    send_frame(m);
    flush_tx();
}

void Clients::poll(uint64_t now_tsc, bool open_new) {
    now_us_ = now_tsc / us_cycles_;
    if (last_poll_tsc_ && now_tsc > last_poll_tsc_) {
        uint64_t gap_us = (now_tsc - last_poll_tsc_) / us_cycles_;
        if (gap_us > 100)
            ++rx_.loop_stalls;
        rx_.loop_max_gap_us = std::max(rx_.loop_max_gap_us, gap_us);
    }
    last_poll_tsc_ = now_tsc;
    rte_mbuf* burst[kBurst];
    for (uint16_t q = 0; q < rx_queues_; ++q) {
        uint16_t n = rte_eth_rx_burst(tx_.port, q, burst, kBurst);
        rx_.frames += n;
        for (uint16_t i = 0; i < n; ++i) {
            if (i + 3 < n)
                rte_prefetch0(rte_pktmbuf_mtod(burst[i + 3], void*));
            if (handle_local(burst[i]))
                continue;
            net::Ipv4Datagram tcp;
            if (iface_->input(burst[i], now_us_, tcp))
                engine_->input(burst[i], tcp, now_us_);
        }
    }
    if (open_new)
        open_connections(now_tsc);
    if (now_tsc >= next_timeout_scan_) {
        next_timeout_scan_ = now_tsc + hz_ / 100;
        check_timeouts(now_tsc);
    }
    engine_->run_timers(now_us_);
    engine_->flush(now_us_);
    flush_tx();
}

// --- the client population --------------------------------------------------------

void Clients::open_connections(uint64_t now_tsc) {
    if (o_.clients_rate == 0)
        return;
    uint64_t elapsed = std::min(now_tsc - last_tsc_, hz_);
    last_tsc_ = now_tsc;
    credit_ = std::min(credit_ + elapsed * o_.clients_rate, 16 * hz_);
    while (credit_ >= hz_) {
        credit_ -= hz_;
        if (free_slots_.empty()) {
            ++counters_.capped;
            continue;
        }
        ++counters_.tried;
        uint32_t index = free_slots_.back();
        Slot& s = slots_[index];
        s = Slot{};
        s.start_tsc = rte_rdtsc();
        tcp::Tcb* c = engine_->connect(o_.client.addr, o_.target_addr, o_.target_port, this, 0, now_us_);
        if (!c) {
            ++counters_.connect_errors;
            continue;
        }
        free_slots_.pop_back();
        s.conn = tcp::Connection(*engine_, *c);
        s.conn.emplace_state<SlotTag>(kSlotMagic, index);
        s.active_pos = static_cast<uint32_t>(active_.size());
        active_.push_back(index);
    }
}

Clients::Slot& Clients::slot_of(tcp::Connection c) {
    const SlotTag& tag = c.state<SlotTag>();
    if (tag.magic != kSlotMagic || tag.index >= slots_.size() || slots_[tag.index].conn != c)
        throw std::logic_error("tcpgen: a connection without its slot");
    return slots_[tag.index];
}

void Clients::release_slot(Slot& s) {
    uint32_t index = static_cast<uint32_t>(&s - slots_.data());
    uint32_t pos = s.active_pos;
    uint32_t last = active_.back();
    active_[pos] = last;
    slots_[last].active_pos = pos;
    active_.pop_back();
    s.conn = {};
    free_slots_.push_back(index);
}

void Clients::check_timeouts(uint64_t now_tsc) {
    // Backwards: an abort removes the entry by moving the last one here.
    for (size_t i = active_.size(); i-- > 0;) {
        if (i >= active_.size())
            continue;
        Slot& s = slots_[active_[i]];
        // Signed: a connection opened in this same turn started after now_tsc.
        if (static_cast<int64_t>(now_tsc - s.start_tsc) > static_cast<int64_t>(timeout_cycles_)) {
            s.timed_out = true;
            s.conn.abort();  // on_closed runs now
        }
    }
}

void Clients::abort_all(uint64_t now_tsc) {
    now_us_ = now_tsc / us_cycles_;
    while (!active_.empty()) {
        Slot& s = slots_[active_.back()];
        s.unfinished = true;
        s.conn.abort();
    }
    engine_->flush(now_us_);
    flush_tx();
}

void Clients::on_accept(tcp::Connection c) {
    Slot& s = slot_of(c);
    uint64_t cycles = rte_rdtsc() - s.start_tsc;
    handshake_us_.push_back(static_cast<float>(static_cast<double>(cycles) * 1e6 / static_cast<double>(hz_)));
    ++counters_.established;
    if (c.send(request_.data(), request_.size()) != request_.size())
        c.abort();  // cannot happen with an empty send buffer
}

void Clients::parse_response(Slot& s, const uint8_t* data, size_t len) {
    if (s.header_done) {
        if (s.body_left >= 0) {
            s.body_left -= static_cast<int64_t>(len);
            if (s.body_left < 0)
                s.bad_response = true;  // more than Content-Length
        }
        return;
    }
    size_t take = std::min<size_t>(len, kHeaderMax - s.header_len);
    size_t from = s.header_len >= 3 ? s.header_len - 3 : 0;
    std::memcpy(s.header + s.header_len, data, take);
    s.header_len += static_cast<uint32_t>(take);
    std::string_view h(s.header, s.header_len);
    size_t end = h.find("\r\n\r\n", from);
    if (end == std::string_view::npos) {
        if (s.header_len == kHeaderMax)
            s.bad_response = true;  // a header this big is not what the target sends
        return;
    }
    s.header_done = true;
    std::string_view head = h.substr(0, end + 2);
    if (head.size() >= 12 && (head.starts_with("HTTP/1.1 ") || head.starts_with("HTTP/1.0 ")))
        s.status = static_cast<uint16_t>((head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0'));
    for (size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
        size_t next = head.find("\r\n", pos + 2);
        if (next == std::string_view::npos)
            break;
        std::string_view line = head.substr(pos + 2, next - pos - 2);
        if (iequals_prefix(line, "content-length:")) {
            int64_t v = 0;
            for (char ch : line.substr(15))
                if (ch >= '0' && ch <= '9')
                    v = v * 10 + (ch - '0');
            s.body_left = v;
        }
        pos = next;
    }
    // Bytes after the header (in this chunk) are body.
    size_t header_bytes_in_chunk = end + 4 - (s.header_len - take);
    if (s.body_left >= 0) {
        s.body_left -= static_cast<int64_t>(len - header_bytes_in_chunk);
        if (s.body_left < 0)
            s.bad_response = true;
    }
}

bool Clients::response_complete(const Slot& s) const {
    return s.header_done && !s.bad_response && s.status == 200 && s.body_left <= 0;
}

void Clients::on_data(tcp::Connection c) {
    Slot& s = slot_of(c);
    for (auto chunk = c.recv_front(); !chunk.empty(); chunk = c.recv_front()) {
        counters_.response_bytes += chunk.size();
        parse_response(s, chunk.data(), chunk.size());
        c.consume(chunk.size());
    }
}

void Clients::on_peer_shutdown(tcp::Connection c) { c.close(); }

void Clients::on_closed(tcp::Connection c, tcp::CloseReason reason) {
    Slot& s = slot_of(c);
    if (s.unfinished)
        ++counters_.unfinished;
    else if (s.timed_out)
        ++counters_.failed_timeout;
    else if (reason == tcp::CloseReason::Normal && response_complete(s)) {
        ++counters_.completed;
        uint64_t cycles = rte_rdtsc() - s.start_tsc;
        completion_us_.push_back(
            static_cast<float>(static_cast<double>(cycles) * 1e6 / static_cast<double>(hz_)));
    } else if (reason == tcp::CloseReason::Normal)
        ++counters_.failed_response;
    else if (reason == tcp::CloseReason::Reset || reason == tcp::CloseReason::Refused)
        ++counters_.failed_reset;
    else if (reason == tcp::CloseReason::Timeout)
        ++counters_.failed_timeout;
    else
        ++counters_.failed_other;
    release_slot(s);
}

}  // namespace tcpterm::tcpgen
