#include <catch2/catch.hpp>

#include "lib/net/ipv4_addr.hpp"

using namespace tcpterm::net;

TEST_CASE("ipv4 addresses parse as four decimal octets", "[net][ipv4]") {
    CHECK(parse_ipv4("198.18.0.1") == 0xC6120001u);
    CHECK(parse_ipv4("0.0.0.0") == 0u);
    CHECK(parse_ipv4("255.255.255.255") == 0xFFFFFFFFu);
    CHECK_FALSE(parse_ipv4("256.1.1.1"));
    CHECK_FALSE(parse_ipv4("1.2.3"));
    CHECK_FALSE(parse_ipv4("1.2.3.4.5"));
    CHECK_FALSE(parse_ipv4("01.2.3.4"));
    CHECK_FALSE(parse_ipv4("1..3.4"));
    CHECK_FALSE(parse_ipv4(""));
    CHECK(format_ipv4(0xC6120001u) == "198.18.0.1");
}

TEST_CASE("ipv4 prefixes", "[net][ipv4]") {
    auto p = parse_ipv4_prefix("198.18.0.1/24");
    REQUIRE(p);
    CHECK(p->length == 24);
    CHECK(p->contains(0xC61200FEu));
    CHECK_FALSE(p->contains(0xC6120101u));
    CHECK(parse_ipv4_prefix("10.0.0.1")->length == 32);
    CHECK_FALSE(parse_ipv4_prefix("10.0.0.1/33"));
    CHECK(parse_ipv4_prefix("10.0.0.1/0")->mask() == 0u);
}
