#include "http/client.hpp"

#include <openssl/ssl.h>
#include <strings.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <deque>
#include <stdexcept>

#include "http/any_stream.hpp"
#include "http/url.hpp"

namespace pw::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using net::ip::tcp;
using namespace net::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

struct Connection {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;
    Clock::time_point idle_since{};

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
    void close() {
        beast::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().close();
    }
};

struct HostPool {
    std::vector<std::unique_ptr<Connection>> idle;
    std::size_t in_use = 0;
    std::deque<net::steady_timer*> waiters;
};

Failure Fail(FailureKind kind, std::string message, bool sent) {
    return Failure{kind, std::move(message), sent};
}

FailureKind KindOf(const beast::error_code& ec) {
    if (ec == beast::error::timeout) return FailureKind::Timeout;
    if (ec == net::error::operation_aborted) return FailureKind::Cancelled;
    return FailureKind::Network;
}

bool IsStale(const beast::error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == net::ssl::error::stream_truncated;
}

std::string Describe(std::string_view step, const Url& url, const beast::error_code& ec) {
    return std::string(step) + " " + url.host + ":" + std::to_string(url.port) + ": " +
           ec.message();
}

}  // namespace

std::string ClientResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0)
            return value;
    }
    return {};
}

struct Client::Impl {
    net::any_io_executor executor;
    net::ssl::context ssl{net::ssl::context::tls_client};
    std::map<std::string, HostPool> pools;
    bool stopping = false;

    explicit Impl(net::any_io_executor ex) : executor(std::move(ex)) {}

    std::chrono::milliseconds Remaining(Clock::time_point deadline) const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    }
};

Client::Client(net::any_io_executor executor, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor))), options_(std::move(options)) {
    auto& ctx = impl_->ssl;
    ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    ctx.set_verify_mode(net::ssl::verify_peer);
    ctx.set_default_verify_paths();
    if (options_.ca_file) {
        beast::error_code ec;
        ctx.load_verify_file(*options_.ca_file, ec);
        if (ec)
            throw std::runtime_error("tls.caFile " + *options_.ca_file +
                                     ": cannot load PEM certificates: " + ec.message());
    }
}

Client::~Client() = default;

std::size_t Client::idle_connections(const std::string& origin) const {
    auto it = impl_->pools.find(origin);
    return it == impl_->pools.end() ? 0 : it->second.idle.size();
}

void Client::shutdown() {
    impl_->stopping = true;
    stop_.trigger();
    for (auto& [origin, pool] : impl_->pools) {
        for (auto& conn : pool.idle) conn->close();
        pool.idle.clear();
        for (auto* waiter : pool.waiters) waiter->cancel();
    }
}

