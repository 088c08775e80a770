// The PROXY protocol header (HAProxy's doc/proxy-protocol.txt) a backend
// connection starts with, so that the backend learns the client's address
// and the VIP it reached: version 1 is one line of text, version 2 a binary
// block. Only what an IPv4 TCP proxy needs: the PROXY command, TCP over
// IPv4, no TLVs (the addresses are all a backend needs from us today).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tcpterm::app {

enum class ProxyProtocol : uint8_t { None, V1, V2 };

// "none", "v1", "v2" (nullopt for anything else) and back.
std::optional<ProxyProtocol> parse_proxy_protocol(std::string_view text);
const char* proxy_protocol_name(ProxyProtocol p);

// What a header describes: the client's connection to the VIP (host order).
struct ProxiedTcp4 {
    uint32_t client_addr = 0;
    uint32_t vip_addr = 0;
    uint16_t client_port = 0;
    uint16_t vip_port = 0;
};

// v1 is at most 56 bytes ("PROXY TCP4 " + two dotted quads, two ports,
// CRLF); v2 is 16 + 12.
constexpr size_t kProxyHeaderMax = 56;

// Writes the header into out (kProxyHeaderMax bytes) and returns its length;
// 0 for ProxyProtocol::None.
size_t encode_proxy_header(ProxyProtocol p, const ProxiedTcp4& c, uint8_t* out);

}  // namespace tcpterm::app
