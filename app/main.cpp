// tcpterm: a poll-mode TCP termination appliance on DPDK.
// main() is start-up and shut-down only: configuration, EAL, the port, the
// workers, telemetry and signals. The packet path lives in worker.cpp.
#include <sys/random.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>

#include "app/config.hpp"
#include "app/stats.hpp"
#include "app/worker.hpp"
#include "app/worker_mesh.hpp"
#include "lib/net/flow_steering.hpp"
#include "lib/net/port.hpp"

using namespace tcpterm;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

tcp::SipKey random_key() {
    tcp::SipKey key;
    if (getrandom(&key, sizeof(key), 0) != sizeof(key)) {
        std::perror("tcpterm: getrandom");
        std::exit(1);
    }
    return key;
}

uint64_t steady_us() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

int run_worker(void* arg) {
    static_cast<app::Worker*>(arg)->run(g_stop);
    return 0;
}

std::vector<rte_mempool*> create_worker_pools(uint32_t mbufs, uint16_t workers) {
    std::vector<rte_mempool*> pools;
    for (uint16_t w = 0; w < workers; ++w) {
        std::string name = "mbufs_w" + std::to_string(w);
        rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), mbufs / workers, 256, 0,
                                                    RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
        if (!pool) {
            for (rte_mempool* p : pools)
                rte_mempool_free(p);
            throw std::runtime_error("cannot create the mbuf pool " + name + ": " +
                                     rte_strerror(rte_errno) + " (lower mbufs or add memory)");
        }
        pools.push_back(pool);
    }
    return pools;
}

// The tcp.mem marks not given are derived from the worker's pool: what its
// RX and TX rings, in-flight bursts, hand-off rings and replies can hold
// stays out of the connections' reach (the reserve that keeps RX refilling
// and RSTs and ACKs getting in), the rest is the hard mark.
void set_memory_marks(tcp::EngineConfig& e, uint32_t pool_size, const net::PortSettings& port,
                      uint16_t workers) {
    uint32_t reserve = port.rx_descriptors + port.tx_descriptors + 1024 +
                       (workers > 1 ? (workers - 1) * app::WorkerMesh::kSegmentRingSize : 0);
    if (e.mem_high == 0)
        e.mem_high = pool_size > 2 * reserve ? pool_size - reserve : pool_size / 2;
    if (e.mem_pressure == 0)
        e.mem_pressure = e.mem_high / 4 * 3;
    if (e.mem_low == 0)
        e.mem_low = e.mem_pressure / 3 * 2;
    if (e.mem_pressure > e.mem_high || e.mem_low > e.mem_pressure)
        throw std::runtime_error("tcp.mem_low <= tcp.mem_pressure <= tcp.mem_high does not hold with "
                                 "the derived marks (" + std::to_string(e.mem_low) + ", " +
                                 std::to_string(e.mem_pressure) + ", " + std::to_string(e.mem_high) + ")");
}

std::string describe_addresses(const app::Config& c) {
    std::string out;
    for (const net::Ipv4Prefix& p : c.addresses)
        out += (out.empty() ? "" : ",") + net::format_ipv4(p.addr) + "/" + std::to_string(p.length);
    return out;
}

