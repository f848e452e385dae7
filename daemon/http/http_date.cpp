#include "http/http_date.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>

namespace pw::http {

namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

// Howard Hinnant's days_from_civil.
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

class Scanner {
  public:
    explicit Scanner(std::string_view s) : s_(s) {}
    bool Int(int& out, std::size_t min_digits, std::size_t max_digits) {
        std::size_t n = 0;
        while (pos_ + n < s_.size() && n < max_digits &&
               std::isdigit(static_cast<unsigned char>(s_[pos_ + n])))
            ++n;
        if (n < min_digits) return false;
        std::from_chars(s_.data() + pos_, s_.data() + pos_ + n, out);
        pos_ += n;
        return true;
    }
    bool Lit(std::string_view lit) {
        if (s_.substr(pos_, lit.size()) != lit) return false;
        pos_ += lit.size();
        return true;
    }
    bool Spaces() {
        std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
        return pos_ > start;
    }
    bool Month(int& out) {
        for (std::size_t i = 0; i < kMonths.size(); ++i) {
            if (s_.substr(pos_, 3) == kMonths[i]) {
                out = static_cast<int>(i) + 1;
                pos_ += 3;
                return true;
            }
        }
        return false;
    }
    bool SkipWord() {
        std::size_t start = pos_;
        while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) ++pos_;
        return pos_ > start;
    }
    bool Time(int& h, int& mi, int& sec) {
        return Int(h, 2, 2) && Lit(":") && Int(mi, 2, 2) && Lit(":") && Int(sec, 2, 2);
    }
    bool Done() const { return pos_ == s_.size(); }

  private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<std::int64_t> ParseHttpDateSeconds(std::string_view text) {
    text = Trim(text);
    int day = 0, month = 0, year = 0, h = 0, mi = 0, sec = 0;
    bool ok = false;
    Scanner imf(text);
    if (imf.SkipWord() && imf.Lit(", ") && imf.Int(day, 2, 2) && imf.Lit(" ") && imf.Month(month) &&
        imf.Lit(" ") && imf.Int(year, 4, 4) && imf.Lit(" ") && imf.Time(h, mi, sec) &&
        imf.Lit(" GMT") && imf.Done()) {
        ok = true;
    }
    if (!ok) {
        Scanner rfc850(text);
        if (rfc850.SkipWord() && rfc850.Lit(", ") && rfc850.Int(day, 2, 2) && rfc850.Lit("-") &&
            rfc850.Month(month) && rfc850.Lit("-") && rfc850.Int(year, 2, 2) && rfc850.Lit(" ") &&
            rfc850.Time(h, mi, sec) && rfc850.Lit(" GMT") && rfc850.Done()) {
            // RFC 9110: a two-digit year more than 50 years in the future is in the past.
            year += year < 70 ? 2000 : 1900;
            ok = true;
        }
    }
    if (!ok) {
        Scanner asc(text);
        if (asc.SkipWord() && asc.Lit(" ") && asc.Month(month) && asc.Spaces() &&
            asc.Int(day, 1, 2) && asc.Lit(" ") && asc.Time(h, mi, sec) && asc.Lit(" ") &&
            asc.Int(year, 4, 4) && asc.Done()) {
            ok = true;
        }
    }
    if (!ok || day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    const std::int64_t days =
        DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    return days * 86400 + h * 3600 + mi * 60 + sec;
}

constexpr std::int64_t kMaxRetryAfterSeconds = 365LL * 86400;

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text) {
    using SystemClock = std::chrono::system_clock;
    const auto secs = ParseHttpDateSeconds(text);
    if (!secs) return std::nullopt;
    constexpr auto kMax =
        std::chrono::duration_cast<std::chrono::seconds>(SystemClock::duration::max());
    constexpr auto kMin =
        std::chrono::duration_cast<std::chrono::seconds>(SystemClock::duration::min());
    if (*secs > kMax.count() || *secs < kMin.count()) return std::nullopt;
    return SystemClock::time_point(std::chrono::seconds(*secs));
}

std::string FormatHttpDate(std::chrono::system_clock::time_point t) {
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    std::int64_t days = secs / 86400;
    std::int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    // civil_from_days
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
    const auto weekday = static_cast<std::size_t>(((days % 7) + 11) % 7);  // 1970-01-01: Thu
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02lld:%02lld:%02lld GMT",
                  std::string(kDays[weekday]).c_str(), d, std::string(kMonths[m - 1]).c_str(),
                  static_cast<long long>(y), static_cast<long long>(rem / 3600),
                  static_cast<long long>((rem / 60) % 60), static_cast<long long>(rem % 60));
    return buf;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
    value = Trim(value);
    if (value.empty()) return std::nullopt;
    if (std::isdigit(static_cast<unsigned char>(value.front()))) {
        std::int64_t secs = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
        if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
        return std::chrono::seconds(std::min(secs, kMaxRetryAfterSeconds));
    }
    // Compared in seconds: a date past year 2262 does not fit the clock's nanoseconds.
    const auto at = ParseHttpDateSeconds(value);
    if (!at) return std::nullopt;
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::int64_t now_s = now_ms / 1000;
    if (*at - now_s > kMaxRetryAfterSeconds) return std::chrono::seconds(kMaxRetryAfterSeconds);
    const std::int64_t delta_ms = *at * 1000 - now_ms;
    return std::chrono::milliseconds(std::max<std::int64_t>(delta_ms, 0));
}

}  // namespace pw::http
