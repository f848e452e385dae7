#pragma once

#include <boost/asio/ip/address.hpp>
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

/// The Azure instance metadata service's address (IMDS is plain HTTP by design).
inline constexpr std::string_view kImdsAddress = "169.254.169.254";

/// Where a request may go over plain `http://`.
enum class PlainHttp {
    kLoopback,  ///< Loopback hosts only (127.0.0.0/8, ::1, localhost): every request but one.
    kImds,      ///< Also kImdsAddress: only the managed-identity token request.
};

/// Parses an absolute URL and applies the transport rule: `https://` anywhere, plain
/// `http://` only to loopback hosts (127.0.0.0/8, ::1, localhost), and to the instance
/// metadata address 169.254.169.254 when `plain` is kImds. The error names the rule.
pw::Result<Url, std::string> ParseUrl(std::string_view text,
                                      PlainHttp plain = PlainHttp::kLoopback);

/// The origin (`scheme://host:port`) of an absolute URL, or "" when it does not parse.
std::string OriginOf(std::string_view url);

/// True for `localhost`, 127.0.0.0/8 and ::1.
bool IsLoopbackHost(std::string_view host);

/// Whether a plain-http connection for a URL of rule `plain` may go to `address` (what the
/// host name resolved to): a loopback address (127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into
/// IPv6), or 169.254.169.254 under kImds.
bool PlainHttpAddressAllowed(const boost::asio::ip::address& address, PlainHttp plain);

/// Percent-encodes a query or form value (RFC 3986 unreserved characters kept).
std::string UrlEncode(std::string_view value);

}  // namespace pw::http
