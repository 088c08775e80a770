#include "lib/tcp/ao_crypto.hpp"

#include <cstring>

namespace tcpterm::tcp {

namespace {

uint32_t rotl32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

}  // namespace

// ---- SHA-1 (FIPS 180-4 §6.1) ----------------------------------------------

Sha1::Sha1() : h_{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0} {}

void Sha1::block(const uint8_t* p) {
    uint32_t w[80];
    for (int t = 0; t < 16; ++t)
        w[t] = uint32_t(p[4 * t]) << 24 | uint32_t(p[4 * t + 1]) << 16 | uint32_t(p[4 * t + 2]) << 8 |
               p[4 * t + 3];
    for (int t = 16; t < 80; ++t)
        w[t] = rotl32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
    for (int t = 0; t < 80; ++t) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        uint32_t temp = rotl32(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rotl32(b, 30);
        b = a;
        a = temp;
    }
    h_[0] += a; h_[1] += b; h_[2] += c; h_[3] += d; h_[4] += e;
}

void Sha1::update(const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
    total_ += len;
    while (len > 0) {
        size_t n = std::min(len, sizeof(buf_) - buffered_);
        std::memcpy(buf_ + buffered_, p, n);
        buffered_ += n;
        p += n;
        len -= n;
        if (buffered_ == sizeof(buf_)) {
            block(buf_);
            buffered_ = 0;
        }
    }
}

Sha1Digest Sha1::finish() {
    uint64_t bits = total_ * 8;
    uint8_t pad = 0x80;
    update(&pad, 1);
    uint8_t zero = 0;
    while (buffered_ != 56)
        update(&zero, 1);
    uint8_t length[8];
    for (int i = 0; i < 8; ++i)
        length[i] = uint8_t(bits >> (56 - 8 * i));
    update(length, 8);
    Sha1Digest out;
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 4; ++j)
            out[4 * i + j] = uint8_t(h_[i] >> (24 - 8 * j));
    return out;
}

// ---- HMAC (RFC 2104) ------------------------------------------------------

HmacSha1::HmacSha1(const uint8_t* key, size_t key_len) {
    uint8_t k[64] = {};
    if (key_len > 64) {
        Sha1 h;
        h.update(key, key_len);
        Sha1Digest d = h.finish();
        std::memcpy(k, d.data(), d.size());
    } else {
        std::memcpy(k, key, key_len);
    }
    uint8_t inner_key[64];
    for (int i = 0; i < 64; ++i) {
        inner_key[i] = k[i] ^ 0x36;
        outer_key_[i] = k[i] ^ 0x5c;
    }
    inner_.update(inner_key, sizeof(inner_key));
}

Sha1Digest HmacSha1::finish() {
    Sha1Digest inner = inner_.finish();
    Sha1 outer;
    outer.update(outer_key_, sizeof(outer_key_));
    outer.update(inner.data(), inner.size());
    return outer.finish();
}

// ---- AES-128 (FIPS 197), encryption only ----------------------------------

namespace {

constexpr uint8_t kSbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16};

uint8_t xtime(uint8_t x) { return uint8_t((x << 1) ^ ((x & 0x80) ? 0x1b : 0)); }

}  // namespace

Aes128::Aes128(const uint8_t key[16]) {
    std::memcpy(round_keys_, key, 16);
    uint8_t rcon = 1;
    for (int i = 16; i < 176; i += 4) {
        uint8_t t[4] = {round_keys_[i - 4], round_keys_[i - 3], round_keys_[i - 2], round_keys_[i - 1]};
        if (i % 16 == 0) {  // RotWord, SubWord, Rcon
            uint8_t first = t[0];
            t[0] = uint8_t(kSbox[t[1]] ^ rcon);
            t[1] = kSbox[t[2]];
            t[2] = kSbox[t[3]];
            t[3] = kSbox[first];
            rcon = xtime(rcon);
        }
        for (int j = 0; j < 4; ++j)
            round_keys_[i + j] = round_keys_[i - 16 + j] ^ t[j];
    }
}

AesBlock Aes128::encrypt(const AesBlock& in) const {
    uint8_t s[16];
    for (int i = 0; i < 16; ++i)
        s[i] = in[i] ^ round_keys_[i];
    for (int round = 1; round <= 10; ++round) {
        uint8_t t[16];
        // SubBytes and ShiftRows (state is column-major: s[4*c + r]).
        for (int c = 0; c < 4; ++c)
            for (int r = 0; r < 4; ++r)
                t[4 * c + r] = kSbox[s[4 * ((c + r) % 4) + r]];
        if (round < 10) {  // MixColumns
            for (int c = 0; c < 4; ++c) {
                uint8_t* col = t + 4 * c;
                uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
                uint8_t all = a0 ^ a1 ^ a2 ^ a3;
                col[0] = uint8_t(a0 ^ all ^ xtime(a0 ^ a1));
                col[1] = uint8_t(a1 ^ all ^ xtime(a1 ^ a2));
                col[2] = uint8_t(a2 ^ all ^ xtime(a2 ^ a3));
                col[3] = uint8_t(a3 ^ all ^ xtime(a3 ^ a0));
            }
        }
        for (int i = 0; i < 16; ++i)
            s[i] = t[i] ^ round_keys_[16 * round + i];
    }
    AesBlock out;
    std::memcpy(out.data(), s, 16);
    return out;
}

// ---- AES-CMAC (RFC 4493) --------------------------------------------------

namespace {

AesBlock double_block(const AesBlock& b) {  // multiply by x in GF(2^128)
    AesBlock out;
    for (int i = 0; i < 15; ++i)
        out[i] = uint8_t(b[i] << 1 | b[i + 1] >> 7);
    out[15] = uint8_t(b[15] << 1);
    if (b[0] & 0x80)
        out[15] ^= 0x87;
    return out;
}

}  // namespace

AesCmac::AesCmac(const uint8_t key[16]) : aes_(key) {
    AesBlock l = aes_.encrypt(AesBlock{});
    k1_ = double_block(l);
    k2_ = double_block(k1_);
}

void AesCmac::update(const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (len > 0) {
        // The last block is treated apart, so a full pending block is only
        // processed once more input arrives.
        if (pending_len_ == 16) {
            for (int i = 0; i < 16; ++i)
                x_[i] ^= pending_[i];
            x_ = aes_.encrypt(x_);
            pending_len_ = 0;
        }
        size_t n = std::min(len, 16 - pending_len_);
        std::memcpy(pending_.data() + pending_len_, p, n);
        pending_len_ += n;
        p += n;
        len -= n;
    }
}

AesBlock AesCmac::finish() {
    AesBlock last = pending_;
    if (pending_len_ == 16) {
        for (int i = 0; i < 16; ++i)
            last[i] ^= k1_[i];
    } else {
        last[pending_len_] = 0x80;
        for (size_t i = pending_len_ + 1; i < 16; ++i)
            last[i] = 0;
        for (int i = 0; i < 16; ++i)
            last[i] ^= k2_[i];
    }
    for (int i = 0; i < 16; ++i)
        x_[i] ^= last[i];
    return aes_.encrypt(x_);
}

}  // namespace tcpterm::tcp
