#include "lib/net/ipv4_addr.hpp"

#include <charconv>

namespace tcpterm::net {

namespace {

std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
    if (text.empty() || text.size() > 3)
        return std::nullopt;
    if (text.size() > 1 && text[0] == '0')
        return std::nullopt;  // leading zeros read as octal elsewhere: refuse them
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > max)
        return std::nullopt;
    return value;
}

}  // namespace

std::optional<uint32_t> parse_ipv4(std::string_view text) {
    uint32_t addr = 0;
    for (int i = 0; i < 4; ++i) {
        size_t dot = text.find('.');
        if ((i < 3) != (dot != std::string_view::npos))
            return std::nullopt;
        auto octet = parse_decimal(text.substr(0, dot), 255);
        if (!octet)
            return std::nullopt;
        addr = addr << 8 | *octet;
        text = i < 3 ? text.substr(dot + 1) : std::string_view{};
    }
    return addr;
}

std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view text) {
    size_t slash = text.find('/');
    auto addr = parse_ipv4(text.substr(0, slash));
    if (!addr)
        return std::nullopt;
    Ipv4Prefix prefix{*addr, 32};
    if (slash != std::string_view::npos) {
        auto len = parse_decimal(text.substr(slash + 1), 32);
        if (!len)
            return std::nullopt;
        prefix.length = static_cast<uint8_t>(*len);
    }
    return prefix;
}

std::string format_ipv4(uint32_t addr) {
    return std::to_string(addr >> 24) + "." + std::to_string(addr >> 16 & 0xff) + "." +
           std::to_string(addr >> 8 & 0xff) + "." + std::to_string(addr & 0xff);
}

}  // namespace tcpterm::net
