// The IPv4 addresses one interface owns (its VIPs), each with its on-link
// subnet. The first is the primary: the source of the ARP requests we send
// for off-subnet next hops and of the connections we open ourselves.
// Fixed capacity and a flat array: every received datagram checks its
// destination here, and a handful of compares beats any hashing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "lib/net/ipv4_addr.hpp"

namespace tcpterm::net {

class AddressSet {
public:
    static constexpr size_t kMax = 32;

    // False when full or the address is already there.
    bool add(const Ipv4Prefix& p) {
        if (size_ == kMax || owns(p.addr))
            return false;
        prefixes_[size_++] = p;
        return true;
    }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const Ipv4Prefix& operator[](size_t i) const { return prefixes_[i]; }
    const Ipv4Prefix* begin() const { return prefixes_.data(); }
    const Ipv4Prefix* end() const { return prefixes_.data() + size_; }
    const Ipv4Prefix& primary() const { return prefixes_[0]; }

    bool owns(uint32_t ip) const {
        for (const Ipv4Prefix& p : *this)
            if (p.addr == ip)
                return true;
        return false;
    }
    // The address of ours whose subnet holds ip (the source to use towards
    // it), or nullptr when ip is off-link.
    const Ipv4Prefix* on_link(uint32_t ip) const {
        for (const Ipv4Prefix& p : *this)
            if (p.contains(ip))
                return &p;
        return nullptr;
    }
    // The broadcast address of one of our subnets (/31 and /32 have none).
    bool is_subnet_broadcast(uint32_t ip) const {
        for (const Ipv4Prefix& p : *this)
            if (p.length < 31 && (ip | p.mask()) == 0xffffffff && p.contains(ip))
                return true;
        return false;
    }

private:
    std::array<Ipv4Prefix, kMax> prefixes_{};
    size_t size_ = 0;
};

}  // namespace tcpterm::net