net::awaitable<pw::Result<ClientResponse, Failure>> Client::send(ClientRequest request) {
    auto& impl = *impl_;
    const auto deadline = Clock::now() + request.timeout;
    if (impl.stopping) co_return pw::Err{Fail(FailureKind::Cancelled, "shutting down", false)};
    auto parsed = ParseUrl(request.url, request.plain_http);
    if (!parsed) co_return pw::Err{Fail(FailureKind::Refused, parsed.error(), false)};
    const Url url = std::move(parsed).value();
    const std::string origin = url.origin();
    auto& pool = impl.pools[origin];

    // Bound the connections per origin: wait for one to be released.
    while (pool.in_use >= options_.max_connections_per_host) {
        net::steady_timer timer(impl.executor, deadline);
        pool.waiters.push_back(&timer);
        co_await timer.async_wait(kTuple);
        std::erase(pool.waiters, &timer);
        auto state = co_await net::this_coro::cancellation_state;
        if (impl.stopping || state.cancelled() != net::cancellation_type::none)
            co_return pw::Err{Fail(FailureKind::Cancelled, "cancelled", false)};
        if (Clock::now() >= deadline)
            co_return pw::Err{Fail(FailureKind::Timeout,
                                   "no free connection to " + url.host + " before the deadline",
                                   false)};
    }
    ++pool.in_use;
    struct Release {
        HostPool& pool;
        ~Release() {
            --pool.in_use;
            if (!pool.waiters.empty()) pool.waiters.front()->cancel();
        }
    } release{pool};

    const bool idempotent = request.idempotent || request.method == bhttp::verb::get ||
                            request.method == bhttp::verb::head ||
                            request.method == bhttp::verb::put ||
                            request.method == bhttp::verb::delete_;

    bhttp::request<bhttp::string_body> req{request.method, url.target, 11};
    const bool default_port = url.port == (url.tls() ? 443 : 80);
    std::string host_header =
        url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    if (!default_port) host_header += ":" + std::to_string(url.port);
    req.set(bhttp::field::host, host_header);
    req.set(bhttp::field::user_agent, options_.user_agent);
    for (const auto& [name, value] : request.headers) req.set(name, value);
    req.body() = std::move(request.body);
    req.keep_alive(true);
    req.prepare_payload();

    auto op_expiry = [&]() -> std::optional<Clock::duration> {
        auto remaining = deadline - Clock::now();
        if (remaining <= Clock::duration::zero()) return std::nullopt;
        return std::min<Clock::duration>(remaining, options_.operation_timeout);
    };
    auto timeout_failure = [&](std::string_view step, bool sent) {
        return Fail(FailureKind::Timeout,
                    std::string(step) + " " + url.host + ": deadline exceeded", sent);
    };

    for (int round = 0; round < 2; ++round) {
        std::unique_ptr<Connection> conn;
        bool reused = false;
        while (!pool.idle.empty()) {
            auto candidate = std::move(pool.idle.back());
            pool.idle.pop_back();
            if (Clock::now() - candidate->idle_since < options_.idle_timeout &&
                candidate->lowest().socket().is_open()) {
                conn = std::move(candidate);
                reused = true;
                break;
            }
            candidate->close();
        }
        if (!conn) {
            conn = std::make_unique<Connection>();
            // Resolve (with a timer: the resolver has no timeout of its own).
            tcp::resolver::results_type endpoints;
            beast::error_code addr_ec;
            auto address = net::ip::make_address(url.host, addr_ec);
            if (!addr_ec) {
                endpoints = tcp::resolver::results_type::create(tcp::endpoint(address, url.port),
                                                                url.host, std::to_string(url.port));
            } else if (options_.resolver) {
                std::vector<tcp::endpoint> found;
                for (const auto& a : options_.resolver(url.host)) found.emplace_back(a, url.port);
                if (found.empty())
                    co_return pw::Err{Fail(FailureKind::Network,
                                           "resolve " + url.host + ": host not found", false)};
                endpoints = tcp::resolver::results_type::create(found.begin(), found.end(),
                                                                url.host, std::to_string(url.port));
            } else {
                auto expiry = op_expiry();
                if (!expiry) co_return pw::Err{timeout_failure("resolve", false)};
                tcp::resolver resolver(impl.executor);
                net::steady_timer timer(impl.executor, *expiry);
                auto outcome =
                    co_await (resolver.async_resolve(url.host, std::to_string(url.port), kTuple) ||
                              timer.async_wait(kTuple));
                if (outcome.index() == 1) co_return pw::Err{timeout_failure("resolve", false)};
                auto [ec, results] = std::get<0>(std::move(outcome));
                if (ec) co_return pw::Err{Fail(KindOf(ec), Describe("resolve", url, ec), false)};
                endpoints = std::move(results);
            }
            if (!url.tls()) {
                // ParseUrl let `localhost` through by name: what it resolves to must be
                // loopback too, or plain http would leave the machine.
                for (const auto& entry : endpoints) {
                    const auto a = entry.endpoint().address();
                    if (!PlainHttpAddressAllowed(a, request.plain_http))
                        co_return pw::Err{Fail(FailureKind::Refused,
                                               "plain http:// to " + url.host + " resolved to " +
                                                   a.to_string() + ", not a loopback address",
                                               false)};
                }
            }
            if (url.tls()) {
                conn->tls =
                    std::make_unique<beast::ssl_stream<beast::tcp_stream>>(impl.executor, impl.ssl);
            } else {
                conn->plain = std::make_unique<beast::tcp_stream>(impl.executor);
            }
            auto expiry = op_expiry();
            if (!expiry) co_return pw::Err{timeout_failure("connect", false)};
            conn->lowest().expires_after(*expiry);
            auto [cec, ep] = co_await conn->lowest().async_connect(endpoints, kTuple);
            if (cec) co_return pw::Err{Fail(KindOf(cec), Describe("connect", url, cec), false)};
            ++connections_opened_;
            if (conn->tls) {
                beast::error_code ip_ec;
                net::ip::make_address(url.host, ip_ec);
                if (ip_ec &&
                    !SSL_set_tlsext_host_name(conn->tls->native_handle(), url.host.c_str()))
                    co_return pw::Err{Fail(FailureKind::Network, "TLS SNI setup failed", false)};
                conn->tls->set_verify_callback(net::ssl::host_name_verification(url.host));
                expiry = op_expiry();
                if (!expiry) co_return pw::Err{timeout_failure("TLS handshake", false)};
                conn->lowest().expires_after(*expiry);
                auto [hec] =
                    co_await conn->tls->async_handshake(net::ssl::stream_base::client, kTuple);
                if (hec)
                    co_return pw::Err{
                        Fail(KindOf(hec), Describe("TLS handshake with", url, hec), false)};
            }
        }
        if (impl.stopping) {
            conn->close();
            co_return pw::Err{Fail(FailureKind::Cancelled, "shutting down", false)};
        }

        // From here on the server may have seen the request; shutdown lets it finish.
        auto expiry = op_expiry();
        if (!expiry) co_return pw::Err{timeout_failure("write to", false)};
        conn->lowest().expires_after(*expiry);
        AnyStream stream = conn->tls ? AnyStream(*conn->tls) : AnyStream(*conn->plain);
        beast::error_code wec;
        std::tie(wec, std::ignore) = co_await bhttp::async_write(stream, req, kTuple);
        if (wec) {
            conn->close();
            if (reused && IsStale(wec) && round == 0 && idempotent) continue;
            co_return pw::Err{Fail(KindOf(wec), Describe("write to", url, wec), true)};
        }

        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(options_.max_response_bytes);
        // A HEAD response has headers only, whatever its Content-Length says (RFC 9110 9.3.2).
        if (request.method == bhttp::verb::head) parser.skip(true);
        expiry = op_expiry();
        if (!expiry) {
            conn->close();
            co_return pw::Err{timeout_failure("read from", true)};
        }
        conn->lowest().expires_after(*expiry);
        beast::error_code rec;
        std::size_t got = 0;
        std::tie(rec, got) = co_await bhttp::async_read(stream, conn->buffer, parser, kTuple);
        if (rec) {
            conn->close();
            // A keep-alive connection the server had already closed: nothing was processed.
            if (reused && IsStale(rec) && !parser.got_some() && round == 0 && idempotent) continue;
            if (rec == bhttp::error::body_limit)
                co_return pw::Err{Fail(FailureKind::Network,
                                       "response from " + url.host + " exceeds " +
                                           std::to_string(options_.max_response_bytes) + " bytes",
                                       true)};
            co_return pw::Err{Fail(KindOf(rec), Describe("read from", url, rec), true)};
        }
        auto message = parser.release();
        ClientResponse response;
        response.status = static_cast<int>(message.result_int());
        for (const auto& field : message)
            response.headers.emplace_back(std::string(field.name_string()),
                                          std::string(field.value()));
        response.body = std::move(message.body());
        if (message.keep_alive() && !impl.stopping &&
            pool.idle.size() < options_.max_idle_per_host) {
            conn->lowest().expires_never();
            conn->idle_since = Clock::now();
            pool.idle.push_back(std::move(conn));
        } else {
            conn->close();
        }
        co_return response;
    }
    co_return pw::Err{Fail(FailureKind::Network, "connection to " + url.host + " closed", true)};
}

}  // namespace pw::http
