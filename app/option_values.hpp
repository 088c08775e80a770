// Checking option values the way every tcpterm tool reports them: a bad value
// throws BadValue whose message names the key, the value and what is allowed
// (the caller prints it and exits 2, before DPDK starts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tcpterm::app {

struct BadValue {
    std::string message;
};

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& allowed);
// A decimal integer in [min, max].
uint64_t parse_uint(const std::string& key, const std::string& value, uint64_t min, uint64_t max);
// true/yes/on/1 or false/no/off/0.
bool parse_bool(const std::string& key, const std::string& value);
// Whitespace-separated words (EAL arguments).
std::vector<std::string> split_words(const std::string& text);

}  // namespace tcpterm::app
