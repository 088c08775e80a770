// One worker lcore: owns an RX/TX queue pair, an interface view, a TCP engine
// and its counters, and runs the poll loop. Nothing here is shared with
// another worker; the control thread only reads the counters.
#pragma once

#include <atomic>
#include <map>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <rte_common.h>

#include "app/clock.hpp"
#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/lb/balancer.hpp"
#include "app/lb/health_check.hpp"
#include "app/worker_mesh.hpp"
#include "lib/net/flow_steering.hpp"
#include "lib/net/counters.hpp"
#include "lib/net/frame_sink.hpp"
#include "lib/net/interface.hpp"
#include "lib/tcp/counters.hpp"
#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

struct rte_eth_dev_tx_buffer;
struct rte_mempool;

namespace tcpterm::app {

struct alignas(RTE_CACHE_LINE_SIZE) WorkerCounters {
    net::Counters net;
    tcp::Counters tcp;
};

// How packets find their owner (see flow_steering.hpp).
struct SteeringPlan {
    const net::FlowSteering* steering = nullptr;
    WorkerMesh* mesh = nullptr;
    bool hardware = false;  // the NIC already delivers each flow to its owner
};

class Worker final : public net::FrameSink,
                     public net::DatagramSink,
                     public net::NeighborObserver {
public:
    // Worker `id` polls RX/TX queue `id` of `port`; lb holds the pools its
    // proxies spread connections over, and outlives it.
    Worker(uint16_t id, const Config& config, uint16_t port, const SteeringPlan& plan,
           const net::InterfaceConfig& iface, const tcp::EngineConfig& engine, rte_mempool* pool,
           LoadBalancer& lb);
    ~Worker() override;

    // The poll loop; when stop becomes true it ends every connection, telling
    // each peer (FIN or RST), and returns once that is on the wire.
    void run(const std::atomic<bool>& stop);

    const WorkerCounters& counters() const { return counters_; }
    const tcp::Engine& engine() const { return *engine_; }
    // The control thread's way in (see commands.hpp).
    CommandRing& commands() { return commands_; }
    unsigned id() const { return id_; }

    void send_frame(rte_mbuf* frame) override;
    void send_datagram(rte_mbuf* datagram) override;
    void reply_datagram(rte_mbuf* datagram) override { iface_.reply(datagram); }
    void neighbor_learned(uint32_t ip, const rte_ether_addr& mac) override;

private:
    // One turn: RX burst to completion, hand-offs, a command, timers, TX.
    void poll_once();
    void tell_peers(const TscClock& clock);
    void run_command(const ConnectCommand& command);
    // The worker that owns the flow of a valid TCP datagram.
    uint16_t owner_of(const rte_mbuf* m, const net::Ipv4Datagram& d) const;
    void hand_off(uint16_t owner, rte_mbuf* m);
    void poll_other_workers();

    uint16_t id_;
    uint16_t port_;
    uint16_t queue_;
    SteeringPlan plan_;
    LoadBalancer& lb_;
    WorkerCounters counters_;
    rte_eth_dev_tx_buffer* tx_buffer_ = nullptr;
    uint64_t now_us_ = 0;
    net::Interface iface_;
    std::vector<std::unique_ptr<tcp::Service>> services_;
    // One instance of each service for connections this worker opens.
    std::map<std::string, std::unique_ptr<tcp::Service>> outbound_services_;
    CommandRing commands_;
    HealthChecker health_;  // the backends this worker checks
    std::unique_ptr<tcp::Engine> engine_;
};

}  // namespace tcpterm::app
