// Bringing up one ethdev port: queues, offloads the device really has, MTU.
// Start-up code, not the packet path; errors are thrown with a clear message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_ether.h>

#include "lib/net/checksum.hpp"

struct rte_mempool;

namespace tcpterm::net {
class FlowSteering;
}

namespace tcpterm::net {

struct PortSettings {
    uint16_t port_id = 0;
    uint16_t queues = 1;       // RX and TX queue pairs, one per worker
    uint16_t rx_descriptors = 1024;
    uint16_t tx_descriptors = 1024;
    std::vector<rte_mempool*> pools;  // RX queue q refills from pools[q]
    const FlowSteering* steering = nullptr;  // with queues > 1: the RSS to program
};

struct PortInfo {
    std::string driver;
    rte_ether_addr mac{};
    uint16_t mtu = RTE_ETHER_MTU;
    ChecksumOffloads tx_offloads;  // what we enabled
    bool rx_checksum = false;      // RX IPv4/TCP checksum offload enabled
    bool tx_chains = false;        // RTE_ETH_TX_OFFLOAD_MULTI_SEGS enabled
    uint32_t tso_max = 0;          // TCP_TSO enabled: payload bytes per frame; 0 if not
    // The NIC hashes with our symmetric key and RETA, so every flow arrives
    // on its owner's queue; false means software steering is needed.
    bool hardware_steering = false;
    std::string steering_note;     // why not, for the start-up log
};

// Configures and starts the port. Throws std::runtime_error naming the step.
PortInfo start_port(const PortSettings& settings);
void stop_port(uint16_t port_id);

}  // namespace tcpterm::net
