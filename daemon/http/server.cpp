#include "http/server.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <list>
#include <mutex>
#include <optional>
#include <variant>

#include "http/any_stream.hpp"

namespace pw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

struct Slot {
    beast::tcp_stream* lowest = nullptr;
    bool busy = false;
};

}  // namespace

struct Server::State : std::enable_shared_from_this<Server::State> {
    State(asio::any_io_executor ex, ServerOptions opts, Handler h)
        : strand(asio::make_strand(ex)),
          acceptor(strand),
          accept_pause(strand),
          options(std::move(opts)),
          handler(std::move(h)),
          max_connections(std::max<std::size_t>(1, options.max_connections)) {}

    asio::strand<asio::any_io_executor> strand;
    tcp::acceptor acceptor;
    asio::steady_timer accept_pause;  ///< The wait after a failed accept.
    ServerOptions options;
    Handler handler;
    bool stopping = false;
    std::list<Slot> slots;
    std::atomic<std::size_t> max_connections;
    std::atomic<std::size_t> connections{0};
    std::atomic<std::uint64_t> rejected{0};
    std::atomic<std::uint64_t> accept_errors{0};
    tcp::endpoint bound;
};

namespace {

using StatePtr = std::shared_ptr<Server::State>;

constexpr std::size_t kFirstRead = 4096;
constexpr auto kMinAcceptPause = std::chrono::milliseconds(10);
constexpr auto kMaxAcceptPause = std::chrono::seconds(1);

Response MakePlain(bhttp::status status, unsigned version, std::string body) {
    Response res{status, version};
    res.set(bhttp::field::content_type, "text/plain");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

asio::awaitable<Reply> RunHandler(const StatePtr& st, const Request& req) {
    auto call = [](StatePtr s, const Request& r) -> asio::awaitable<Reply> {
        try {
            co_return co_await s->handler(r);
        } catch (const std::exception&) {
            co_return Reply{
                MakePlain(bhttp::status::internal_server_error, r.version(), "internal error\n"),
                Disposition::kClose};
        }
    };
    asio::steady_timer timer(st->strand);
    timer.expires_after(st->options.handler_timeout);
    auto result = co_await (call(st, req) || timer.async_wait(asio::use_awaitable));
    if (result.index() == 0) co_return std::get<0>(std::move(result));
    co_return Reply{MakePlain(bhttp::status::service_unavailable, req.version(), "timeout\n"),
                    Disposition::kClose};
}

/// Writes a reply whose body comes from `reply.body`, piece by piece: chunked to an HTTP/1.1
/// client, delimited by closing the connection for HTTP/1.0. Returns whether the connection
/// stays open for the next request.
asio::awaitable<bool> WriteStreamed(const StatePtr& st, AnyStream& stream,
                                    beast::tcp_stream& lowest, const Request& req, Reply& reply) {
    bhttp::response<bhttp::buffer_body> res{std::move(reply.response.base())};
    res.version(req.version());
    res.erase(bhttp::field::content_length);
    const bool chunked = req.version() >= 11;
    const bool keep =
        chunked && req.keep_alive() && reply.disposition == Disposition::kSend && !st->stopping;
    res.keep_alive(keep);
    if (chunked) res.chunked(true);
    res.body().data = nullptr;
    res.body().more = true;
    bhttp::response_serializer<bhttp::buffer_body> sr{res};
    lowest.expires_after(st->options.write_timeout);
    auto [hec, hn] =
        co_await bhttp::async_write_header(stream, sr, asio::as_tuple(asio::use_awaitable));
    (void)hn;
    if (hec) co_return false;
    std::string piece;
    bool more = true;
    while (more) {
        piece.clear();
        try {
            more = reply.body(piece);
        } catch (const std::exception&) {
            // The status line is gone already: only an aborted body can tell the client.
            boost::system::error_code ignored;
            lowest.socket().set_option(asio::socket_base::linger(true, 0), ignored);
            lowest.socket().close(ignored);
            co_return false;
        }
        if (piece.empty()) continue;
        res.body().data = piece.data();
        res.body().size = piece.size();
        res.body().more = true;
        auto [ec, n] = co_await bhttp::async_write(stream, sr, asio::as_tuple(asio::use_awaitable));
        (void)n;
        if (ec && ec != bhttp::error::need_buffer) co_return false;
    }
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = false;
    auto [ec, n] = co_await bhttp::async_write(stream, sr, asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) co_return false;
    co_return keep;
}

asio::awaitable<void> Serve(StatePtr st, AnyStream stream, beast::tcp_stream& lowest, Slot& slot) {
    beast::flat_buffer buffer;
    while (!st->stopping) {
        if (buffer.size() == 0) {
            // Idle until the request's first bytes arrive (a new or a kept-alive connection).
            lowest.expires_after(st->options.idle_timeout);
            auto [iec, in] = co_await stream.async_read_some(buffer.prepare(kFirstRead),
                                                             asio::as_tuple(asio::use_awaitable));
            if (iec) co_return;
            buffer.commit(in);
        }
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(st->options.body_limit);
        lowest.expires_after(st->options.read_timeout);
        auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser,
                                                           asio::as_tuple(asio::use_awaitable));
        (void)hn;
        if (hec) co_return;
        if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
            bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_,
                                                    parser.get().version()};
            auto [cec, cn] =
                co_await bhttp::async_write(stream, cont, asio::as_tuple(asio::use_awaitable));
            (void)cn;
            if (cec) co_return;
        }
        auto [ec, n] =
            co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        (void)n;
        if (ec) co_return;
        slot.busy = true;
        Request req = parser.release();
        lowest.expires_never();
        Reply reply = co_await RunHandler(st, req);
        if (reply.disposition == Disposition::kReset) {
            boost::system::error_code ignored;
            lowest.socket().set_option(asio::socket_base::linger(true, 0), ignored);
            lowest.socket().close(ignored);
            co_return;
        }
        if (reply.body && req.method() != bhttp::verb::head) {
            const bool kept = co_await WriteStreamed(st, stream, lowest, req, reply);
            slot.busy = false;
            if (!kept) co_return;
            continue;
        }
        Response& res = reply.response;
        res.version(req.version());
        const bool keep =
            req.keep_alive() && reply.disposition == Disposition::kSend && !st->stopping;
        res.keep_alive(keep);
        if (res.find(bhttp::field::content_length) == res.end() &&
            req.method() != bhttp::verb::head) {
            res.prepare_payload();
        }
        bhttp::response_serializer<bhttp::string_body> sr{res};
        if (req.method() == bhttp::verb::head) sr.split(true);
        lowest.expires_after(st->options.write_timeout);
        if (req.method() == bhttp::verb::head) {
            auto [wec, wn] =
                co_await bhttp::async_write_header(stream, sr, asio::as_tuple(asio::use_awaitable));
            (void)wn;
            if (wec) co_return;
        } else {
            auto [wec, wn] =
                co_await bhttp::async_write(stream, sr, asio::as_tuple(asio::use_awaitable));
            (void)wn;
            if (wec) co_return;
        }
        slot.busy = false;
        if (!keep) co_return;
    }
}

