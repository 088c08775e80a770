#include "lib/tcp/options.hpp"

#include <rte_byteorder.h>

namespace tcpterm::tcp {

namespace {

uint16_t load16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t load32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void store16(uint8_t* p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
void store32(uint8_t* p, uint32_t v) {
    p[0] = v >> 24; p[1] = v >> 16 & 0xff; p[2] = v >> 8 & 0xff; p[3] = v & 0xff;
}

// The two layouts almost every segment carries, recognised with a few word
// compares before the general walk (Linux does the same for timestamps):
//   NOP,NOP,TS                          on data and ACKs (12 bytes)
//   MSS,SACK-permitted,TS,NOP,WS        on a Linux SYN (20 bytes)
bool parse_common_layout(const uint8_t* p, size_t len, TcpOptions& out) {
    if (len == 12 && load32(p) == 0x0101080a) {
        out.has_timestamps = true;
        out.ts_val = load32(p + 4);
        out.ts_ecr = load32(p + 8);
        return true;
    }
    if (len == 20 && load16(p) == 0x0204 && load32(p + 4) == 0x0402080a &&
        load32(p + 16) >> 8 == 0x010303) {
        out.has_mss = true;
        out.mss = load16(p + 2);
        out.sack_permitted = true;
        out.has_timestamps = true;
        out.ts_val = load32(p + 8);
        out.ts_ecr = load32(p + 12);
        out.has_window_scale = true;
        out.window_scale = p[19];
        return true;
    }
    return false;
}

}  // namespace

bool parse_options(const uint8_t* p, size_t len, TcpOptions& out) {
    if (parse_common_layout(p, len, out))
        return true;
    size_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == kOptEnd)
            break;
        if (kind == kOptNop) {
            ++i;
            continue;
        }
        if (i + 1 >= len)
            return false;  // kind byte with no length byte
        uint8_t olen = p[i + 1];
        if (olen < 2 || i + olen > len)
            return false;
        const uint8_t* body = p + i + 2;
        switch (kind) {
        case kOptMss:
            if (olen != 4)
                return false;
            out.has_mss = true;
            out.mss = load16(body);
            break;
        case kOptWindowScale:
            if (olen != 3)
                return false;
            out.has_window_scale = true;
            out.window_scale = body[0];
            break;
        case kOptSackPermitted:
            if (olen != 2)
                return false;
            out.sack_permitted = true;
            break;
        case kOptSack: {
            if (olen < 10 || (olen - 2) % 8 != 0)
                return false;
            size_t blocks = (olen - 2) / 8;
            out.sack_count = 0;
            for (size_t b = 0; b < blocks && b < kMaxSackBlocks; ++b) {
                out.sack[b].left = load32(body + 8 * b);
                out.sack[b].right = load32(body + 8 * b + 4);
                ++out.sack_count;
            }
            break;
        }
        case kOptTimestamps:
            if (olen != 10)
                return false;
            out.has_timestamps = true;
            out.ts_val = load32(body);
            out.ts_ecr = load32(body + 4);
            break;
        case kOptUserTimeout: {
            if (olen != 4)
                return false;
            uint16_t raw = load16(body);
            out.has_user_timeout = true;
            out.user_timeout_minutes = raw & 0x8000;
            out.user_timeout = raw & 0x7fff;
            break;
        }
        case 29:  // TCP-AO (RFC 5925 §2.2): checked by the engine against its keys
            if (olen < 4 || out.has_ao)
                return false;
            out.has_ao = true;
            out.ao_keyid = body[0];
            out.ao_rnextkeyid = body[1];
            out.ao_offset = static_cast<uint8_t>(20 + i);
            out.ao_len = olen;
            break;
        default:
            break;  // RFC 9293 §3.2: unknown options are skipped by their length
        }
        i += olen;
    }
    return true;
}

size_t write_syn_options(uint8_t* out, const TcpOptions& o) {
    size_t n = 0;
    if (o.has_mss) {
        out[n] = kOptMss; out[n + 1] = 4; store16(out + n + 2, o.mss);
        n += 4;
    }
    if (o.sack_permitted && o.has_timestamps) {
        out[n] = kOptSackPermitted; out[n + 1] = 2;
        n += 2;
    } else if (o.sack_permitted) {
        out[n] = kOptNop; out[n + 1] = kOptNop; out[n + 2] = kOptSackPermitted; out[n + 3] = 2;
        n += 4;
    } else if (o.has_timestamps) {
        out[n] = kOptNop; out[n + 1] = kOptNop;
        n += 2;
    }
    if (o.has_timestamps) {
        out[n] = kOptTimestamps; out[n + 1] = 10;
        store32(out + n + 2, o.ts_val);
        store32(out + n + 6, o.ts_ecr);
        n += 10;
    }
    if (o.has_window_scale) {
        out[n] = kOptNop; out[n + 1] = kOptWindowScale; out[n + 2] = 3; out[n + 3] = o.window_scale;
        n += 4;
    }
    if (o.has_user_timeout) {
        out[n] = kOptUserTimeout; out[n + 1] = 4;
        store16(out + n + 2, uint16_t((o.user_timeout_minutes ? 0x8000 : 0) | (o.user_timeout & 0x7fff)));
        n += 4;
    }
    return n;
}

size_t write_ao_option(uint8_t* out, uint8_t keyid, uint8_t rnextkeyid) {
    out[0] = 29;
    out[1] = 16;
    out[2] = keyid;
    out[3] = rnextkeyid;
    for (int i = 4; i < 16; ++i)
        out[i] = 0;
    return 16;
}

size_t write_data_options(uint8_t* out, const TcpOptions& o) {
    size_t n = 0;
    if (o.has_timestamps) {
        out[0] = kOptNop; out[1] = kOptNop; out[2] = kOptTimestamps; out[3] = 10;
        store32(out + 4, o.ts_val);
        store32(out + 8, o.ts_ecr);
        n = 12;
    }
    if (o.sack_count > 0) {
        size_t room = (40 - n - 4) / 8;  // NOP,NOP,kind,len then 8 bytes a block
        size_t blocks = o.sack_count < room ? o.sack_count : room;
        out[n] = kOptNop; out[n + 1] = kOptNop; out[n + 2] = kOptSack; out[n + 3] = uint8_t(2 + 8 * blocks);
        n += 4;
        for (size_t b = 0; b < blocks; ++b) {
            store32(out + n, o.sack[b].left);
            store32(out + n + 4, o.sack[b].right);
            n += 8;
        }
    }
    return n;
}

}  // namespace tcpterm::tcp
