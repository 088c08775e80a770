#include "app/lb/proxy_header.hpp"

#include <cstdio>
#include <cstring>

namespace tcpterm::app {

namespace {

// The v2 signature: CRLF CRLF NUL CRLF "QUIT" LF, which no v1 line and no
// HTTP request can start with.
constexpr uint8_t kV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr uint8_t kV2VersionProxy = 0x21;   // version 2, command PROXY
constexpr uint8_t kV2Tcp4 = 0x11;           // AF_INET, SOCK_STREAM
constexpr uint16_t kV2Tcp4AddrLen = 12;     // two addresses, two ports

size_t put_be32(uint8_t* p, uint32_t v) {
    p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
    return 4;
}
size_t put_be16(uint8_t* p, uint16_t v) {
    p[0] = v >> 8, p[1] = v & 0xFF;
    return 2;
}

size_t encode_v1(const ProxiedTcp4& c, uint8_t* out) {
    auto q = [](uint32_t a, int shift) { return static_cast<unsigned>(a >> shift & 0xFF); };
    char line[kProxyHeaderMax + 1];  // snprintf's NUL is not ours to send
    int n = std::snprintf(line, sizeof(line),
                          "PROXY TCP4 %u.%u.%u.%u %u.%u.%u.%u %u %u\r\n", q(c.client_addr, 24),
                          q(c.client_addr, 16), q(c.client_addr, 8), q(c.client_addr, 0),
                          q(c.vip_addr, 24), q(c.vip_addr, 16), q(c.vip_addr, 8), q(c.vip_addr, 0),
                          unsigned{c.client_port}, unsigned{c.vip_port});
    std::memcpy(out, line, static_cast<size_t>(n));
    return static_cast<size_t>(n);
}

size_t encode_v2(const ProxiedTcp4& c, uint8_t* out) {
    size_t n = sizeof(kV2Signature);
    std::memcpy(out, kV2Signature, n);
    out[n++] = kV2VersionProxy;
    out[n++] = kV2Tcp4;
    n += put_be16(out + n, kV2Tcp4AddrLen);
    n += put_be32(out + n, c.client_addr);
    n += put_be32(out + n, c.vip_addr);
    n += put_be16(out + n, c.client_port);
    n += put_be16(out + n, c.vip_port);
    return n;
}

}  // namespace

std::optional<ProxyProtocol> parse_proxy_protocol(std::string_view text) {
    if (text == "none")
        return ProxyProtocol::None;
    if (text == "v1")
        return ProxyProtocol::V1;
    if (text == "v2")
        return ProxyProtocol::V2;
    return std::nullopt;
}

const char* proxy_protocol_name(ProxyProtocol p) {
    switch (p) {
    case ProxyProtocol::None: return "none";
    case ProxyProtocol::V1: return "v1";
    case ProxyProtocol::V2: return "v2";
    }
    return "?";
}

size_t encode_proxy_header(ProxyProtocol p, const ProxiedTcp4& c, uint8_t* out) {
    switch (p) {
    case ProxyProtocol::None: return 0;
    case ProxyProtocol::V1: return encode_v1(c, out);
    case ProxyProtocol::V2: return encode_v2(c, out);
    }
    return 0;
}

}  // namespace tcpterm::app
