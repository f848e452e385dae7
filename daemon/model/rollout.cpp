#include "model/rollout.hpp"

#include <array>
#include <charconv>

namespace pw::model {

namespace {

using Clock = std::chrono::system_clock;
constexpr std::int64_t kDay = 24 * 3600;

/// Monday-based weekday (0 = Monday) of a day number since 1970-01-01 (a Thursday).
int Weekday(std::int64_t day) {
    const std::int64_t w = (day + 3) % 7;
    return static_cast<int>(w < 0 ? w + 7 : w);
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

std::string_view ToString(RolloutMarker::Step step) {
    switch (step) {
        case RolloutMarker::Step::Swapped:
            return "swapped";
        case RolloutMarker::Step::Done:
            return "done";
        case RolloutMarker::Step::Halted:
            return "halted";
    }
    return "swapped";
}

std::string FormatRolloutMarker(const RolloutMarker& m) {
    std::string out =
        std::string(ToString(m.step)) + ";target=" + m.target + ";since=" + std::to_string(m.since);
    if (!m.reason.empty()) {
        std::string reason = m.reason;
        for (char& c : reason)
            if (c == ';') c = ',';
        out += ";reason=" + reason;
    }
    return out;
}

std::optional<RolloutMarker> ParseRolloutMarker(std::string_view text) {
    RolloutMarker m;
    auto next = [&](std::string_view& part) {
        auto semi = text.find(';');
        part = text.substr(0, semi);
        text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    };
    std::string_view step;
    next(step);
    if (step == "swapped")
        m.step = RolloutMarker::Step::Swapped;
    else if (step == "done")
        m.step = RolloutMarker::Step::Done;
    else if (step == "halted")
        m.step = RolloutMarker::Step::Halted;
    else
        return std::nullopt;
    bool since = false;
    while (!text.empty()) {
        std::string_view part;
        next(part);
        if (part.starts_with("target=")) {
            m.target = part.substr(7);
        } else if (part.starts_with("since=")) {
            auto v = part.substr(6);
            auto r = std::from_chars(v.data(), v.data() + v.size(), m.since);
            if (r.ec != std::errc() || r.ptr != v.data() + v.size()) return std::nullopt;
            since = true;
        } else if (part.starts_with("reason=")) {
            m.reason = part.substr(7);
            m.reason += text.empty() ? "" : ";" + std::string(text);  // the rest is the reason
            break;
        }
    }
    if (m.target.empty() || !since) return std::nullopt;
    return m;
}

bool InMaintenanceWindow(const std::vector<MaintenanceWindow>& windows, Clock::time_point now) {
    if (windows.empty()) return true;
    const std::int64_t t =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t today = FloorDiv(t, kDay);
    for (const auto& w : windows) {
        // A window starting up to 7 days before (its duration is at most 7 days) may cover now.
        for (std::int64_t day = today - 7; day <= today; ++day) {
            if (!(w.days & (1u << Weekday(day)))) continue;
            const std::int64_t start = day * kDay + w.start_minute * 60;
            if (t >= start && t < start + w.duration.count()) return true;
        }
    }
    return false;
}

std::optional<Clock::time_point> NextMaintenanceWindow(
    const std::vector<MaintenanceWindow>& windows, Clock::time_point now) {
    if (windows.empty()) return std::nullopt;
    const std::int64_t t =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t today = FloorDiv(t, kDay);
    std::optional<std::int64_t> best;
    for (const auto& w : windows) {
        for (std::int64_t day = today; day <= today + 8; ++day) {
            if (!(w.days & (1u << Weekday(day)))) continue;
            const std::int64_t start = day * kDay + w.start_minute * 60;
            if (start > t && (!best || start < *best)) best = start;
        }
    }
    if (!best) return std::nullopt;
    return Clock::time_point(std::chrono::seconds(*best));
}

int ParseWeekday(std::string_view day) {
    static constexpr std::array<std::string_view, 7> kNames = {"mon", "tue", "wed", "thu",
                                                               "fri", "sat", "sun"};
    if (day.size() != 3) return -1;
    std::string lower(day);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (lower == kNames[i]) return static_cast<int>(i);
    return -1;
}

std::optional<int> ParseClock(std::string_view text) {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!digit(text[0]) || !digit(text[1]) || !digit(text[3]) || !digit(text[4]))
        return std::nullopt;
    const int h = (text[0] - '0') * 10 + (text[1] - '0');
    const int m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h > 23 || m > 59) return std::nullopt;
    return h * 60 + m;
}

}  // namespace pw::model
