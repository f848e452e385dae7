#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/result.hpp"

namespace pw::http {

/// An absolute http(s) URL split the way the client connects to it.
///
/// Thread safety: a value type.
struct Url {
    std::string scheme;  ///< `http` or `https`.
    std::string host;    ///< Without brackets for IPv6 literals.
    std::uint16_t port = 0;
    std::string target;  ///< Path and query, at least `/`.

    bool tls() const { return scheme == "https"; }
    /// `scheme://host:port`: the key of the connection pool.
    std::string origin() const;
};

/// Parses an absolute URL and applies the transport rule: `https://` anywhere, plain
/// `http://` only to loopback hosts (127.0.0.0/8, ::1, localhost) and to the Azure instance
/// metadata address 169.254.169.254 (IMDS is plain HTTP by design). The error names the rule.
pw::Result<Url, std::string> ParseUrl(std::string_view text);

/// True for `localhost`, 127.0.0.0/8 and ::1.
bool IsLoopbackHost(std::string_view host);

/// Percent-encodes a query or form value (RFC 3986 unreserved characters kept).
std::string UrlEncode(std::string_view value);

}  // namespace pw::http
