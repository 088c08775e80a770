#include "lib/net/port.hpp"

#include <stdexcept>

#include <rte_ethdev.h>

namespace tcpterm::net {

namespace {

[[noreturn]] void fail(const char* step, uint16_t port, int rc) {
    throw std::runtime_error(std::string(step) + " failed on port " + std::to_string(port) +
                             ": " + rte_strerror(-rc));
}

}  // namespace

PortInfo start_port(const PortSettings& s) {
    if (!rte_eth_dev_is_valid_port(s.port_id))
        throw std::runtime_error("port " + std::to_string(s.port_id) +
                                 " does not exist (check the EAL --vdev/-a arguments)");
    rte_eth_dev_info dev{};
    int rc = rte_eth_dev_info_get(s.port_id, &dev);
    if (rc != 0)
        fail("rte_eth_dev_info_get", s.port_id, rc);
    if (s.queues > dev.max_rx_queues || s.queues > dev.max_tx_queues)
        throw std::runtime_error("port " + std::to_string(s.port_id) + " (" + dev.driver_name +
                                 ") has at most " + std::to_string(dev.max_rx_queues) +
                                 " queues; " + std::to_string(s.queues) + " were asked for");

    PortInfo info;
    info.driver = dev.driver_name;
    rte_eth_conf conf{};
    // Use checksum offloads only where the device has them; the software path
    // covers the rest (no virtual port here offloads for real).
    uint64_t rx_cksum = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
    if ((dev.rx_offload_capa & rx_cksum) == rx_cksum) {
        conf.rxmode.offloads |= rx_cksum;
        info.rx_checksum = true;
    }
    if (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
        info.tx_offloads.ipv4 = true;
    }
    if (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
        info.tx_offloads.tcp = true;
    }
    rc = rte_eth_dev_configure(s.port_id, s.queues, s.queues, &conf);
    if (rc != 0)
        fail("rte_eth_dev_configure", s.port_id, rc);
    uint16_t rxd = s.rx_descriptors, txd = s.tx_descriptors;
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(s.port_id, &rxd, &txd);
    if (rc != 0)
        fail("rte_eth_dev_adjust_nb_rx_tx_desc", s.port_id, rc);
    int socket = rte_eth_dev_socket_id(s.port_id);
    if (socket < 0)
        socket = 0;
    for (uint16_t q = 0; q < s.queues; ++q) {
        rte_eth_rxconf rxconf = dev.default_rxconf;
        rxconf.offloads = conf.rxmode.offloads;
        rc = rte_eth_rx_queue_setup(s.port_id, q, rxd, socket, &rxconf, s.pool);
        if (rc != 0)
            fail("rte_eth_rx_queue_setup", s.port_id, rc);
        rte_eth_txconf txconf = dev.default_txconf;
        txconf.offloads = conf.txmode.offloads;
        rc = rte_eth_tx_queue_setup(s.port_id, q, txd, socket, &txconf);
        if (rc != 0)
            fail("rte_eth_tx_queue_setup", s.port_id, rc);
    }
    rc = rte_eth_macaddr_get(s.port_id, &info.mac);
    if (rc != 0)
        fail("rte_eth_macaddr_get", s.port_id, rc);
    uint16_t mtu = 0;
    if (rte_eth_dev_get_mtu(s.port_id, &mtu) == 0 && mtu >= 576)
        info.mtu = mtu;
    rc = rte_eth_dev_start(s.port_id);
    if (rc != 0)
        fail("rte_eth_dev_start", s.port_id, rc);
    // Our address is not the port's: see every frame, filter in software.
    rte_eth_promiscuous_enable(s.port_id);
    return info;
}

void stop_port(uint16_t port_id) {
    rte_eth_dev_stop(port_id);
    rte_eth_dev_close(port_id);
}

}  // namespace tcpterm::net