asio::awaitable<void> RunSession(StatePtr st, tcp::socket socket) {
    st->slots.emplace_back();
    auto it = std::prev(st->slots.end());
    beast::tcp_stream plain(std::move(socket));
    it->lowest = &plain;
    struct Release {
        Server::State& st;
        std::list<Slot>::iterator slot;
        ~Release() {
            st.slots.erase(slot);
            --st.connections;
        }
    } release{*st, it};
    if (st->options.tls) {
        asio::ssl::stream<beast::tcp_stream&> tls(plain, *st->options.tls);
        plain.expires_after(st->options.write_timeout);
        auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server,
                                                 asio::as_tuple(asio::use_awaitable));
        if (!ec) {
            co_await Serve(st, AnyStream(tls), plain, *it);
            plain.expires_after(std::chrono::seconds(2));
            co_await tls.async_shutdown(asio::as_tuple(asio::use_awaitable));
        }
    } else {
        co_await Serve(st, AnyStream(plain), plain, *it);
        boost::system::error_code ignored;
        plain.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
}

asio::awaitable<void> AcceptLoop(StatePtr st) {
    auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(kMinAcceptPause);
    while (!st->stopping) {
        auto [ec, socket] = co_await st->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (st->stopping || ec == asio::error::operation_aborted) co_return;
            // EMFILE, ENFILE, ENOBUFS...: the pending connection stays queued, so trying again
            // at once fails again at once. Wait, and wait longer while it keeps failing.
            ++st->accept_errors;
            st->accept_pause.expires_after(pause);
            co_await st->accept_pause.async_wait(asio::as_tuple(asio::use_awaitable));
            pause = std::min<std::chrono::milliseconds>(pause * 2, kMaxAcceptPause);
            continue;
        }
        pause = std::chrono::duration_cast<std::chrono::milliseconds>(kMinAcceptPause);
        if (st->connections.load() >= st->max_connections.load()) {
            ++st->rejected;
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        ++st->connections;
        asio::co_spawn(st->strand, RunSession(st, std::move(socket)), asio::detached);
    }
}

}  // namespace

Server::Server(asio::any_io_executor executor, ServerOptions options, Handler handler)
    : state_(std::make_shared<State>(std::move(executor), std::move(options), std::move(handler))) {
}

Server::~Server() { Stop(); }

void Server::Start() {
    auto addr = asio::ip::make_address(state_->options.host);
    tcp::endpoint ep{addr, state_->options.port};
    state_->acceptor.open(ep.protocol());
    state_->acceptor.set_option(asio::socket_base::reuse_address(true));
    state_->acceptor.bind(ep);
    state_->acceptor.listen(asio::socket_base::max_listen_connections);
    state_->bound = state_->acceptor.local_endpoint();
    asio::co_spawn(state_->strand, AcceptLoop(state_), asio::detached);
}

void Server::Stop() {
    asio::dispatch(state_->strand, [st = state_] {
        if (st->stopping) return;
        st->stopping = true;
        boost::system::error_code ignored;
        st->acceptor.close(ignored);
        st->accept_pause.cancel();
        for (auto& slot : st->slots) {
            if (!slot.busy && slot.lowest != nullptr) slot.lowest->cancel();
        }
    });
}

asio::ip::tcp::endpoint Server::endpoint() const { return state_->bound; }

std::size_t Server::connections() const { return state_->connections.load(); }

void Server::set_max_connections(std::size_t n) {
    state_->max_connections = std::max<std::size_t>(1, n);
}

std::uint64_t Server::rejected() const { return state_->rejected.load(); }

std::uint64_t Server::accept_errors() const { return state_->accept_errors.load(); }

}  // namespace pw::http
