#include "app/worker_mesh.hpp"

#include <stdexcept>
#include <string>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

namespace tcpterm::app {

namespace {
constexpr unsigned kNeighborRingSize = 256;

rte_ring* make_ring(const std::string& name, unsigned elem_size, unsigned size) {
    rte_ring* r = rte_ring_create_elem(name.c_str(), elem_size, size, SOCKET_ID_ANY,
                                       RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!r)
        throw std::runtime_error("cannot create ring " + name + ": " + rte_strerror(rte_errno));
    return r;
}
}  // namespace

WorkerMesh::WorkerMesh(uint16_t workers)
    : workers_(workers), segments_(workers * workers), neighbors_(workers * workers) {
    for (uint16_t a = 0; a < workers; ++a) {
        for (uint16_t b = 0; b < workers; ++b) {
            if (a == b)
                continue;
            std::string pair = std::to_string(a) + "_" + std::to_string(b);
            segments_[a * workers + b] = make_ring("seg_" + pair, sizeof(void*), WorkerMesh::kSegmentRingSize);
            neighbors_[a * workers + b] =
                make_ring("nbr_" + pair, sizeof(NeighborRecord), kNeighborRingSize);
        }
    }
}

WorkerMesh::~WorkerMesh() {
    for (rte_ring* r : segments_) {
        void* m;
        while (r && rte_ring_dequeue(r, &m) == 0)
            rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        rte_ring_free(r);
    }
    for (rte_ring* r : neighbors_)
        rte_ring_free(r);
}

}  // namespace tcpterm::app
