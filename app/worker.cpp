#include "app/worker.hpp"

#include <stdexcept>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "app/clock.hpp"

namespace tcpterm::app {

namespace {
constexpr uint16_t kBurst = 32;

void count_tx_drops(rte_mbuf** unsent, uint16_t count, void* userdata) {
    static_cast<net::Counters*>(userdata)->TxDropped += count;
    rte_pktmbuf_free_bulk(unsent, count);
}
}  // namespace

Worker::Worker(unsigned id, const Config& config, uint16_t port, uint16_t queue,
               const net::InterfaceConfig& iface, const tcp::EngineConfig& engine,
               rte_mempool* pool)
    : id_(id),
      port_(port),
      queue_(queue),
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
        services_.push_back(make_service(spec.service, spec.options));
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
        for (const net::Ipv4Prefix& p : spec.allowed)
            l.allowed[l.allowed_count++] = p;
        if (!engine_->add_listener(l))
            throw std::runtime_error("cannot add listener " + spec.text);
    }
    for (const char* name : {"echo", "discard", "daytime", "chargen", "hold"})
        outbound_services_[name] = make_service(name, ServiceOptions{});
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

void Worker::run(const std::atomic<bool>& stop) {
    TscClock clock;
    rte_mbuf* burst[kBurst];
    while (!stop.load(std::memory_order_relaxed)) {
        now_us_ = clock.now_us();
        uint16_t n = rte_eth_rx_burst(port_, queue_, burst, kBurst);
        for (uint16_t i = 0; i < n; ++i) {
            if (i + 3 < n)
                rte_prefetch0(rte_pktmbuf_mtod(burst[i + 3], void*));
            net::Ipv4Datagram tcp;
            if (iface_.input(burst[i], now_us_, tcp))
                engine_->input(burst[i], tcp, now_us_);
        }
        ConnectCommand command;
        if (commands_.take(command))
            run_command(command);
        engine_->run_timers(now_us_);
        engine_->flush(now_us_);
        rte_eth_tx_buffer_flush(port_, queue_, tx_buffer_);
    }
    rte_eth_tx_buffer_flush(port_, queue_, tx_buffer_);
}

}  // namespace tcpterm::app
