#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pw::model {

using Seconds = std::chrono::seconds;

/// Parses `90s`, `45m`, `1h30m`, `2h`, `1d` and ISO-8601 durations (`PT45M`, `P1DT2H`,
/// `PT1H30M15S`). Fractional seconds are not accepted. Returns nullopt on malformed or
/// overflowing input. Pure.
std::optional<Seconds> ParseDuration(std::string_view text);

/// Formats as an ISO-8601 duration as Azure writes it: `PT45M`, `PT1H30M`, `P1DT2H`, `PT0S`.
std::string FormatIsoDuration(Seconds d);

/// Formats for humans: `45m`, `1h30m`, `0s`.
std::string FormatShortDuration(Seconds d);

}  // namespace pw::model
