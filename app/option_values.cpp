#include "app/option_values.hpp"

#include <charconv>
#include <sstream>

namespace tcpterm::app {

void bad(const std::string& key, const std::string& value, const std::string& allowed) {
    throw BadValue{"bad value '" + value + "' for " + key + ": expected " + allowed};
}

uint64_t parse_uint(const std::string& key, const std::string& value, uint64_t min, uint64_t max) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || v < min || v > max)
        bad(key, value, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return v;
}

bool parse_bool(const std::string& key, const std::string& value) {
    if (value == "true" || value == "yes" || value == "on" || value == "1")
        return true;
    if (value == "false" || value == "no" || value == "off" || value == "0")
        return false;
    bad(key, value, "true or false");
}

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string w; in >> w;)
        words.push_back(w);
    return words;
}

}  // namespace tcpterm::app
