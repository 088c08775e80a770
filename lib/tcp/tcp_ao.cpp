#include "lib/tcp/tcp_ao.hpp"

#include <cstring>

#include "lib/tcp/ao_crypto.hpp"

namespace tcpterm::tcp {

namespace {

void put32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}

// One MAC interface over the two algorithms.
class Mac {
public:
    Mac(AoAlgorithm alg, const uint8_t* key, size_t key_len) {
        if (alg == AoAlgorithm::HmacSha1)
            hmac_.emplace(key, key_len);
        else
            cmac_.emplace(key);
    }
    void update(const void* p, size_t n) {
        if (hmac_)
            hmac_->update(p, n);
        else
            cmac_->update(p, n);
    }
    // At least 16 bytes of output (20 for HMAC-SHA-1).
    std::array<uint8_t, 20> finish() {
        std::array<uint8_t, 20> out{};
        if (hmac_) {
            out = hmac_->finish();
        } else {
            AesBlock b = cmac_->finish();
            std::memcpy(out.data(), b.data(), b.size());
        }
        return out;
    }

private:
    // Which of the two is engaged says the algorithm.
    std::optional<HmacSha1> hmac_;
    std::optional<AesCmac> cmac_;
};

}  // namespace

const AoKey* find_ao_key(const std::vector<AoKey>& keys, uint32_t peer, uint16_t local_port) {
    for (const AoKey& k : keys)
        if (k.peer.contains(peer) && (k.local_port == 0 || k.local_port == local_port))
            return &k;
    return nullptr;
}

AoTrafficKey ao_traffic_key(const AoKey& key, uint32_t src, uint32_t dst, uint16_t sport,
                            uint16_t dport, uint32_t src_isn, uint32_t dst_isn) {
    // i (1) | Label "TCP-AO" | Context (20 bytes for IPv4) | Output_Length (bits, 16-bit)
    uint8_t input[1 + 6 + 20 + 2];
    input[0] = 1;
    std::memcpy(input + 1, "TCP-AO", 6);
    uint8_t* c = input + 7;
    put32(c, src);
    put32(c + 4, dst);
    c[8] = uint8_t(sport >> 8); c[9] = uint8_t(sport);
    c[10] = uint8_t(dport >> 8); c[11] = uint8_t(dport);
    put32(c + 12, src_isn);
    put32(c + 16, dst_isn);
    bool sha = key.alg == AoAlgorithm::HmacSha1;
    uint16_t bits = sha ? 160 : 128;
    input[27] = uint8_t(bits >> 8);
    input[28] = uint8_t(bits);
    if (sha) {
        Mac m(AoAlgorithm::HmacSha1, key.secret.data(), key.secret.size());
        m.update(input, sizeof(input));
        return m.finish();
    }
    // RFC 5926 §3.1.1: a master key that is not 128 bits is first reduced
    // with AES-CMAC under the all-zero key.
    uint8_t k[16];
    if (key.secret.size() == 16) {
        std::memcpy(k, key.secret.data(), 16);
    } else {
        uint8_t zero[16] = {};
        Mac reduce(AoAlgorithm::AesCmac, zero, 16);
        reduce.update(key.secret.data(), key.secret.size());
        auto r = reduce.finish();
        std::memcpy(k, r.data(), 16);
    }
    Mac m(AoAlgorithm::AesCmac, k, 16);
    m.update(input, sizeof(input));
    return m.finish();
}

AoMac ao_mac(AoAlgorithm alg, const AoTrafficKey& key, uint32_t sne, const uint8_t* ip,
             uint16_t total_len, uint16_t ao_offset) {
    uint16_t ip_len = uint16_t((ip[0] & 0x0f) * 4);
    const uint8_t* tcp = ip + ip_len;
    uint16_t tcp_len = uint16_t(total_len - ip_len);
    uint16_t header_len = uint16_t((tcp[12] >> 4) * 4);
    Mac m(alg, key.data(), alg == AoAlgorithm::HmacSha1 ? 20 : 16);
    uint8_t prefix[4 + 12];
    put32(prefix, sne);
    std::memcpy(prefix + 4, ip + 12, 8);  // source and destination address
    prefix[12] = 0;
    prefix[13] = 6;                        // protocol
    prefix[14] = uint8_t(tcp_len >> 8);
    prefix[15] = uint8_t(tcp_len);
    m.update(prefix, sizeof(prefix));
    uint8_t header[60];
    std::memcpy(header, tcp, header_len);
    header[16] = header[17] = 0;                                  // checksum
    std::memset(header + ao_offset + 4, 0, kAoMacLen);            // the MAC itself
    m.update(header, header_len);
    m.update(tcp + header_len, tcp_len - header_len);
    auto full = m.finish();
    AoMac out;
    std::memcpy(out.data(), full.data(), kAoMacLen);
    return out;
}

uint32_t ao_sne(Seq seq, Seq ref, uint32_t ref_sne) {
    if (seq < ref)  // before the reference: across a wrap means one SNE less
        return seq.v > ref.v ? ref_sne - 1 : ref_sne;
    return seq.v < ref.v ? ref_sne + 1 : ref_sne;
}

void ao_advance(Seq seq, Seq& ref, uint32_t& ref_sne) {
    if (seq > ref) {
        ref_sne = ao_sne(seq, ref, ref_sne);
        ref = seq;
    }
}

}  // namespace tcpterm::tcp
