#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "model/result.hpp"

namespace pw::server {

/// A response of HttpGet.
///
/// Thread safety: a value type.
struct GetResponse {
    int status = 0;
    std::string content_type;
    std::string body;
};

/// One blocking HTTP/1.1 GET of a plain `http://host[:port]/path` URL (the observability
/// endpoints: `poolwarden status`, tests), on its own io_context, bounded by `timeout`.
/// Returns a clear error when the URL is malformed, the host unreachable or time runs out.
///
/// Thread safety: a free function; safe to call from any thread.
Result<GetResponse, std::string> HttpGet(
    std::string_view url, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace pw::server
