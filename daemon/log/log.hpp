#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::log {

/// Output format of the stderr log: `text` (human, one line per event) or `json` (JSON lines).
enum class Format { Text, Json };

std::optional<Format> ParseFormat(std::string_view text);
std::optional<spdlog::level::level_enum> ParseLevel(std::string_view text);

/// Key/value pairs attached to an event (`pool=render-linux action=CreatePool ...`).
using Fields = std::vector<std::pair<std::string, std::string>>;

/// Installs the process-wide default logger: stderr, the given format and level. Lines written
/// through spdlog directly by other modules come out in the same format.
void Setup(Format format, spdlog::level::level_enum level);

/// Writes one structured event through the default logger; empty values are left out. Never
/// pass secrets in `fields`.
void Write(spdlog::level::level_enum level, std::string_view msg, const Fields& fields = {});

/// Formats an event as the text logger prints its payload: `msg key=value key="a b"`.
std::string FormatText(std::string_view msg, const Fields& fields);

/// Suppresses repeats of the same message: the first occurrence of a key passes, identical
/// repeats within `window` are counted, and the next one after the window passes with the
/// number suppressed (userver's LOG_LIMITED idea).
///
/// Thread safety: all methods may be called concurrently.
class RateLimiter {
  public:
    explicit RateLimiter(std::chrono::seconds window = std::chrono::minutes(5)) : window_(window) {}

    /// True when the event may be written now; `*suppressed` receives the repeats dropped
    /// since the last written occurrence.
    bool admit(const std::string& key, std::chrono::steady_clock::time_point now,
               int* suppressed = nullptr);

  private:
    struct Entry {
        std::chrono::steady_clock::time_point last_written;
        int suppressed = 0;
    };
    std::chrono::seconds window_;
    std::mutex mutex_;
    std::map<std::string, Entry> entries_;
};

}  // namespace pw::log
