// The rings between workers, made at start: for every ordered pair (a, b) a
// single-producer/single-consumer ring of TCP segments that a received on
// behalf of b (software flow steering), and one of neighbour mappings a
// learned from ARP. SP/SC: no two threads ever write the same ring end.
#pragma once

#include <cstdint>
#include <vector>

#include <rte_ether.h>

struct rte_ring;

namespace tcpterm::app {

struct NeighborRecord {
    uint32_t ip;
    rte_ether_addr mac;
    uint16_t pad;
};

class WorkerMesh {
public:
    // Segments one worker may have in flight to another: they hold mbufs of
    // the sender's pool, which its memory reserve accounts for.
    static constexpr unsigned kSegmentRingSize = 4096;

    explicit WorkerMesh(uint16_t workers);
    ~WorkerMesh();
    WorkerMesh(const WorkerMesh&) = delete;
    WorkerMesh& operator=(const WorkerMesh&) = delete;

    uint16_t workers() const { return workers_; }
    rte_ring* segments(uint16_t from, uint16_t to) const { return segments_[from * workers_ + to]; }
    rte_ring* neighbors(uint16_t from, uint16_t to) const { return neighbors_[from * workers_ + to]; }

private:
    uint16_t workers_;
    std::vector<rte_ring*> segments_;
    std::vector<rte_ring*> neighbors_;
};

}  // namespace tcpterm::app
