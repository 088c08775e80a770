#include "lib/net/arp.hpp"

#include <cstring>

#include <rte_arp.h>
#include <rte_mbuf.h>

namespace tcpterm::net {

bool write_arp_request(rte_mbuf* m, const rte_ether_addr& sender_mac, uint32_t sender_ip,
                       uint32_t target) {
    auto* eth = reinterpret_cast<rte_ether_hdr*>(
        rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)));
    if (!eth)
        return false;
    memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
    eth->src_addr = sender_mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
    arp->arp_data.arp_sha = sender_mac;
    arp->arp_data.arp_sip = rte_cpu_to_be_32(sender_ip);
    memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
    arp->arp_data.arp_tip = rte_cpu_to_be_32(target);
    return true;
}

ArpTable::ArpTable(uint32_t capacity, uint64_t reachable_us)
    : buckets_((capacity + kWays - 1) / kWays), reachable_us_(reachable_us) {
    if (buckets_ == 0)
        buckets_ = 1;
    entries_.resize(size_t{buckets_} * kWays);
}

ArpTable::~ArpTable() {
    for (auto& e : entries_)
        rte_pktmbuf_free(e.held);
}

ArpTable::Entry* ArpTable::find(uint32_t ip) {
    Entry* bucket = &entries_[size_t{(ip * 2654435761u) % buckets_} * kWays];
    for (uint32_t w = 0; w < kWays; ++w)
        if (bucket[w].used && bucket[w].ip == ip)
            return &bucket[w];
    return nullptr;
}

ArpTable::Entry* ArpTable::find_or_insert(uint32_t ip, uint64_t now, bool answered) {
    if (Entry* e = find(ip))
        return e;
    Entry* bucket = &entries_[size_t{(ip * 2654435761u) % buckets_} * kWays];
    // Evict, in this order: a free slot; an unresolved entry nobody answered
    // for kFailedUs (a spoofed source during a SYN flood asks for many of
    // those and must not crowd out real neighbours); an aged-out one. A
    // neighbour whose ARP packet is in hand (`answered`) is real and wants to
    // talk to us: it may also take any unresolved slot and, failing that, the
    // least recently confirmed one. Our own lookups never evict a live entry.
    Entry* victim = nullptr;
    int victim_rank = 0;
    for (uint32_t w = 0; w < kWays; ++w) {
        Entry& e = bucket[w];
        int rank = !e.used                                                      ? 4
                   : (!e.resolved && (answered || now - e.updated > kFailedUs)) ? 3
                   : now - e.updated > reachable_us_                            ? 2
                   : answered                                                   ? 1
                                                                                : 0;
        if (rank > victim_rank || (rank == victim_rank && rank > 0 && e.updated < victim->updated)) {
            victim = &e;
            victim_rank = rank;
        }
    }
    if (!victim) {
        count_full();
        return nullptr;
    }
    rte_pktmbuf_free(victim->held);
    *victim = Entry{};
    victim->used = true;
    victim->ip = ip;
    victim->updated = now;
    return victim;
}

void ArpTable::count_full() {
    if (counters)
        ++counters->ArpTableFull;
}

ArpTable::Lookup ArpTable::lookup(uint32_t ip, uint64_t now) {
    Entry* e = find_or_insert(ip, now);
    if (!e)
        return {nullptr, false};
    bool stale = !e->resolved || now - e->updated > reachable_us_;
    bool probe = stale && (!e->probed || now - e->last_probe >= kProbeIntervalUs);
    if (probe) {
        e->probed = true;
        e->last_probe = now;
    }
    // A stale entry is still used while we re-confirm it (Linux's STALE state).
    return {e->resolved ? &e->mac : nullptr, probe};
}

rte_mbuf* ArpTable::learn(uint32_t ip, const rte_ether_addr& mac, uint64_t now) {
    Entry* e = find_or_insert(ip, now, true);
    if (!e)
        return nullptr;
    e->mac = mac;
    e->resolved = true;
    e->probed = false;
    e->updated = now;
    rte_mbuf* held = e->held;
    e->held = nullptr;
    return held;
}

bool ArpTable::hold(uint32_t ip, rte_mbuf* m, uint64_t now) {
    Entry* e = find_or_insert(ip, now);
    if (!e) {
        rte_pktmbuf_free(m);
        if (counters)
            ++counters->ArpHeldDropped;
        return false;
    }
    if (e->held) {
        rte_pktmbuf_free(e->held);
        if (counters)
            ++counters->ArpHeldDropped;
    }
    e->held = m;
    return true;
}

}  // namespace tcpterm::net
