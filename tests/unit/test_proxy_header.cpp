// PROXY protocol headers (app/lb/proxy_header.hpp) byte for byte, against
// the examples' layout in HAProxy's doc/proxy-protocol.txt (sections 2.1 and
// 2.2): v1 one CRLF-terminated text line, v2 the 12-byte signature, version
// and command, family and transport, length, then addresses and ports in
// network order.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "app/lb/proxy_header.hpp"

using namespace tcpterm::app;

namespace {

std::vector<uint8_t> encode(ProxyProtocol p, const ProxiedTcp4& c) {
    uint8_t buf[kProxyHeaderMax];
    size_t n = encode_proxy_header(p, c, buf);
    REQUIRE(n <= kProxyHeaderMax);
    return {buf, buf + n};
}

std::string text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

}  // namespace

TEST_CASE("PROXY v1: one text line with the client and the VIP", "[lb][proxy_protocol]") {
    // client 198.18.0.2:40000 -> VIP 198.18.0.10:80
    ProxiedTcp4 c{0xC6120002, 0xC612000A, 40000, 80};
    CHECK(text(encode(ProxyProtocol::V1, c)) == "PROXY TCP4 198.18.0.2 198.18.0.10 40000 80\r\n");
    // The longest line there is: 56 bytes, the spec's bound for TCP4 is 107.
    ProxiedTcp4 widest{0xFFFFFFFF, 0xFFFFFFFF, 65535, 65535};
    auto w = encode(ProxyProtocol::V1, widest);
    CHECK(text(w) == "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
    CHECK(w.size() == kProxyHeaderMax);
    ProxiedTcp4 narrow{0x01000000, 0x00000001, 1, 0};
    CHECK(text(encode(ProxyProtocol::V1, narrow)) == "PROXY TCP4 1.0.0.0 0.0.0.1 1 0\r\n");
}

TEST_CASE("PROXY v2: signature, PROXY command, TCP over IPv4, 12 address bytes, no TLVs",
          "[lb][proxy_protocol]") {
    ProxiedTcp4 c{0xC6120002, 0xC612000A, 40000, 80};
    const std::vector<uint8_t> expected = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,  // signature
        0x21,                    // version 2, command PROXY
        0x11,                    // AF_INET, STREAM
        0x00, 0x0C,              // 12 bytes follow
        0xC6, 0x12, 0x00, 0x02,  // source: the client
        0xC6, 0x12, 0x00, 0x0A,  // destination: the VIP
        0x9C, 0x40,              // source port 40000
        0x00, 0x50,              // destination port 80
    };
    CHECK(encode(ProxyProtocol::V2, c) == expected);
}

TEST_CASE("PROXY protocol: none writes nothing; names parse both ways", "[lb][proxy_protocol]") {
    CHECK(encode(ProxyProtocol::None, {1, 2, 3, 4}).empty());
    for (auto p : {ProxyProtocol::None, ProxyProtocol::V1, ProxyProtocol::V2})
        CHECK(parse_proxy_protocol(proxy_protocol_name(p)) == p);
    CHECK_FALSE(parse_proxy_protocol("V2"));
    CHECK_FALSE(parse_proxy_protocol("2"));
    CHECK_FALSE(parse_proxy_protocol(""));
}
