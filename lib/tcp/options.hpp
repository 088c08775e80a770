// TCP options codec: MSS (RFC 9293), window scale and timestamps (RFC 7323),
// SACK-permitted and SACK (RFC 2018), User Timeout (RFC 5482).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcpterm::tcp {

enum OptionKind : uint8_t {
    kOptEnd = 0,
    kOptNop = 1,
    kOptMss = 2,
    kOptWindowScale = 3,
    kOptSackPermitted = 4,
    kOptSack = 5,
    kOptTimestamps = 8,
    kOptUserTimeout = 28,
};

constexpr uint8_t kMaxWindowScale = 14;  // RFC 7323 §2.3
constexpr size_t kMaxSackBlocks = 4;

// Left uninitialised on purpose: only the first sack_count blocks are
// meaningful, and zeroing all four on every received segment showed up as a
// rep-stos in the SYN path's profile.
struct SackBlock {
    uint32_t left;
    uint32_t right;
};

struct TcpOptions {
    bool has_mss = false;
    uint16_t mss = 0;
    bool has_window_scale = false;
    uint8_t window_scale = 0;      // as sent; the caller clamps to 14
    bool sack_permitted = false;
    bool has_timestamps = false;
    uint32_t ts_val = 0;
    uint32_t ts_ecr = 0;
    uint8_t sack_count = 0;
    SackBlock sack[kMaxSackBlocks];
    bool has_user_timeout = false;
    bool user_timeout_minutes = false;  // RFC 5482 granularity bit
    uint16_t user_timeout = 0;          // 15 bits
    // TCP-AO (RFC 5925 §2.2): where the option sits, so its MAC can be checked.
    bool has_ao = false;
    uint8_t ao_keyid = 0;
    uint8_t ao_rnextkeyid = 0;
    uint8_t ao_offset = 0;              // from the start of the TCP header
    uint8_t ao_len = 0;                 // the option's length byte

    // Back to "no options", without touching the SACK blocks.
    void reset() {
        has_mss = has_window_scale = sack_permitted = has_timestamps = false;
        mss = 0;
        window_scale = 0;
        ts_val = ts_ecr = 0;
        sack_count = 0;
        has_user_timeout = user_timeout_minutes = false;
        user_timeout = 0;
        has_ao = false;
    }
};

// Parses the options area. Unknown kinds are skipped; returns false for a
// malformed area (length 0 or 1, running past the end, wrong length for a
// kind we know), which makes the whole segment invalid.
bool parse_options(const uint8_t* data, size_t len, TcpOptions& out);

// Writes the options a SYN or SYN-ACK carries, in Linux's order so that
// middleboxes see a familiar layout; returns bytes written (a multiple of 4,
// at most 40). Fields are taken from `opts`; absent ones are left out.
size_t write_syn_options(uint8_t* out, const TcpOptions& opts);
// Writes NOP,NOP,TS (when has_timestamps) and SACK blocks; multiple of 4.
size_t write_data_options(uint8_t* out, const TcpOptions& opts);
// Appends a TCP-AO option (kind 29, 16 bytes) with a zero MAC, to be filled
// once the segment is complete; returns 16.
size_t write_ao_option(uint8_t* out, uint8_t keyid, uint8_t rnextkeyid);

}  // namespace tcpterm::tcp
