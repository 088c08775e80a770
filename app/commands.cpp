#include "app/commands.hpp"

#include <stdexcept>

#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

namespace tcpterm::app {

CommandRing::CommandRing(const std::string& name) {
    ring_ = rte_ring_create_elem(name.c_str(), sizeof(ConnectCommand), 256, SOCKET_ID_ANY,
                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!ring_)
        throw std::runtime_error("cannot create command ring " + name + ": " +
                                 rte_strerror(rte_errno));
}

CommandRing::~CommandRing() { rte_ring_free(ring_); }

bool CommandRing::post(const ConnectCommand& command) {
    std::lock_guard lock(producer_);
    ConnectCommand copy = command;  // the DPDK call takes a non-const pointer
    return rte_ring_enqueue_elem(ring_, &copy, sizeof(copy)) == 0;
}

bool CommandRing::take(ConnectCommand& command) {
    return rte_ring_dequeue_elem(ring_, &command, sizeof(command)) == 0;
}

}  // namespace tcpterm::app
