// libFuzzer target: the HTTP response path of pw::http::Client and the Azure error decoding.
// Raw bytes are fed to Beast's response parser configured as the client configures it (string
// body, body limit 64 MiB, default header limit), in chunks whose sizes come from the input,
// then the parsed response goes through what the Azure clients do with any response:
// ErrorFromResponse for the three error formats (status, code, message, Retry-After) and
// ParseRetryAfter. Must never crash, hang or throw.
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "azure/errors.hpp"
#include "http/client.hpp"
#include "http/http_date.hpp"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // First byte: chunk size (1..256) the bytes arrive in, as from a slow socket.
    const std::size_t chunk = static_cast<std::size_t>(data[0]) + 1;
    std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(pw::http::ClientOptions{}.max_response_bytes);
    parser.eager(true);
    boost::beast::error_code ec;
    std::string pending;
    std::size_t pos = 0;
    while (!parser.is_done() && pos < wire.size()) {
        pending.append(wire.substr(pos, chunk));
        pos += chunk;
        while (!pending.empty() && !parser.is_done()) {
            const std::size_t used =
                parser.put(boost::asio::buffer(pending.data(), pending.size()), ec);
            if (ec == bhttp::error::need_more) {
                ec = {};
                pending.erase(0, used);
                break;
            }
            if (ec) return 0;
            pending.erase(0, used);
            if (used == 0) break;
        }
    }
    if (!parser.is_done()) {
        // As Beast's read does at end of stream: nothing received is end_of_stream (put_eof
        // asserts got_some()).
        if (!parser.got_some()) return 0;
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return 0;
    }
    auto message = parser.release();
    pw::http::ClientResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message)
        response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    response.body = std::move(message.body());

    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000));
    for (auto format :
         {pw::azure::ErrorFormat::Batch, pw::azure::ErrorFormat::Arm, pw::azure::ErrorFormat::Aad})
        (void)pw::azure::ErrorFromResponse(response, format, now);
    (void)pw::http::ParseRetryAfter(response.header("Retry-After"), now);
    (void)pw::http::ParseHttpDate(response.header("Date"));
    return 0;
}
