// IPv4 addresses and prefixes in host byte order, with text parsing that
// rejects anything but four decimal octets (no octal, no shorthand).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpterm::net {

struct Ipv4Prefix {
    uint32_t addr = 0;     // host byte order
    uint8_t length = 0;    // 0..32

    uint32_t mask() const { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }
    bool contains(uint32_t a) const { return (a & mask()) == (addr & mask()); }
};

// "198.18.0.1" -> host-order address; nullopt if malformed.
std::optional<uint32_t> parse_ipv4(std::string_view text);
// "198.18.0.1/24" -> prefix; a missing "/N" means /32.
std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view text);
std::string format_ipv4(uint32_t addr);

}  // namespace tcpterm::net
