#include "app/worker.hpp"

#include <algorithm>
#include <stdexcept>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "app/clock.hpp"

namespace tcpterm::app {

namespace {
constexpr uint16_t kBurst = 32;
// How long a stopping worker keeps polling after telling its peers: enough
// for the PMD to send and for a challenge ACK to come back on a LAN.
constexpr uint64_t kStopDrainUs = 50'000;

void count_tx_drops(rte_mbuf** unsent, uint16_t count, void* userdata) {
    static_cast<net::Counters*>(userdata)->TxDropped += count;
    rte_pktmbuf_free_bulk(unsent, count);
}
}  // namespace

Worker::Worker(uint16_t id, const Config& config, uint16_t port, const SteeringPlan& plan,
               const net::InterfaceConfig& iface, const tcp::EngineConfig& engine,
               rte_mempool* pool, LoadBalancer& lb)
    : id_(id),
      port_(port),
      queue_(id),
      plan_(plan),
      lb_(lb),
      iface_(iface, counters_.net, *this, pool),
      commands_("cmd_w" + std::to_string(id)) {
    tx_buffer_ = static_cast<rte_eth_dev_tx_buffer*>(
        rte_zmalloc("tx_buffer", RTE_ETH_TX_BUFFER_SIZE(kBurst), RTE_CACHE_LINE_SIZE));
    if (!tx_buffer_)
        throw std::runtime_error("cannot allocate a TX buffer");
    rte_eth_tx_buffer_init(tx_buffer_, kBurst);
    rte_eth_tx_buffer_set_err_callback(tx_buffer_, count_tx_drops, &counters_.net);

    TscClock clock;
    engine_ = std::make_unique<tcp::Engine>("w" + std::to_string(id), engine, counters_.tcp, *this,
                                            pool, clock.now_us());
    for (const ListenSpec& spec : config.listeners) {
        services_.push_back(make_service(spec.service, spec.options, lb.worker_side(spec.options.pool, id)));
        tcp::Listener l;
        l.addr = spec.addr;
        l.port = spec.port;
        l.service = services_.back().get();
        l.syn_backlog = spec.syn_backlog;
        l.accept_backlog = spec.backlog;
        l.abort_on_overflow = spec.abort_on_overflow;
        l.reject_with_rst = spec.reject_with_rst;
        l.cookies = spec.cookies == "off"      ? tcp::CookieMode::Off
                    : spec.cookies == "always" ? tcp::CookieMode::Always
                                               : tcp::CookieMode::Auto;
        l.cookie_threshold = spec.cookie_threshold ? spec.cookie_threshold : spec.syn_backlog;
        // By default no peer address may hold more than a quarter of the
        // table through one listener, so that one source can never take it all.
        l.max_per_source = spec.max_per_source >= 0 ? static_cast<uint32_t>(spec.max_per_source)
                                                    : std::max<uint32_t>(engine.max_connections / 4, 1);
        l.idle_timeout_us = spec.idle_timeout_ms * 1000;
        if (!spec.congestion.empty())
            l.congestion = tcp::parse_congestion_algorithm(spec.congestion);
        if (spec.nodelay >= 0)
            l.nodelay = spec.nodelay == 1;
        for (const net::Ipv4Prefix& p : spec.allowed)
            l.allowed[l.allowed_count++] = p;
        if (!engine_->add_listener(l))
            throw std::runtime_error("cannot add listener " + spec.text);
    }
    // Active health checks: each backend is checked by one worker, spread
    // round the workers.
    uint16_t workers = plan_.steering->workers();
    for (size_t p = 0; p < lb.pools(); ++p) {
        const PoolSpec& spec = lb.pool_spec(p);
        for (size_t b = 0; spec.health_check != HealthCheck::None && b < spec.backends.size(); ++b)
            if ((p + b) % workers == id)
                health_.add(*lb.worker_side(spec.name, id), static_cast<uint16_t>(b));
    }
    for (const char* name : {"echo", "discard", "daytime", "chargen", "hold"})
        outbound_services_[name] = make_service(name, ServiceOptions{});
    if (plan_.steering->workers() > 1) {
        iface_.set_neighbor_observer(this);
        // Connections we open pick ports whose replies hash back to us, so
        // they never need a hand-off (as Seastar does).
        engine_->set_port_filter([this](const tcp::FlowKey& k) {
            return plan_.steering->owner(k.raddr, k.laddr, k.rport, k.lport) == id_;
        });
    }
}

uint16_t Worker::owner_of(const rte_mbuf* m, const net::Ipv4Datagram& d) const {
    if (plan_.hardware && (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH))
        return plan_.steering->owner_of_hash(m->hash.rss);
    if (d.payload_len < 4)
        return id_;  // too short to have ports: the engine drops it here
    const uint8_t* ports = rte_pktmbuf_mtod_offset(m, const uint8_t*, d.header_len);
    uint16_t sport = static_cast<uint16_t>(ports[0] << 8 | ports[1]);
    uint16_t dport = static_cast<uint16_t>(ports[2] << 8 | ports[3]);
    return plan_.steering->owner(d.src, d.dst, sport, dport);
}

void Worker::hand_off(uint16_t owner, rte_mbuf* m) {
    if (rte_ring_sp_enqueue(plan_.mesh->segments(id_, owner), m) != 0) {
        ++counters_.net.FlowHandoffDrops;
        rte_pktmbuf_free(m);
        return;
    }
    ++counters_.net.FlowHandoffsOut;
}

void Worker::neighbor_learned(uint32_t ip, const rte_ether_addr& mac) {
    NeighborRecord record{ip, mac, 0};
    for (uint16_t w = 0; w < plan_.steering->workers(); ++w)
        if (w != id_ && rte_ring_sp_enqueue_elem(plan_.mesh->neighbors(id_, w), &record,
                                                 sizeof(record)) == 0)
            ++counters_.net.NeighborsShared;
}

// Segments other workers received for our flows, and the neighbours they
// learned. Already validated by their interface: straight to the engine.
void Worker::poll_other_workers() {
    rte_mbuf* burst[kBurst];
    for (uint16_t w = 0; w < plan_.steering->workers(); ++w) {
        if (w == id_)
            continue;
        unsigned n = rte_ring_sc_dequeue_burst(plan_.mesh->segments(w, id_),
                                               reinterpret_cast<void**>(burst), kBurst, nullptr);
        for (unsigned i = 0; i < n; ++i) {
            auto* ip = rte_pktmbuf_mtod(burst[i], const rte_ipv4_hdr*);
            net::Ipv4Datagram d{rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_32(ip->dst_addr),
                                static_cast<uint16_t>(rte_ipv4_hdr_len(ip)),
                                static_cast<uint16_t>(rte_be_to_cpu_16(ip->total_length) -
                                                      rte_ipv4_hdr_len(ip))};
            ++counters_.net.FlowHandoffsIn;
            engine_->input(burst[i], d, now_us_);
        }
        NeighborRecord record;
        while (rte_ring_sc_dequeue_elem(plan_.mesh->neighbors(w, id_), &record, sizeof(record)) == 0)
            iface_.learn_neighbor(record.ip, record.mac, now_us_);
    }
}

// Off the per-packet path: at most one command per loop turn, and only when
// the control thread posted one.
void Worker::run_command(const ConnectCommand& command) {
    auto it = outbound_services_.find(command.service);
    tcp::Service* service = it == outbound_services_.end() ? nullptr : it->second.get();
    if (!service)
        return;
    engine_->connect(iface_.address(), command.raddr, command.rport, service, command.lport,
                     now_us_);
}

Worker::~Worker() {
    engine_.reset();  // frees queued mbufs before the pool goes
    rte_free(tx_buffer_);
}

void Worker::send_frame(rte_mbuf* frame) {
    ++counters_.net.TxPackets;
    rte_eth_tx_buffer(port_, queue_, tx_buffer_, frame);
}

void Worker::send_datagram(rte_mbuf* datagram) { iface_.output(datagram, now_us_); }

void Worker::poll_once() {
    rte_mbuf* burst[kBurst];
    const bool multi = plan_.steering->workers() > 1;
    uint16_t n = rte_eth_rx_burst(port_, queue_, burst, kBurst);
    for (uint16_t i = 0; i < n; ++i) {
        if (i + 3 < n)
            rte_prefetch0(rte_pktmbuf_mtod(burst[i + 3], void*));
        net::Ipv4Datagram tcp;
        if (!iface_.input(burst[i], now_us_, tcp))
            continue;
        if (multi) {
            uint16_t owner = owner_of(burst[i], tcp);
            if (owner != id_) {
                hand_off(owner, burst[i]);
                continue;
            }
        }
        engine_->input(burst[i], tcp, now_us_);
    }
    if (multi)
        poll_other_workers();
    ConnectCommand command;
    if (commands_.take(command))
        run_command(command);
    engine_->run_timers(now_us_);
    engine_->flush(now_us_);
    rte_eth_tx_buffer_flush(port_, queue_, tx_buffer_);
}

void Worker::run(const std::atomic<bool>& stop) {
    TscClock clock;
    // Between turns the worker holds no pool table: the control thread may
    // free the ones it replaced once every worker has passed this point.
    lb_.online(id_);
    while (!stop.load(std::memory_order_relaxed)) {
        now_us_ = clock.now_us();
        poll_once();
        if (!health_.empty())
            health_.poll(*engine_, iface_.address(), now_us_);
        lb_.quiescent(id_);
    }
    tell_peers(clock);
    lb_.offline(id_);
}

// Every peer hears that its connection ended (engine_shutdown.cpp) before
// main stops the port. The loop then goes on a moment with the listeners
// closed: the PMD gets time to put the frames on the wire (af_packet sends
// from its ring), and a challenge ACK that a RST drew (RFC 5961) is answered
// by the closed port at the sequence number the peer wants.
void Worker::tell_peers(const TscClock& clock) {
    // A burst at a time, each sent before the next, so that a large table
    // does not overrun the TX ring.
    for (bool done = false; !done;) {
        now_us_ = clock.now_us();
        done = engine_->shutdown_all(now_us_, kBurst);
        poll_once();
        lb_.quiescent(id_);
    }
    const uint64_t until = now_us_ + kStopDrainUs;
    while ((now_us_ = clock.now_us()) < until) {
        poll_once();
        lb_.quiescent(id_);
    }
}

}  // namespace tcpterm::app
