#pragma once

#include <optional>
#include <string>
#include <string_view>

/// Checks shared by the codec's document and streaming decoders (internal to pw_codec).
namespace pw::codec::detail {

/// Why `body` cannot be JSON at all (empty, or an HTML/XML page), or nothing.
inline std::optional<std::string> NotJson(std::string_view body) {
    auto first = body.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return "empty body, expected JSON";
    if (body[first] == '<') return "body is not JSON (looks like HTML or XML)";
    return std::nullopt;
}

/// `invalid JSON: <nlohmann's message without its [json.exception...] prefix>`.
inline std::string InvalidJson(std::string what) {
    if (auto close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != what.npos)
        what = what.substr(close + 2);
    return "invalid JSON: " + what;
}

}  // namespace pw::codec::detail
