// TCP-AO (tcp_ao.hpp) and the primitives under it (ao_crypto.hpp): the
// published vectors of each primitive, and a traffic key and MAC computed
// independently with scapy's RFC 5925/5926 code (scapy.contrib.tcpao).
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "lib/tcp/ao_crypto.hpp"
#include "lib/tcp/tcp_ao.hpp"

using namespace tcpterm::tcp;

namespace {

std::string hex(const uint8_t* p, size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}
template <size_t N>
std::string hex(const std::array<uint8_t, N>& a) { return hex(a.data(), N); }

std::vector<uint8_t> unhex(const std::string& s) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < s.size(); i += 2)
        out.push_back(uint8_t(std::stoi(s.substr(i, 2), nullptr, 16)));
    return out;
}

std::string sha1_hex(const std::string& text) {
    Sha1 h;
    h.update(text.data(), text.size());
    return hex(h.finish());
}

std::string hmac_hex(const std::vector<uint8_t>& key, const std::string& text) {
    HmacSha1 h(key.data(), key.size());
    h.update(text.data(), text.size());
    return hex(h.finish());
}

}  // namespace

TEST_CASE("ao crypto: SHA-1 (FIPS 180 examples)", "[tcp][ao]") {
    CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    Sha1 pieces;  // the same input fed in odd pieces
    std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    for (size_t i = 0; i < text.size(); i += 7)
        pieces.update(text.data() + i, std::min<size_t>(7, text.size() - i));
    CHECK(hex(pieces.finish()) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST_CASE("ao crypto: HMAC-SHA-1 (RFC 2202 cases 1, 2, 6)", "[tcp][ao]") {
    CHECK(hmac_hex(std::vector<uint8_t>(20, 0x0b), "Hi There") == "b617318655057264e28bc0b6fb378c8ef146be00");
    CHECK(hmac_hex({'J', 'e', 'f', 'e'}, "what do ya want for nothing?") ==
          "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    CHECK(hmac_hex(std::vector<uint8_t>(80, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First") ==
          "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST_CASE("ao crypto: AES-128 (FIPS 197 C.1) and AES-CMAC (RFC 4493 examples)", "[tcp][ao]") {
    auto key = unhex("000102030405060708090a0b0c0d0e0f");
    AesBlock in;
    auto plain = unhex("00112233445566778899aabbccddeeff");
    std::memcpy(in.data(), plain.data(), 16);
    CHECK(hex(Aes128(key.data()).encrypt(in)) == "69c4e0d86a7b0430d8cdb78070b4c55a");

    auto k = unhex("2b7e151628aed2a6abf7158809cf4f3c");
    auto m = unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                   "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
    const std::pair<size_t, const char*> cases[] = {{0, "bb1d6929e95937287fa37d129b756746"},
                                                    {16, "070a16b46b4d4144f79bdd9dd04a287c"},
                                                    {40, "dfa66747de9ae63030ca32611497c827"},
                                                    {64, "51f0bebf7e3b9d92fc49741779363cfe"}};
    for (auto [len, want] : cases) {
        AesCmac c(k.data());
        c.update(m.data(), len);
        CHECK(hex(c.finish()) == want);
    }
}

TEST_CASE("ao: the SNE follows sequence wraps both ways (RFC 5925 §6.2)", "[tcp][ao]") {
    CHECK(ao_sne(Seq(100), Seq(50), 0) == 0);
    CHECK(ao_sne(Seq(10), Seq(0xfffffff0), 3) == 4);   // after the reference, across the wrap
    CHECK(ao_sne(Seq(0xfffffff0), Seq(10), 4) == 3);   // before it, across the wrap
    Seq ref(0xfffffff0);
    uint32_t sne = 0;
    ao_advance(Seq(0xfffffff8), ref, sne);
    CHECK(sne == 0);
    ao_advance(Seq(8), ref, sne);
    CHECK(sne == 1);
    ao_advance(Seq(4), ref, sne);  // behind the reference: it stays
    CHECK(ref == Seq(8));
    CHECK(sne == 1);
}

TEST_CASE("ao: traffic key and MAC of a SYN match scapy's RFC 5925/5926 code", "[tcp][ao]") {
    // A SYN 198.18.0.2:40000 -> 198.18.0.1:80, ISN 1000, options MSS, SACK-permitted,
    // TS, NOP, WS and AO (KeyID 5, RNextKeyID 7) at TCP offset 40; master key
    // "tcpterm-secret". Expected values from scapy.contrib.tcpao (scapy 2.5):
    // calc_tcpao_traffic_key(p, alg, mkt, 1000, 0) and alg.mac(key,
    // build_message_from_packet(p, sne=0)).
    auto packet = unhex(
        "4500004c000100004006ee83c6120002c61200019c400050000003e800000000e002faf0bde30000020405b404"
        "02080a0000006400000000010303071d100507000000000000000000000000");
    AoKey key;
    std::string secret = "tcpterm-secret";
    key.secret.assign(secret.begin(), secret.end());
    const struct {
        AoAlgorithm alg;
        const char* traffic_key;
        const char* mac;
    } cases[] = {{AoAlgorithm::HmacSha1, "b9969149dbe83aab5666ad2eb669f50bc95619af", "e95472a75826d64b71898117"},
                 {AoAlgorithm::AesCmac, "65c714060d23756430452e16dc56557d", "e42390721356f3e1df37aac5"}};
    for (const auto& c : cases) {
        key.alg = c.alg;
        AoTrafficKey tk = ao_traffic_key(key, 0xC6120002, 0xC6120001, 40000, 80, 1000, 0);
        CHECK(hex(tk.data(), c.alg == AoAlgorithm::HmacSha1 ? 20 : 16) == c.traffic_key);
        CHECK(hex(ao_mac(c.alg, tk, 0, packet.data(), uint16_t(packet.size()), 40)) == c.mac);
    }
}
