#include "tests/fuzz/engine_driver.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tests/fuzz/fuzz_eal.hpp"

namespace tcpterm::fuzz {

void FuzzService::on_closed(tcp::Connection conn, tcp::CloseReason) {
    // An accepted connection is closed exactly once: a second on_closed
    // would have a real service free its state twice.
    tcp::Tcb& c = *tcp::ConnectionTestAccess::tcb(conn);
    if (owned.erase(&c) == 0 && c.accepted)
        invariant_failed("on_closed for an accepted connection the service no longer holds");
}

EngineDriver::EngineDriver(const tcp::EngineConfig& config, const tcp::Listener& listener,
                           const Setup& setup) {
    static unsigned serial = 0;  // rte_hash names must be unique at a time
    // Two peers of the listener, the active open (our port learned from
    // connect()), and a peer of a port nobody listens on.
    static constexpr uint16_t kPorts[kFlows][2] = {
        {40000, kListenPort}, {40001, kListenPort}, {kActivePeerPort, 0}, {40002, 81}};
    for (size_t i = 0; i < kFlows; ++i) {
        flows[i].peer_port = kPorts[i][0];
        flows[i].our_port = kPorts[i][1];
        flows[i].peer_isn = 0x10000000u * uint32_t(i + 1);
    }
    trace = std::getenv("FUZZ_TRACE") != nullptr;
    service_.accepting = !setup.hold;
    engine_ = std::make_unique<tcp::Engine>("fuzz" + std::to_string(serial++), config, counters_,
                                            *this, pool(), now_us);
    tcp::Listener l = listener;
    l.addr = 0;
    l.port = kListenPort;
    l.service = &service_;
    if (!engine_->add_listener(l))
        invariant_failed("add_listener refused the only listener");
    if (setup.active_open) {
        tcp::Tcb* t = engine_->connect(kOurIp, kPeerIp, kActivePeerPort, &service_, 0, now_us);
        if (t != nullptr) {
            flows[2].our_port = t->key.lport;
            service_.owned.insert(t);
        }
        engine_->flush(now_us);
    }
}

EngineDriver::~EngineDriver() { engine_.reset(); }

void EngineDriver::deliver(size_t flow, test::SegmentSpec spec) {
    const Flow& f = flows[flow];
    if (f.our_port == 0)
        return;  // the active open found no port: nothing to talk to
    spec.src = kPeerIp;
    spec.dst = kOurIp;
    spec.src_port = f.peer_port;
    spec.dst_port = f.our_port;
    if (spec.flags & tcp::kSyn)
        flows[flow].peer_syn_seq = spec.seq;
    if (has_ao_) {
        // A SYN knows only its own ISN; a SYN-ACK and all after both.
        bool syn_only = (spec.flags & (tcp::kSyn | tcp::kAck)) == tcp::kSyn;
        spec.ao = &peer_ao_;
        spec.ao_src_isn = f.peer_syn_seq;
        spec.ao_dst_isn = syn_only ? 0 : f.engine_isn;
    }
    rte_mbuf* m = test::craft_segment(pool(), spec);
    if (m == nullptr)
        invariant_failed("craft_segment failed: pool empty, or the segment does not fit one mbuf");
    auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
    m->l3_len = sizeof(rte_ipv4_hdr);
    net::Ipv4Datagram d;
    d.src = kPeerIp;
    d.dst = kOurIp;
    d.header_len = sizeof(rte_ipv4_hdr);
    d.payload_len = uint16_t(rte_be_to_cpu_16(ip->total_length) - sizeof(rte_ipv4_hdr));
    if (trace)
        trace_segment("in ", f.peer_port, spec.flags, spec.seq, spec.ack,
                      uint32_t(spec.payload.size()));
    engine_->input(m, d, now_us);
    engine_->flush(now_us);
    if (trace) {
        const tcp::Tcb* t = engine_->find(key(f));
        std::fprintf(stderr, "    -> %s\n", t ? tcp::state_name(t->state)
                                             : engine_->find_time_wait(key(f)) ? "TIME_WAIT (compact)"
                                                                                : "no connection");
    }
}

void EngineDriver::trace_segment(const char* dir, uint16_t peer_port, uint8_t flags, uint32_t seq,
                                 uint32_t ack, uint32_t len) const {
    static const char names[] = "FSRPAUEC";
    char f[9] = {};
    for (int i = 0, n = 0; i < 8; ++i)
        if (flags & (1 << i))
            f[n++] = names[i];
    std::fprintf(stderr, "%9.3f s %s peer:%u [%s] seq %u ack %u len %u\n", double(now_us) / 1e6,
                 dir, peer_port, f, seq, ack, len);
}

void EngineDriver::advance_us(uint64_t us) {
    // A worker polls every few microseconds; ~200 steps per advance keep the
    // timers' order right and the fuzzer fast even for minutes of fake time.
    uint64_t step = std::max<uint64_t>(1000, us / 200);
    for (uint64_t done = 0; done < us;) {
        uint64_t d = std::min(step, us - done);
        done += d;
        now_us += d;
        engine_->run_timers(now_us);
        engine_->flush(now_us);
    }
}

tcp::Tcb* EngineDriver::owned_conn(size_t flow) {
    const Flow& f = flows[flow];
    if (f.our_port == 0)
        return nullptr;
    tcp::Tcb* t = engine_->find(key(f));
    return t != nullptr && service_.owned.count(t) ? t : nullptr;
}

void EngineDriver::act(size_t flow, Action a) {
    tcp::Tcb* t = owned_conn(flow);
    if (t == nullptr)
        return;
    switch (a) {
    case Action::None:
        break;
    case Action::ShutdownWrite:
        engine_->shutdown_write(*t);
        break;
    case Action::Close:
        engine_->close(*t);
        break;
    case Action::Abort:
        engine_->abort(*t);
        break;
    case Action::Send: {
        static const std::string burst(3000, 'x');  // two segments and a bit
        engine_->send(*t, burst.data(), burst.size());
        break;
    }
    }
    engine_->flush(now_us);
}

void EngineDriver::check_invariants() const {
    const tcp::EngineConfig& c = engine_->config();
    if (counters_.CurrConnections != engine_->connection_count())
        invariant_failed("CurrConnections differs from the table's count");
    if (engine_->connection_count() > c.max_connections)
        invariant_failed("more connections than max_connections");
    if (counters_.CurrEstab > counters_.CurrConnections)
        invariant_failed("CurrEstab above CurrConnections (a gauge went below zero?)");
    for (const tcp::Listener& l : engine_->listeners())
        if (l.syn_queue_len > l.syn_backlog || l.accept_queue_len > l.accept_backlog ||
            l.syn_queue_len + l.accept_queue_len > engine_->connection_count())
            invariant_failed("listener queue lengths out of bounds");
    for (const Flow& f : flows) {
        if (f.our_port == 0)
            continue;
        const tcp::Tcb* t = engine_->find(key(f));
        if (t == nullptr)
            continue;
        if (t->snd_una > t->snd_nxt || t->snd_nxt > t->snd_max)
            invariant_failed("send sequence space out of order (una <= nxt <= max)");
        if (t->sendq.bytes > std::max(c.sndbuf, c.sndbuf_max))
            invariant_failed("send queue above sndbuf");
        if (t->recvq.bytes > c.rcvbuf)
            invariant_failed("receive queue above rcvbuf");
    }
}

void EngineDriver::send_datagram(rte_mbuf* m) {
    // What a peer would see: the datagram must be well-formed, and its
    // numbers are what the next fuzzed segment is relative to.
    auto* ip = rte_pktmbuf_mtod(m, const rte_ipv4_hdr*);
    if (m->pkt_len < 40 || rte_be_to_cpu_16(ip->total_length) != m->pkt_len ||
        m->l3_len != sizeof(rte_ipv4_hdr))
        invariant_failed("engine sent a datagram whose lengths disagree");
    auto* th = reinterpret_cast<const rte_tcp_hdr*>(ip + 1);
    size_t hlen = (th->data_off >> 4) * 4;
    tcp::TcpOptions opts;
    if (hlen < 20 || 20 + hlen > m->pkt_len || m->l4_len != hlen ||
        !tcp::parse_options(reinterpret_cast<const uint8_t*>(th + 1), hlen - 20, opts))
        invariant_failed("engine sent a TCP header we cannot parse");
    uint16_t peer_port = rte_be_to_cpu_16(th->dst_port);
    uint16_t our_port = rte_be_to_cpu_16(th->src_port);
    if (trace)
        trace_segment("out", peer_port, th->tcp_flags, rte_be_to_cpu_32(th->sent_seq),
                      rte_be_to_cpu_32(th->recv_ack), uint32_t(m->pkt_len - 20 - hlen));
    for (Flow& f : flows) {
        // The active open's SYN leaves inside connect(), before the driver
        // has learned the ephemeral port from the TCB it returns.
        if (f.our_port == 0 && f.peer_port == kActivePeerPort && peer_port == kActivePeerPort)
            f.our_port = our_port;
        if (f.peer_port != peer_port || f.our_port != our_port)
            continue;
        uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
        uint32_t len = uint32_t(m->pkt_len - 20 - hlen) + !!(th->tcp_flags & tcp::kSyn) +
                       !!(th->tcp_flags & tcp::kFin);
        if (!f.heard || tcp::Seq(seq + len) > tcp::Seq(f.snd_max))
            f.snd_max = seq + len;
        if (th->tcp_flags & tcp::kAck) {
            f.rcv_nxt = rte_be_to_cpu_32(th->recv_ack);
            f.acked = true;
        }
        if (opts.has_timestamps)
            f.ts_val = opts.ts_val;
        if (th->tcp_flags & tcp::kSyn)
            f.engine_isn = seq;
        f.heard = true;
    }
    rte_pktmbuf_free(m);
}

}  // namespace tcpterm::fuzz
