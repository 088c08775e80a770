// Which listener a segment for (local address, local port) reaches: one bound
// to that address wins over a wildcard on the port (RFC 9293 §3.9.1.1, as
// Linux's sockets). Every segment with no connection comes here (a SYN flood
// to closed ports included), so a bitmap of the listening ports answers most
// misses with one load, and the hits scan a compact array of keys, not the
// listeners themselves.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace tcpterm::tcp {

class ListenerIndex {
public:
    static constexpr size_t kMax = 64;
    static constexpr uint16_t kNone = 0xFFFF;

    // False when full or addr:port is already bound (0 = wildcard).
    bool add(uint32_t addr, uint16_t port, uint16_t index) {
        if (size_ == kMax || exact(addr, port) != kNone)
            return false;
        keys_[size_++] = {addr, port, index};
        ports_[port / 64] |= uint64_t{1} << (port % 64);
        return true;
    }

    // The index of the listener for a segment to addr:port, or kNone.
    uint16_t find(uint32_t addr, uint16_t port) const {
        if (!(ports_[port / 64] >> (port % 64) & 1))
            return kNone;
        uint16_t wildcard = kNone;
        for (size_t i = 0; i < size_; ++i) {
            const Key& k = keys_[i];
            if (k.port != port)
                continue;
            if (k.addr == addr)
                return k.index;
            if (k.addr == 0)
                wildcard = k.index;
        }
        return wildcard;
    }

private:
    struct Key {
        uint32_t addr;
        uint16_t port;
        uint16_t index;
    };

    uint16_t exact(uint32_t addr, uint16_t port) const {
        for (size_t i = 0; i < size_; ++i)
            if (keys_[i].addr == addr && keys_[i].port == port)
                return keys_[i].index;
        return kNone;
    }

    std::array<uint64_t, 65536 / 64> ports_{};
    std::array<Key, kMax> keys_{};
    size_t size_ = 0;
};

}  // namespace tcpterm::tcp
