// TCP option codec: RFC 9293 §3.1-3.2, RFC 7323, RFC 2018, RFC 5482.
#include <catch2/catch.hpp>

#include <vector>

#include "lib/tcp/options.hpp"

using namespace tcpterm::tcp;

TEST_CASE("options: a Linux SYN parses completely", "[tcp][options]") {
    // MSS 1460, SACK_PERM, TS 1/0, NOP, WS 7: what Linux 6.1 sends.
    const uint8_t syn[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
    TcpOptions o;
    REQUIRE(parse_options(syn, sizeof(syn), o));
    CHECK(o.has_mss);
    CHECK(o.mss == 1460);
    CHECK(o.sack_permitted);
    CHECK(o.has_timestamps);
    CHECK(o.ts_val == 1);
    CHECK(o.ts_ecr == 0);
    CHECK(o.has_window_scale);
    CHECK(o.window_scale == 7);
}

TEST_CASE("options: write_syn_options round-trips every combination", "[tcp][options]") {
    for (int mask = 0; mask < 32; ++mask) {
        TcpOptions in;
        in.has_mss = mask & 1;
        in.mss = 1400;
        in.has_window_scale = mask & 2;
        in.window_scale = 9;
        in.sack_permitted = mask & 4;
        in.has_timestamps = mask & 8;
        in.ts_val = 0xdeadbeef;
        in.ts_ecr = 42;
        in.has_user_timeout = mask & 16;
        in.user_timeout_minutes = true;
        in.user_timeout = 5;
        uint8_t buf[40];
        size_t n = write_syn_options(buf, in);
        CHECK(n % 4 == 0);
        CHECK(n <= 40);
        TcpOptions out;
        REQUIRE(parse_options(buf, n, out));
        CHECK(out.has_mss == in.has_mss);
        CHECK(out.has_window_scale == in.has_window_scale);
        CHECK(out.sack_permitted == in.sack_permitted);
        CHECK(out.has_timestamps == in.has_timestamps);
        CHECK(out.has_user_timeout == in.has_user_timeout);
        if (in.has_mss)
            CHECK(out.mss == 1400);
        if (in.has_window_scale)
            CHECK(out.window_scale == 9);
        if (in.has_timestamps) {
            CHECK(out.ts_val == 0xdeadbeef);
            CHECK(out.ts_ecr == 42);
        }
        if (in.has_user_timeout) {
            CHECK(out.user_timeout_minutes);
            CHECK(out.user_timeout == 5);
        }
    }
}

TEST_CASE("options: data options carry timestamps and SACK blocks", "[tcp][options]") {
    TcpOptions in;
    in.has_timestamps = true;
    in.ts_val = 7;
    in.ts_ecr = 8;
    in.sack_count = 4;  // only 3 fit beside the timestamp option
    for (int i = 0; i < 4; ++i)
        in.sack[i] = {uint32_t(100 * i), uint32_t(100 * i + 50)};
    uint8_t buf[40];
    size_t n = write_data_options(buf, in);
    CHECK(n == 12 + 4 + 3 * 8);
    TcpOptions out;
    REQUIRE(parse_options(buf, n, out));
    CHECK(out.ts_val == 7);
    CHECK(out.sack_count == 3);
    CHECK(out.sack[2].left == 200);
    CHECK(out.sack[2].right == 250);
}

TEST_CASE("options: unknown kinds are skipped, EOL ends the list", "[tcp][options]") {
    const uint8_t area[] = {99, 6, 1, 2, 3, 4, 2, 4, 0x02, 0x00, 0, 2, 4, 0x01, 0x00};
    TcpOptions o;
    REQUIRE(parse_options(area, sizeof(area), o));
    CHECK(o.mss == 512);  // the MSS after EOL is never read
}

TEST_CASE("options: malformed areas are rejected", "[tcp][options]") {
    std::vector<std::vector<uint8_t>> bad = {
        {2},                    // kind without length
        {99, 0, 1, 1},          // length 0
        {99, 1, 1, 1},          // length 1
        {99, 8, 1, 1},          // runs past the end
        {2, 3, 5, 1},           // MSS of the wrong length
        {3, 4, 7, 0},           // window scale of the wrong length
        {4, 3, 0, 1},           // SACK-permitted of the wrong length
        {8, 8, 0, 0, 0, 0, 0, 0},  // timestamps of the wrong length
        {5, 6, 0, 0, 0, 0},     // SACK with a partial block
        {28, 3, 0, 1},          // user timeout of the wrong length
    };
    for (auto& area : bad) {
        TcpOptions o;
        CHECK_FALSE(parse_options(area.data(), area.size(), o));
    }
}
