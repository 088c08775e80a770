#include "lib/net/port.hpp"

#include <cstring>
#include <stdexcept>
#include <vector>

#include <rte_ethdev.h>

#include "lib/net/flow_steering.hpp"

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
    // Chained mbufs: the engine then sends payload by reference (zero copy).
    if (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
        info.tx_chains = true;
    }
    // TCP segmentation offload, where the port also takes chains and fills
    // both checksums (the engine then sends up to 64 KB in one frame).
    uint64_t tso = RTE_ETH_TX_OFFLOAD_TCP_TSO;
    // (Not where a frame may hold fewer than 40 buffers: a 64 KB chain of
    // send-queue references needs that many.)
    bool enough_segments = dev.tx_desc_lim.nb_seg_max == 0 || dev.tx_desc_lim.nb_seg_max >= 40;
    if ((dev.tx_offload_capa & tso) && info.tx_chains && info.tx_offloads.tcp && info.tx_offloads.ipv4 &&
        enough_segments) {
        conf.txmode.offloads |= tso;
        info.tso_max = 65535 - 120;  // the IPv4 total length, less headers and options
    }
    // net_tap offers TSO but segments in software (librte_gso); on our
    // chains of send-queue references it refused whole runs of frames as TX
    // errors in about one connection in four (not understood yet), which
    // stalls a transfer on RTOs. Not used there.
    if (info.driver == "net_tap" && info.tso_max != 0) {
        conf.txmode.offloads &= ~tso;
        info.tso_max = 0;
    }
    // RSS with our key and RETA only where the device can do exactly that.
    bool want_rss = s.queues > 1 && s.steering;
    uint8_t key[FlowSteering::kKeyLen];
    if (want_rss) {
        uint64_t hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP;
        if ((dev.flow_type_rss_offloads & hf) != hf)
            info.steering_note = "the device cannot hash IPv4/TCP (flow_type_rss_offloads=0x" +
                                 std::to_string(dev.flow_type_rss_offloads) + ")";
        else if (dev.hash_key_size != FlowSteering::kKeyLen)
            info.steering_note = "the device's RSS key is " + std::to_string(dev.hash_key_size) +
                                 " bytes, not 40";
        else if (dev.reta_size == 0 || dev.reta_size % FlowSteering::kRetaSize != 0)
            info.steering_note = "the device's RETA has " + std::to_string(dev.reta_size) +
                                 " entries, not a multiple of 128";
        if (info.steering_note.empty()) {
            memcpy(key, s.steering->key().data(), sizeof(key));
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_key = key;
            conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(key);
            conf.rx_adv_conf.rss_conf.rss_hf = hf;
            if (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH)
                conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
        }
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
        rc = rte_eth_rx_queue_setup(s.port_id, q, rxd, socket, &rxconf, s.pools.at(q));
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
    if (want_rss && info.steering_note.empty()) {
        // Program the RETA explicitly: the software copy is the truth.
        std::vector<rte_eth_rss_reta_entry64> reta(dev.reta_size / RTE_ETH_RETA_GROUP_SIZE);
        for (uint16_t i = 0; i < dev.reta_size; ++i) {
            auto& group = reta[i / RTE_ETH_RETA_GROUP_SIZE];
            group.mask |= uint64_t{1} << (i % RTE_ETH_RETA_GROUP_SIZE);
            group.reta[i % RTE_ETH_RETA_GROUP_SIZE] = s.steering->reta()[i % FlowSteering::kRetaSize];
        }
        rc = rte_eth_dev_rss_reta_update(s.port_id, reta.data(), dev.reta_size);
        if (rc == 0)
            info.hardware_steering = true;
        else
            info.steering_note = std::string("RETA update failed: ") + rte_strerror(-rc);
    }
    // Our address is not the port's: see every frame, filter in software.
    rte_eth_promiscuous_enable(s.port_id);
    return info;
}

void stop_port(uint16_t port_id) {
    rte_eth_dev_stop(port_id);
    rte_eth_dev_close(port_id);
}

}  // namespace tcpterm::net
