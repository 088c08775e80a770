// The primitives TCP-AO's two mandatory algorithm pairs need (RFC 5926):
// SHA-1 with HMAC (RFC 2104) for KDF_HMAC_SHA1 / HMAC-SHA-1-96, and AES-128
// with CMAC (RFC 4493) for KDF_AES_128_CMAC / AES-128-CMAC-96. Written here
// because none of tcpterm's dependencies provides them; they run only on
// connections configured with TCP-AO keys. Checked against the FIPS 180 /
// RFC 2202 / FIPS 197 / RFC 4493 vectors in tests/unit/test_tcp_ao.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace tcpterm::tcp {

using Sha1Digest = std::array<uint8_t, 20>;
using AesBlock = std::array<uint8_t, 16>;

class Sha1 {
public:
    Sha1();
    void update(const void* data, size_t len);
    Sha1Digest finish();

private:
    void block(const uint8_t* p);
    uint32_t h_[5];
    uint8_t buf_[64];
    size_t buffered_ = 0;
    uint64_t total_ = 0;
};

// HMAC-SHA-1 over the concatenation of up to three pieces (TCP-AO's MAC input
// is header, options and payload, which sit apart).
class HmacSha1 {
public:
    HmacSha1(const uint8_t* key, size_t key_len);
    void update(const void* data, size_t len) { inner_.update(data, len); }
    Sha1Digest finish();

private:
    Sha1 inner_;
    uint8_t outer_key_[64];
};

class Aes128 {
public:
    explicit Aes128(const uint8_t key[16]);
    AesBlock encrypt(const AesBlock& in) const;

private:
    uint8_t round_keys_[176];
};

// AES-CMAC (RFC 4493), streaming.
class AesCmac {
public:
    explicit AesCmac(const uint8_t key[16]);
    void update(const void* data, size_t len);
    AesBlock finish();

private:
    Aes128 aes_;
    AesBlock k1_, k2_;
    AesBlock x_{};
    AesBlock pending_{};
    size_t pending_len_ = 0;
};

}  // namespace tcpterm::tcp
