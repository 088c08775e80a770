// libFuzzer target: the TCP option parser (lib/tcp/options.hpp). The input
// is an options area as it follows a TCP header. Besides memory safety, what
// parse_options accepts must be self-consistent, and what the writers make of
// it must parse back to the same values.
#include <cstddef>
#include <cstdint>

#include "lib/tcp/options.hpp"
#include "tests/fuzz/fuzz_eal.hpp"

using namespace tcpterm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A TCP header holds at most 40 bytes of options; the parser is handed
    // no more by parse_segment, but must not care: feed up to 60.
    if (size > 60)
        return -1;
    tcp::TcpOptions o;
    if (!tcp::parse_options(data, size, o))
        return 0;
    if (o.sack_count > tcp::kMaxSackBlocks)
        fuzz::invariant_failed("more SACK blocks than TcpOptions holds");
    if (o.has_ao && size_t(o.ao_offset) - 20 + o.ao_len > size)
        fuzz::invariant_failed("AO option said to run past the options area");
    // Round trip through the writers: SYN options, then data options.
    uint8_t out[40];
    tcp::TcpOptions back;
    size_t n = tcp::write_syn_options(out, o);
    if (n > 40 || n % 4 != 0 || !tcp::parse_options(out, n, back))
        fuzz::invariant_failed("write_syn_options wrote what parse_options refuses");
    if (back.has_mss != o.has_mss || (o.has_mss && back.mss != o.mss) ||
        back.has_timestamps != o.has_timestamps ||
        (o.has_timestamps && (back.ts_val != o.ts_val || back.ts_ecr != o.ts_ecr)))
        fuzz::invariant_failed("SYN options changed in the round trip");
    n = tcp::write_data_options(out, o);
    if (n > 40 || n % 4 != 0 || !tcp::parse_options(out, n, back))
        fuzz::invariant_failed("write_data_options wrote what parse_options refuses");
    return 0;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // No DPDK call here, but every target starts EAL the same way so that a
    // run of all of them behaves alike (and options.cpp may one day use it).
    fuzz::init_eal("options");
    return 0;
}
