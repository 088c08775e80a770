// Per-worker counters of the L2/L3 layer. One writer (the worker); the control
// thread reads them for telemetry and the exit summary.
#pragma once

#include <cstdint>

namespace tcpterm::net {

// X(name, help): names follow Linux nstat / ip -s where one exists.
#define TCPTERM_NET_COUNTERS(X)                                                     \
    X(RxPackets, "frames received from the port")                                   \
    X(TxPackets, "frames handed to the port")                                       \
    X(TxDropped, "frames the port did not accept (TX ring full)")                   \
    X(RxMultiSegDropped, "received frames spanning several mbufs (scatter off)")    \
    X(EthTooShort, "frames shorter than their headers")                             \
    X(EthUnknownType, "frames with an EtherType other than IPv4/ARP")               \
    X(EthNotForUs, "frames for another unicast MAC")                                \
    X(ArpInRequests, "ARP requests for our address")                                \
    X(ArpOutReplies, "ARP replies sent")                                            \
    X(ArpInReplies, "ARP replies received")                                         \
    X(ArpOutRequests, "ARP requests sent to resolve a next hop")                    \
    X(ArpRequestsLimited, "ARP requests not sent: over the per-second budget")      \
    X(ArpMalformed, "ARP frames too short or not Ethernet/IPv4")                    \
    X(ArpIgnored, "ARP frames not for our address")                                 \
    X(ArpTableFull, "neighbours not learned because the table was full")            \
    X(ArpHeldDropped, "packets dropped while waiting for ARP resolution")           \
    X(IpInReceives, "IPv4 datagrams received")                                      \
    X(IpInHdrErrors, "IPv4 datagrams with a bad version, length or checksum")       \
    X(IpInMartians, "IPv4 datagrams from an impossible source (our own, loopback, multicast, broadcast, 0)") \
    X(IpInAddrErrors, "IPv4 datagrams not for our address")                         \
    X(IpFragDropped, "IPv4 fragments (reassembly is not done)")                     \
    X(IpOptionsDropped, "IPv4 datagrams with options")                              \
    X(IpInUnknownProtos, "IPv4 datagrams of a protocol other than TCP/ICMP")        \
    X(IpOutNoRoutes, "datagrams for an off-link address with no gateway")           \
    X(IcmpInEchos, "ICMP echo requests")                                            \
    X(IcmpOutEchoReps, "ICMP echo replies sent")                                    \
    X(IcmpInErrors, "ICMP messages too short or with a bad checksum")               \
    X(IcmpInIgnored, "ICMP messages other than echo request")                       \
    X(MbufAllocFailed, "mbuf allocations that failed (pool exhausted)")                 \
    X(FlowHandoffsOut, "TCP segments handed to the worker that owns their flow")        \
    X(FlowHandoffsIn, "TCP segments received from another worker")                      \
    X(FlowHandoffDrops, "segments dropped because the owner's hand-off ring was full")  \
    X(NeighborsShared, "ARP mappings passed to the other workers")

struct Counters {
#define TCPTERM_DECLARE(name, help) uint64_t name = 0;
    TCPTERM_NET_COUNTERS(TCPTERM_DECLARE)
#undef TCPTERM_DECLARE
};

}  // namespace tcpterm::net
