#include "model/duration.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

namespace pw::model {
namespace {

constexpr std::int64_t kMaxSeconds = std::int64_t{100} * 365 * 24 * 3600;

bool ReadNumber(std::string_view s, std::size_t& pos, std::int64_t& out) {
    std::size_t start = pos;
    out = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        out = out * 10 + (s[pos] - '0');
        if (out > kMaxSeconds) return false;
        ++pos;
    }
    return pos > start;
}

std::optional<Seconds> ParseIso(std::string_view s) {
    // P[nD][T[nH][nM][nS]]; weeks, months and years are not accepted (Batch uses days at most).
    std::size_t pos = 1;
    std::int64_t total = 0;
    bool in_time = false, any = false;
    char last_unit = 0;
    const std::string_view date_units = "D", time_units = "HMS";
    while (pos < s.size()) {
        if (s[pos] == 'T' || s[pos] == 't') {
            if (in_time) return std::nullopt;
            in_time = true;
            last_unit = 0;
            ++pos;
            if (pos == s.size()) return std::nullopt;
            continue;
        }
        std::int64_t n = 0;
        if (!ReadNumber(s, pos, n) || pos == s.size()) return std::nullopt;
        char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(s[pos++])));
        std::string_view allowed = in_time ? time_units : date_units;
        auto idx = allowed.find(unit);
        if (idx == std::string_view::npos) return std::nullopt;
        if (last_unit && allowed.find(last_unit) >= idx) return std::nullopt;
        last_unit = unit;
        std::int64_t mult = unit == 'D' ? 86400 : unit == 'H' ? 3600 : unit == 'M' ? 60 : 1;
        total += n * mult;
        if (total > kMaxSeconds) return std::nullopt;
        any = true;
    }
    if (!any) return std::nullopt;
    return Seconds(total);
}

std::optional<Seconds> ParseShort(std::string_view s) {
    // 1d2h30m15s: units in descending order, each at most once.
    std::size_t pos = 0;
    std::int64_t total = 0;
    const std::string_view units = "dhms";
    std::size_t last = std::string_view::npos;
    bool any = false;
    while (pos < s.size()) {
        std::int64_t n = 0;
        if (!ReadNumber(s, pos, n) || pos == s.size()) return std::nullopt;
        auto idx = units.find(s[pos++]);
        if (idx == std::string_view::npos) return std::nullopt;
        if (last != std::string_view::npos && idx <= last) return std::nullopt;
        last = idx;
        std::int64_t mult = idx == 0 ? 86400 : idx == 1 ? 3600 : idx == 2 ? 60 : 1;
        total += n * mult;
        if (total > kMaxSeconds) return std::nullopt;
        any = true;
    }
    if (!any) return std::nullopt;
    return Seconds(total);
}

}  // namespace

std::optional<Seconds> ParseDuration(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    if (text[0] == 'P' || text[0] == 'p') return ParseIso(text);
    return ParseShort(text);
}

std::string FormatIsoDuration(Seconds d) {
    auto total = d.count();
    if (total <= 0) return "PT0S";
    std::string out = "P";
    auto days = total / 86400, h = (total % 86400) / 3600, m = (total % 3600) / 60, s = total % 60;
    if (days) out += std::to_string(days) + "D";
    if (h || m || s) {
        out += "T";
        if (h) out += std::to_string(h) + "H";
        if (m) out += std::to_string(m) + "M";
        if (s) out += std::to_string(s) + "S";
    }
    return out;
}

std::string FormatShortDuration(Seconds d) {
    auto total = d.count();
    if (total <= 0) return "0s";
    std::string out;
    auto days = total / 86400, h = (total % 86400) / 3600, m = (total % 3600) / 60, s = total % 60;
    if (days) out += std::to_string(days) + "d";
    if (h) out += std::to_string(h) + "h";
    if (m) out += std::to_string(m) + "m";
    if (s) out += std::to_string(s) + "s";
    return out;
}

}  // namespace pw::model
