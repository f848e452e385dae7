#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace pw::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

/// What the server does with the connection once a handler has answered.
enum class Disposition {
    kSend,   ///< write the response; keep the connection alive if both sides agree
    kClose,  ///< write the response, then close the connection
    kReset,  ///< write nothing and abort the connection with a TCP reset
};

/// A response body produced piece by piece while it is sent: each call appends the next piece
/// to `out` (empty when called) and returns false once it appended the last one. Runs on the
/// server's strand between writes, so whatever it reads must stay valid until it returned false
/// (hold a shared_ptr to it).
using BodySource = std::function<bool(std::string& out)>;

/// A handler's answer: the response and what to do with the connection.
///
/// Thread safety: a value type.
struct Reply {
    Response response;
    Disposition disposition = Disposition::kSend;
    /// When set, the body is `body`'s pieces instead of `response.body()`: sent with
    /// `Transfer-Encoding: chunked` to HTTP/1.1 clients, or until the connection closes to
    /// HTTP/1.0 ones, so that a large body never exists whole. Not for HEAD requests.
    BodySource body = {};
};

/// Request handler. Runs on the server's strand; may suspend (timers, other I/O).
/// Exceptions escaping it become a bare 500 response.
using Handler = std::function<boost::asio::awaitable<Reply>(const Request&)>;

/// Listener and per-operation limits of a Server.
struct ServerOptions {
    std::string host = "127.0.0.1";  ///< address to bind (numeric)
    std::uint16_t port = 0;          ///< 0 picks a free port; see Server::port()
    /// When set, every connection is TLS (HTTPS) with this context.
    std::shared_ptr<boost::asio::ssl::context> tls;
    /// Connections served at once (>= 1). A connection accepted beyond it is closed at once,
    /// so a flood of connections costs the process at most this many file descriptors.
    std::size_t max_connections = 64;
    /// Limit for waiting for a request to begin: on a new connection, and between requests
    /// on a kept-alive one. An idle connection is closed when it runs out.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    /// Limit for reading one request once its first byte has arrived.
    std::chrono::milliseconds read_timeout{std::chrono::seconds(60)};
    /// Limit for writing one response, a streamed body included (and for the TLS handshake).
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
    /// Limit for the handler; on expiry the client gets 503 and the connection closes.
    std::chrono::milliseconds handler_timeout{std::chrono::minutes(5)};
    std::uint64_t body_limit = 16U * 1024U * 1024U;  ///< larger request bodies close the connection
};

/// A small HTTP/1.1 server (keep-alive, optional TLS, C++20 coroutines) that hands every
/// request to one Handler. Start() binds and listens; Stop() stops accepting, closes idle
/// connections and lets responses being written finish. The objects the handler refers to
/// must outlive the io_context run that serves this server. At most `max_connections` are
/// open at once (more are closed as soon as they are accepted); when accepting fails (e.g.
/// EMFILE: no file descriptor left) the server waits before it tries again, from 10 ms
/// doubling to 1 s, instead of spinning on the failure.
///
/// Thread safety: Start/port/endpoint are for the owning thread; Stop() may be called from
/// any thread. All sessions and handler calls run on one strand of the given executor.
class Server {
  public:
    Server(boost::asio::any_io_executor executor, ServerOptions options, Handler handler);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and starts accepting. Throws boost::system::system_error if the bind fails.
    void Start();
    /// Stops accepting and closes idle connections; in-flight responses are completed.
    void Stop();

    /// The bound endpoint (valid after Start()).
    boost::asio::ip::tcp::endpoint endpoint() const;
    /// The bound port (valid after Start()).
    std::uint16_t port() const { return endpoint().port(); }
    /// Open connections; after Stop() it drops to 0 once in-flight responses are written.
    std::size_t connections() const;
    /// Changes the cap for connections accepted from now on (open ones stay).
    void set_max_connections(std::size_t n);
    /// Connections closed at once because `max_connections` were open.
    std::uint64_t rejected() const;
    /// Failed accepts (each followed by a wait before the next attempt).
    std::uint64_t accept_errors() const;

    struct State;

  private:
    std::shared_ptr<State> state_;
};

}  // namespace pw::http
