// One IPv4 interface on one port queue, as seen by one worker: Ethernet in and
// out, ARP, IPv4 validation and ICMP echo. TCP segments are handed up intact;
// this layer knows nothing of TCP state.
#pragma once

#include <cstdint>

#include <rte_ether.h>

#include "lib/net/address_set.hpp"
#include "lib/net/arp.hpp"
#include "lib/net/checksum.hpp"
#include "lib/net/counters.hpp"
#include "lib/net/frame_sink.hpp"
#include "lib/net/ipv4_addr.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace tcpterm::net {

struct InterfaceConfig {
    rte_ether_addr mac{};
    AddressSet addresses;      // ours (the VIPs), each with its on-link subnet
    uint32_t gateway = 0;      // 0: none; off-link peers are then unreachable
    uint32_t arp_entries = 1024;
    uint64_t arp_reachable_us = 300'000'000;
    // ARP requests per second at most: a flood of SYNs from spoofed on-link
    // sources must not turn into a broadcast storm.
    uint32_t arp_requests_per_second = 1000;
    ChecksumOffloads tx_offloads;
};

// A received TCP segment: data starts at the IPv4 header.
struct Ipv4Datagram {
    uint32_t src = 0;          // host byte order
    uint32_t dst = 0;
    uint16_t header_len = 0;
    uint16_t payload_len = 0;  // total length minus header
};

// Told when the interface learns a neighbour from ARP, so that the other
// workers (whose own ARP requests may be answered on this worker's queue)
// learn it too.
class NeighborObserver {
public:
    virtual ~NeighborObserver() = default;
    virtual void neighbor_learned(uint32_t ip, const rte_ether_addr& mac) = 0;
};

class Interface {
public:
    Interface(const InterfaceConfig& config, Counters& counters, FrameSink& sink,
              rte_mempool* pool);

    // Handles one received frame. Returns true for a valid TCP datagram to us,
    // which the caller now owns with its data starting at the IPv4 header.
    // Everything else is answered (ARP, ping) or dropped and counted here.
    bool input(rte_mbuf* m, uint64_t now, Ipv4Datagram& tcp);

    // Sends an IPv4 datagram (data at its IPv4 header, l3_len set): finds the
    // next hop, prepends Ethernet, fills checksums. Takes ownership.
    void output(rte_mbuf* m, uint64_t now);
    // Sends a reply rewritten in the mbuf of a frame input() accepted, back
    // to that frame's source MAC (still in the headroom), as DPDK's icmpecho
    // does: no ARP entry, so a flood of spoofed SYNs leaves the neighbour
    // table alone, and the reply takes the hop the request came by.
    void reply(rte_mbuf* m);

    // A mapping another worker learned: record it and send what waited for it.
    void learn_neighbor(uint32_t ip, const rte_ether_addr& mac, uint64_t now);
    void set_neighbor_observer(NeighborObserver* observer) { observer_ = observer; }

    // The primary address: the source of connections we open ourselves.
    uint32_t address() const { return config_.addresses.primary().addr; }
    const InterfaceConfig& config() const { return config_; }

private:
    void input_arp(rte_mbuf* m, uint64_t now);
    void input_icmp(rte_mbuf* m, rte_ether_hdr* eth, uint16_t ip_len);
    void send_arp_request(uint32_t target, uint64_t now);
    void transmit(rte_mbuf* m, const rte_ether_addr& dst);

    InterfaceConfig config_;
    Counters& counters_;
    FrameSink& sink_;
    rte_mempool* pool_;
    ArpTable arp_;
    NeighborObserver* observer_ = nullptr;
    uint64_t arp_second_ = 0;
    uint32_t arp_sent_this_second_ = 0;
};

}  // namespace tcpterm::net
