#include "log/log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <ctime>

namespace pw::log {
namespace {

std::atomic<Format> g_format{Format::Text};

// Payloads built by Write() in JSON mode start with this byte and already hold JSON members.
constexpr char kJsonMembers = '\x1e';

void AppendJsonString(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += fmt::format("\\u{:04x}", static_cast<int>(c));
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

std::string Timestamp(std::chrono::system_clock::time_point tp) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()) % 1000;
    std::time_t t = std::chrono::system_clock::to_time_t(tp);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", tm, static_cast<int>(ms.count()));
}

class Formatter final : public spdlog::formatter {
  public:
    explicit Formatter(Format format) : format_(format) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        std::string_view payload(msg.payload.data(), msg.payload.size());
        auto level = spdlog::level::to_string_view(msg.level);
        std::string line;
        if (format_ == Format::Json) {
            line = "{\"ts\":\"" + Timestamp(msg.time) + "\",\"level\":";
            AppendJsonString(line, std::string_view(level.data(), level.size()));
            if (!payload.empty() && payload.front() == kJsonMembers) {
                line += ',';
                line.append(payload.substr(1));
            } else {
                line += ",\"msg\":";
                AppendJsonString(line, payload);
            }
            line += "}\n";
        } else {
            line = fmt::format("{} {:<5} {}\n", Timestamp(msg.time),
                               std::string_view(level.data(), level.size()), payload);
        }
        dest.append(line.data(), line.data() + line.size());
    }

    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<Formatter>(format_);
    }

  private:
    Format format_;
};

bool NeedsQuotes(std::string_view v) {
    if (v.empty()) return true;
    for (char c : v)
        if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
    return false;
}

}  // namespace

std::optional<Format> ParseFormat(std::string_view text) {
    if (text == "text") return Format::Text;
    if (text == "json") return Format::Json;
    return std::nullopt;
}

std::optional<spdlog::level::level_enum> ParseLevel(std::string_view text) {
    if (text == "trace") return spdlog::level::trace;
    if (text == "debug") return spdlog::level::debug;
    if (text == "info") return spdlog::level::info;
    if (text == "warn" || text == "warning") return spdlog::level::warn;
    if (text == "error") return spdlog::level::err;
    if (text == "critical") return spdlog::level::critical;
    if (text == "off") return spdlog::level::off;
    return std::nullopt;
}

void Setup(Format format, spdlog::level::level_enum level) {
    g_format = format;
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>("poolwarden", sink);
    logger->set_formatter(std::make_unique<Formatter>(format));
    logger->set_level(level);
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

std::string FormatText(std::string_view msg, const Fields& fields) {
    std::string out(msg);
    for (const auto& [k, v] : fields) {
        if (v.empty()) continue;
        out += ' ';
        out += k;
        out += '=';
        if (NeedsQuotes(v)) {
            AppendJsonString(out, v);
        } else {
            out += v;
        }
    }
    return out;
}

void Write(spdlog::level::level_enum level, std::string_view msg, const Fields& fields) {
    auto logger = spdlog::default_logger_raw();
    if (!logger->should_log(level)) return;
    if (g_format.load() == Format::Json) {
        std::string payload(1, kJsonMembers);
        payload += "\"msg\":";
        AppendJsonString(payload, msg);
        for (const auto& [k, v] : fields) {
            if (v.empty()) continue;
            payload += ',';
            AppendJsonString(payload, k);
            payload += ':';
            AppendJsonString(payload, v);
        }
        logger->log(level, "{}", payload);
    } else {
        logger->log(level, "{}", FormatText(msg, fields));
    }
}

bool RateLimiter::admit(const std::string& key, std::chrono::steady_clock::time_point now,
                        int* suppressed) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = entries_.try_emplace(key);
    auto& e = it->second;
    if (!inserted && now - e.last_written < window_) {
        ++e.suppressed;
        return false;
    }
    if (suppressed) *suppressed = inserted ? 0 : e.suppressed;
    e.suppressed = 0;
    e.last_written = now;
    if (entries_.size() > 10000) entries_.clear();
    return true;
}

}  // namespace pw::log
