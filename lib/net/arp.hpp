// ARP (RFC 826) for one IPv4 interface: a bounded neighbour table with ageing,
// a responder for our address and a resolver that holds one packet per
// unresolved neighbour (like Linux's unres_qlen, but 1: TCP retransmits).
#pragma once

#include <cstdint>
#include <vector>

#include <rte_ether.h>

#include "lib/net/counters.hpp"

struct rte_mbuf;

namespace tcpterm::net {

// Appends a broadcast ARP request "who has target? tell sender_ip" to an
// empty mbuf. Returns false when the mbuf has no room.
bool write_arp_request(rte_mbuf* m, const rte_ether_addr& sender_mac, uint32_t sender_ip,
                       uint32_t target);

class ArpTable {
public:
    // capacity is rounded up to a multiple of the associativity (4 ways).
    ArpTable(uint32_t capacity, uint64_t reachable_us);
    ~ArpTable();
    ArpTable(const ArpTable&) = delete;
    ArpTable& operator=(const ArpTable&) = delete;

    struct Lookup {
        const rte_ether_addr* mac;  // null while unresolved
        bool should_probe;          // caller should send an ARP request now
    };
    // Finds the MAC for ip. When it is unknown or stale, tells the caller to
    // send a request (at most once a second per neighbour).
    Lookup lookup(uint32_t ip, uint64_t now);
    // Records ip -> mac (from a request for us or a reply). Returns the packet
    // that was waiting for this neighbour, if any (the caller sends it).
    rte_mbuf* learn(uint32_t ip, const rte_ether_addr& mac, uint64_t now);
    // Parks a packet until ip resolves; replaces (and frees) an older one.
    // Returns false (and frees m) if the neighbour has no slot.
    bool hold(uint32_t ip, rte_mbuf* m, uint64_t now);

    Counters* counters = nullptr;  // optional, for ArpTableFull / ArpHeldDropped

private:
    static constexpr uint32_t kWays = 4;
    static constexpr uint64_t kProbeIntervalUs = 1000000;
    static constexpr uint64_t kFailedUs = 3000000;  // unanswered this long: evictable
    struct Entry {
        uint32_t ip = 0;
        bool used = false;
        bool resolved = false;
        rte_ether_addr mac{};
        uint64_t updated = 0;       // when the mapping was last confirmed
        uint64_t last_probe = 0;    // when we last asked
        bool probed = false;
        rte_mbuf* held = nullptr;
    };
    Entry* find(uint32_t ip);
    // `answered`: the caller has an ARP packet from ip in hand, which beats
    // any entry still waiting for an answer.
    Entry* find_or_insert(uint32_t ip, uint64_t now, bool answered = false);
    void count_full();

    std::vector<Entry> entries_;
    uint32_t buckets_;
    uint64_t reachable_us_;
};

}  // namespace tcpterm::net
