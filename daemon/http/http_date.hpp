#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pw::http {

/// Parses an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, and the
/// obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`
/// forms. Pure; nullopt when malformed or outside the range of `system_clock`.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

/// Formats as IMF-fixdate (what `ocp-date` and `Date` carry). Pure.
std::string FormatHttpDate(std::chrono::system_clock::time_point t);

/// Parses a Retry-After value: delay-seconds or an HTTP-date, relative to `now`. A date in the
/// past gives zero. Pure; nullopt when malformed (the header is then ignored).
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace pw::http