std::string describe_listeners(const app::Config& c) {
    std::string out;
    for (const auto& l : c.listeners)
        out += " " + l.text;
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    app::Config config;
    if (int rc = app::parse_config(argc, argv, config); rc >= 0)
        return rc;

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    std::vector<char*> eal_argv{argv[0]};
    for (auto& a : config.eal_args)
        eal_argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        std::cerr << "tcpterm: EAL initialisation failed: " << rte_strerror(rte_errno)
                  << " (check the eal option)\n";
        return 1;
    }

    // Lets dpdk-dumpcap / dpdk-pdump capture our port (needs a hugepage
    // primary: with --no-huge there is no multi-process, so no capture).
    bool pdump = rte_pdump_init() == 0;

    int exit_code = 0;
    std::unique_ptr<net::FlowSteering> steering;
    std::unique_ptr<app::WorkerMesh> mesh;
    std::unique_ptr<app::LoadBalancer> lb;
    std::vector<std::unique_ptr<app::Worker>> workers;
    std::vector<app::Worker*> worker_ptrs;
    std::vector<rte_mempool*> pools;
    bool port_started = false;
    try {
        // One worker per worker lcore unless told otherwise; with no worker
        // lcore the main lcore polls (and signals are still seen).
        std::vector<unsigned> lcores;
        for (unsigned l = rte_get_next_lcore(-1, 1, 0); l < RTE_MAX_LCORE; l = rte_get_next_lcore(l, 1, 0))
            lcores.push_back(l);
        uint16_t worker_count = static_cast<uint16_t>(
            config.workers ? config.workers : std::max<size_t>(lcores.size(), 1));
        // Each worker its own pool: its RX queue refills from it and its
        // connections queue into it, so no worker's peers can empty another's.
        pools = create_worker_pools(config.mbufs, worker_count);
        if (worker_count > std::max<size_t>(lcores.size(), 1))
            throw std::runtime_error("workers = " + std::to_string(worker_count) + " needs as many worker lcores; the EAL gave " +
                                     std::to_string(lcores.size()) + " besides the main one (see eal -l/--lcores)");
        // A symmetric RSS key of its own each run (flow_steering.hpp).
        steering = std::make_unique<net::FlowSteering>(worker_count,
                                                       net::FlowSteering::random_key_pattern());
        mesh = std::make_unique<app::WorkerMesh>(worker_count);

        net::PortSettings ps;
        ps.port_id = config.port_id;
        ps.queues = worker_count;
        ps.pools = pools;
        ps.steering = steering.get();
        net::PortInfo port = net::start_port(ps);
        port_started = true;

        net::InterfaceConfig iface;
        iface.mac = port.mac;
        iface.addresses = config.addresses;
        iface.gateway = config.gateway;
        iface.arp_entries = config.arp_entries;
        iface.arp_reachable_us = uint64_t{config.arp_timeout_s} * 1'000'000;
        iface.tx_offloads = port.tx_offloads;

        tcp::EngineConfig engine = config.engine;
        uint32_t mss = port.mtu - 40;
        if (config.mss_clamp != 0 && config.mss_clamp < mss)
            mss = config.mss_clamp;
        engine.mss = static_cast<uint16_t>(mss);
        engine.tx_chains = port.tx_chains;
        engine.tso_max = port.tso_max;
        engine.isn_key = random_key();
        engine.ts_key = random_key();
        engine.cookie_key = random_key();  // one for the appliance: any worker checks any cookie
        set_memory_marks(engine, config.mbufs / worker_count, ps, worker_count);

        app::SteeringPlan plan{steering.get(), mesh.get(), port.hardware_steering};
        lb = std::make_unique<app::LoadBalancer>(config.pools, worker_count);
        for (uint16_t w = 0; w < worker_count; ++w) {
            workers.push_back(std::make_unique<app::Worker>(w, config, config.port_id, plan, iface,
                                                            engine, pools[w], *lb));
            worker_ptrs.push_back(workers.back().get());
        }
        app::register_telemetry(worker_ptrs, config.port_id, lb.get());

        char mac[RTE_ETHER_ADDR_FMT_SIZE];
        rte_ether_format_addr(mac, sizeof(mac), &port.mac);
        std::printf("tcpterm: port %u (%s) MAC %s MTU %u MSS %u, checksum offload rx %s tx %s, "
                    "zero-copy tx %s, tso %s\n",
                    config.port_id, port.driver.c_str(), mac, port.mtu, mss,
                    port.rx_checksum ? "on" : "off",
                    port.tx_offloads.tcp ? "on" : "off (software)",
                    port.tx_chains ? "on (mbuf chains)" : "off (the port sends no chains)",
                    port.tso_max ? "on" : "off");
        if (worker_count > 1)
            std::printf("tcpterm: %u workers, flow steering %s\n", worker_count,
                        port.hardware_steering
                            ? "by the NIC (symmetric Toeplitz key, RETA programmed)"
                            : ("in software with hand-off rings: " + port.steering_note).c_str());
        std::printf("tcpterm: ready: %s listening on%s\n", describe_addresses(config).c_str(),
                    describe_listeners(config).c_str());
        std::fflush(stdout);

        // The control thread's periodic work, beside main's wait for a
        // signal (or beside the main lcore's polling when it is the only
        // one): backend health into the pools' tables.
        std::atomic<bool> control_stop{false};
        std::thread control([&] {
            while (!control_stop.load()) {
                lb->tick(steady_us(), stdout);
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        });
        if (!lcores.empty()) {
            for (uint16_t w = 0; w < worker_count; ++w)
                rte_eal_remote_launch(run_worker, workers[w].get(), lcores[w]);
            while (!g_stop.load())
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            rte_eal_mp_wait_lcore();
        } else {
            workers[0]->run(g_stop);  // only the main lcore: it polls too
        }
        control_stop.store(true);
        control.join();
        app::unregister_telemetry();
        app::print_summary(stdout, worker_ptrs, config.port_id);
        lb->print_summary(stdout);
    } catch (const std::exception& e) {
        std::cerr << "tcpterm: " << e.what() << "\n";
        g_stop.store(true);
        rte_eal_mp_wait_lcore();
        exit_code = 1;
    }
    workers.clear();
    lb.reset();
    mesh.reset();
    if (pdump)
        rte_pdump_uninit();
    if (port_started)
        net::stop_port(config.port_id);
    for (rte_mempool* pool : pools)
        rte_mempool_free(pool);
    rte_eal_cleanup();
    return exit_code;
}
