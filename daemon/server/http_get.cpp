#include "server/http_get.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/system_error.hpp>
#include <boost/url/parse.hpp>
#include <optional>

namespace pw::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

Result<GetResponse, std::string> HttpGet(std::string_view url, std::chrono::milliseconds timeout) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->scheme() != "http" || !parsed->has_authority() || parsed->host().empty())
        return pw::Err{fmt::format("'{}' is not an http://host:port URL", url)};
    std::string host = parsed->host_name().empty() ? std::string(parsed->encoded_host_address())
                                                   : std::string(parsed->host_name());
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
    std::string target = std::string(parsed->encoded_path());
    if (target.empty()) target = "/";
    if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());

    asio::io_context io(1);
    std::optional<Result<GetResponse, std::string>> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::ip::tcp::resolver resolver(io);
            beast::tcp_stream stream(io);
            stream.expires_at(deadline);
            auto endpoints = co_await resolver.async_resolve(host, port, asio::use_awaitable);
            co_await stream.async_connect(endpoints, asio::use_awaitable);
            bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
            req.set(bhttp::field::host, std::string(parsed->encoded_authority()));
            req.set(bhttp::field::user_agent, "poolwarden");
            req.set(bhttp::field::connection, "close");
            co_await bhttp::async_write(stream, req, asio::use_awaitable);
            beast::flat_buffer buffer;
            bhttp::response_parser<bhttp::string_body> parser;
            parser.body_limit(64U * 1024U * 1024U);
            co_await bhttp::async_read(stream, buffer, parser, asio::use_awaitable);
            auto res = parser.release();
            GetResponse r;
            r.status = static_cast<int>(res.result_int());
            r.content_type = std::string(res[bhttp::field::content_type]);
            r.body = std::move(res.body());
            out = std::move(r);
        },
        [&](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const boost::system::system_error& se) {
                auto what = se.code() == beast::error::timeout
                                ? fmt::format("no answer within {} ms", timeout.count())
                                : se.code().message();
                out = pw::Err{fmt::format("GET {}: {}", url, what)};
            } catch (const std::exception& ex) {
                out = pw::Err{fmt::format("GET {}: {}", url, ex.what())};
            }
        });
    io.run();
    if (!out) return pw::Err{fmt::format("GET {}: no response", url)};
    return std::move(*out);
}

}  // namespace pw::server
