// tcpgen: a DPDK traffic generator for tcpterm. It floods a target with SYNs
// from spoofed sources in a prefix and, at the same time, runs a population
// of legitimate HTTP/1.1 clients on the project's own TCP engine, measuring
// what the target still does for them. Works on any ethdev.
//
// Lcores: with two, the flood runs on the second and everything else
// (receiving, ARP, the clients, the reports) on the main one; with one, all
// of it runs in one loop.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "app/tcpgen/clients.hpp"
#include "app/tcpgen/flood.hpp"
#include "app/tcpgen/options.hpp"
#include "app/tcpgen/report.hpp"
#include "app/tcpgen/syn_builder.hpp"
#include "lib/net/port.hpp"

using namespace tcpterm;
using namespace tcpterm::tcpgen;

namespace {

std::atomic<unsigned> g_signals{0};
std::atomic<bool> g_flood_stop{false};

void on_signal(int) { g_signals.fetch_add(1); }

int run_flood(void* arg) {
    auto* flood = static_cast<Flood*>(arg);
    while (!g_flood_stop.load(std::memory_order_relaxed))
        flood->poll(rte_rdtsc());
    flood->finish(rte_rdtsc());
    return 0;
}

std::string format_mac(const rte_ether_addr& mac) {
    char buf[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(buf, sizeof(buf), &mac);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (int rc = parse_options(argc, argv, o); rc >= 0)
        return rc;

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    std::vector<char*> eal_argv{argv[0]};
    for (auto& a : o.eal_args)
        eal_argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        std::cerr << "tcpgen: EAL initialisation failed: " << rte_strerror(rte_errno)
                  << " (check the eal option)\n";
        return 1;
    }

    const bool flood_on = o.flood_max || o.flood_rate > 0;
    unsigned worker = rte_get_next_lcore(-1, 1, 0);
    const bool two_lcores = worker < RTE_MAX_LCORE && flood_on;
    if (rte_lcore_count() > 2)
        std::fprintf(stderr, "tcpgen: %u lcores given; only two are used\n", rte_lcore_count());
    const uint64_t hz = rte_get_tsc_hz();

    int exit_code = 0;
    rte_mempool* rx_pool = nullptr;
    rte_mempool* flood_pool = nullptr;
    bool port_started = false;
    rte_spinlock_t tx_lock;
    rte_spinlock_init(&tx_lock);
    try {
        rx_pool = rte_pktmbuf_pool_create("tg_rx", o.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                          rte_socket_id());
        if (!rx_pool)
            throw std::runtime_error(std::string("cannot create the mbuf pool: ") +
                                     rte_strerror(rte_errno) + " (lower mbufs or add memory)");
        if (flood_on) {
            flood_pool = rte_pktmbuf_pool_create("tg_flood", o.flood_mbufs, 256, 0,
                                                 RTE_PKTMBUF_HEADROOM + 256, rte_socket_id());
            if (!flood_pool)
                throw std::runtime_error(std::string("cannot create the flood pool: ") +
                                         rte_strerror(rte_errno) + " (lower flood-mbufs)");
        }
        net::PortSettings ps;
        ps.port_id = o.port_id;
        ps.queues = o.queues;
        ps.pools.assign(o.queues, rx_pool);
        net::PortInfo port = net::start_port(ps);
        port_started = true;

        // TX queue 0 belongs to the main lcore; the flood gets queue 1 when
        // there are two, else shares queue 0 (under a lock if on another lcore).
        TxQueue main_tx{o.port_id, 0, nullptr};
        TxQueue flood_tx{o.port_id, static_cast<uint16_t>(o.queues > 1 ? 1 : 0), nullptr};
        if (two_lcores && o.queues == 1)
            main_tx.lock = flood_tx.lock = &tx_lock;

        SynBuilder builder(o, port.mac);
        if (!builder.self_test(10000))
            throw std::runtime_error("the SYN builder makes wrong checksums");

        Clients clients(o, port, rx_pool, main_tx, o.queues, hz);

        std::printf("tcpgen: port %u (%s) MAC %s, %u queue%s; %s/%u -> %s:%u; flood %s from %s/%u "
                    "(%u-byte SYNs, %s) on %s; clients %lu/s (concurrency %u)\n",
                    o.port_id, port.driver.c_str(), format_mac(port.mac).c_str(), o.queues,
                    o.queues == 1 ? "" : "s", net::format_ipv4(o.client.addr).c_str(),
                    o.client.length, net::format_ipv4(o.target_addr).c_str(), o.target_port,
                    o.flood_max ? "max" : (std::to_string(o.flood_rate) + " pps").c_str(),
                    net::format_ipv4(o.flood_prefix.addr).c_str(), o.flood_prefix.length,
                    builder.frame_len(), describe_syn_options(o.syn).c_str(),
                    !flood_on ? "no lcore" : two_lcores ? ("lcore " + std::to_string(worker)).c_str()
                                                        : "the main lcore",
                    static_cast<unsigned long>(o.clients_rate), o.concurrency);
        std::fflush(stdout);

        // The flood needs the next hop's MAC; so do the clients, to start
        // cleanly rather than with SYNs parked in the ARP queue.
        uint64_t deadline = rte_rdtsc() + 10 * hz;
        while (!clients.next_hop_known()) {
            uint64_t now = rte_rdtsc();
            if (now > deadline || g_signals.load() > 0)
                throw std::runtime_error("the target " + net::format_ipv4(o.gateway ? o.gateway : o.target_addr) +
                                         " did not answer ARP within 10 s (is the peer up?)");
            clients.probe_next_hop(now);
            clients.poll(now, false);
        }
        builder.set_dst_mac(clients.next_hop_mac());
        std::printf("tcpgen: next hop %s is at %s; running %u s\n",
                    net::format_ipv4(o.gateway ? o.gateway : o.target_addr).c_str(),
                    format_mac(clients.next_hop_mac()).c_str(), o.duration_s);
        std::fflush(stdout);

        std::optional<Flood> flood;
        if (flood_on)
            flood.emplace(o, builder, flood_pool, flood_tx, hz);
        Flood* fp = flood ? &*flood : nullptr;
        // Whatever happens below, the flood lcore stops before `flood` goes.
        struct StopFlood {
            ~StopFlood() {
                g_flood_stop.store(true);
                rte_eal_mp_wait_lcore();
            }
        } stop_flood;

        RunInfo info;
        info.driver = port.driver;
        info.mac = format_mac(port.mac);
        info.lcores = two_lcores ? 2 : 1;
        info.queues = o.queues;
        info.syn_frame_len = builder.frame_len();
        Report report(o, info, hz);

        uint64_t start = rte_rdtsc();
        report.start(start, clients, fp);
        clients.start(start);
        if (fp) {
            fp->start(start);
            if (two_lcores && rte_eal_remote_launch(run_flood, fp, worker) != 0)
                throw std::runtime_error("cannot launch the flood on lcore " + std::to_string(worker));
        }
        const uint64_t run_end = start + uint64_t{o.duration_s} * hz;
        uint64_t now = start;
        while (now < run_end && g_signals.load(std::memory_order_relaxed) == 0) {
            now = rte_rdtsc();
            clients.poll(now, true);
            // One loop: legitimate traffic first, the flood only when the
            // port has taken everything else (no self-inflicted drops).
            if (fp && !two_lcores && !clients.tx_pending())
                fp->poll(now);
            report.tick(now, clients, fp);
        }
        g_flood_stop.store(true);
        if (fp) {
            if (two_lcores)
                rte_eal_wait_lcore(worker);
            else
                fp->finish(rte_rdtsc());
        }
        now = rte_rdtsc();
        report.end_run(now);

        // Let open connections finish; then whatever is left is unfinished.
        const uint64_t drain_end = now + uint64_t{o.drain_ms} * hz / 1000;
        while (clients.live() > 0 && now < drain_end && g_signals.load(std::memory_order_relaxed) == 0) {
            now = rte_rdtsc();
            clients.poll(now, false);
            report.tick(now, clients, fp);
        }
        now = rte_rdtsc();
        clients.abort_all(now);
        report.finish(now, clients, fp);
        report.print_summary(stdout);
        if (!o.json_path.empty()) {
            if (report.write_json(o.json_path)) {
                std::printf("tcpgen: written %s\n", o.json_path.c_str());
            } else {
                std::fprintf(stderr, "tcpgen: cannot write %s\n", o.json_path.c_str());
                exit_code = 1;
            }
        }
        std::fflush(stdout);

        if (o.hold_after) {
            // Not polling from here on: the peer can stop (memif) safely.
            unsigned seen = g_signals.load();
            std::printf("tcpgen: done; holding the port without polling until SIGINT/SIGTERM\n");
            std::fflush(stdout);
            while (g_signals.load() == seen)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    } catch (const std::exception& e) {
        std::cerr << "tcpgen: " << e.what() << "\n";
        g_flood_stop.store(true);
        rte_eal_mp_wait_lcore();
        exit_code = 1;
    }
    if (port_started)
        net::stop_port(o.port_id);
    rte_mempool_free(flood_pool);
    rte_mempool_free(rx_pool);
    rte_eal_cleanup();
    return exit_code;
}
