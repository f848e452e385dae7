#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/stop_signal.hpp"
#include "http/url.hpp"
#include "model/result.hpp"

namespace pw::http {

/// Why an exchange produced no response.
enum class FailureKind {
    Refused,    ///< The URL breaks the transport rules (e.g. plain http to a remote host).
    Network,    ///< Resolve, connect, TLS or a broken connection.
    Timeout,    ///< An operation or the request's deadline ran out.
    Cancelled,  ///< The client is shutting down.
};

/// A transport failure. `request_sent` is false when the request certainly never reached the
/// server (failed before writing), which makes even a non-idempotent request safe to retry.
struct Failure {
    FailureKind kind = FailureKind::Network;
    std::string message;
    bool request_sent = false;
};

/// One HTTP/1.1 request to an absolute URL.
struct ClientRequest {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{60000};  ///< Deadline of the whole exchange.
    /// Safe to resend on a fresh connection when a reused keep-alive connection turns out to
    /// be closed. GET, HEAD, PUT and DELETE always are.
    bool idempotent = false;
    /// Where plain http:// may go: kImds only for the managed-identity token request.
    PlainHttp plain_http = PlainHttp::kLoopback;
};

/// A response; header names compare case-insensitively.
struct ClientResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// First value of header `name`, or "".
    std::string header(std::string_view name) const;
};

/// Settings of the client (from the daemon file's `tls:` block and defaults).
struct ClientOptions {
    std::optional<std::string> ca_file;  ///< Extra PEM trust anchors besides the system store.
    std::size_t max_connections_per_host = 16;
    std::size_t max_idle_per_host = 4;
    std::chrono::milliseconds idle_timeout{50000};       ///< Pooled connections older are closed.
    std::chrono::milliseconds operation_timeout{30000};  ///< Resolve/connect/TLS/write/read.
    std::size_t max_response_bytes = 64u << 20;
    std::string user_agent = "poolwarden";
    /// Resolves host names (not IP literals) instead of the system resolver; for tests.
    std::function<std::vector<boost::asio::ip::address>(const std::string& host)> resolver;
};

/// HTTP/1.1 client over TCP or TLS (OpenSSL: system trust store plus `ca_file`, SNI, hostname
/// verification, TLS 1.2 minimum), with a bounded keep-alive pool per origin and a timeout on
/// every operation. Plain http only to loopback (see ParseUrl), checked again at connect time:
/// a plain-http host name must resolve to loopback addresses only (169.254.169.254 for the
/// IMDS request), else the request is Refused before any connection. Errors are values.
///
/// shutdown() fails new requests and waits with Cancelled and closes idle connections; an
/// exchange already writing finishes (bounded by its deadline). The client must outlive every
/// coroutine using it.
///
/// Thread safety: use from one strand; the constructor throws on an unreadable ca_file.
class Client {
  public:
    Client(boost::asio::any_io_executor executor, ClientOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    boost::asio::awaitable<pw::Result<ClientResponse, Failure>> send(ClientRequest request);

    void shutdown();
    StopSignal& stop_signal() { return stop_; }
    const ClientOptions& options() const { return options_; }
    /// Connections currently pooled (idle) for `origin` (`https://host:443`), for tests.
    std::size_t idle_connections(const std::string& origin) const;
    /// Connections opened since construction, for tests and metrics.
    std::size_t connections_opened() const { return connections_opened_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    ClientOptions options_;
    StopSignal stop_;
    std::size_t connections_opened_ = 0;
};

}  // namespace pw::http
