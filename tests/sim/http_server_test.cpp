#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <functional>
#include <thread>

#include "http/server.hpp"

namespace pw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

class ServerTest : public ::testing::Test {
  protected:
    void Start(ServerOptions opts = {}) {
        server_ = std::make_unique<Server>(
            io_.get_executor(), opts, [this](const Request& req) -> asio::awaitable<Reply> {
                ++calls_;
                Reply r;
                r.response.result(bhttp::status::ok);
                r.response.set(bhttp::field::content_type, "text/plain");
                r.response.body() =
                    std::string(req.method_string()) + " " + std::string(req.target());
                if (req.target() == "/reset") r.disposition = Disposition::kReset;
                if (req.target() == "/stream") r.body = StreamedBody();
                if (req.target() == "/throw") throw std::runtime_error("boom");
                co_return r;
            });
        server_->Start();
        thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        if (server_) server_->Stop();
        work_.reset();
        io_.stop();
        if (thread_.joinable()) thread_.join();
    }
    /// The body `/stream` sends: kPieces pieces of 64 KiB, piece i made of 'a' + i % 26.
    static constexpr int kPieces = 100;
    static std::string Piece(int i) {
        return std::string(64 * 1024, static_cast<char>('a' + i % 26));
    }
    static std::string WholeBody() {
        std::string all;
        for (int i = 0; i < kPieces; ++i) all += Piece(i);
        return all;
    }
    static BodySource StreamedBody() {
        return [i = 0](std::string& out) mutable {
            out += Piece(i++);
            return i < kPieces;
        };
    }
    beast::tcp_stream Connect() {
        beast::tcp_stream s(client_io_);
        s.expires_after(std::chrono::seconds(5));
        s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
        return s;
    }
    static bhttp::response<bhttp::string_body> Exchange(beast::tcp_stream& s, bhttp::verb v,
                                                        const std::string& target) {
        bhttp::request<bhttp::string_body> req{v, target, 11};
        req.set(bhttp::field::host, "localhost");
        bhttp::write(s, req);
        beast::flat_buffer buf;
        bhttp::response_parser<bhttp::string_body> p;
        p.skip(v == bhttp::verb::head);
        bhttp::read(s, buf, p);
        return p.release();
    }

    asio::io_context io_;
    asio::io_context client_io_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
        io_.get_executor()};
    std::unique_ptr<Server> server_;
    std::thread thread_;
    std::atomic<int> calls_{0};
};

TEST_F(ServerTest, BindsPortZeroAndKeepsConnectionsAlive) {
    Start();
    ASSERT_NE(server_->port(), 0);
    auto s = Connect();
    auto r1 = Exchange(s, bhttp::verb::get, "/a");
    auto r2 = Exchange(s, bhttp::verb::post, "/b");
    EXPECT_EQ(r1.body(), "GET /a");
    EXPECT_EQ(r2.body(), "POST /b");
    EXPECT_TRUE(r2.keep_alive());
    auto head = Exchange(s, bhttp::verb::head, "/c");
    EXPECT_EQ(head.result_int(), 200);
    EXPECT_EQ(calls_.load(), 3);
}

TEST_F(ServerTest, HandlerExceptionBecomes500AndResetDropsTheConnection) {
    Start();
    auto s = Connect();
    EXPECT_EQ(Exchange(s, bhttp::verb::get, "/throw").result_int(), 500);
    auto s2 = Connect();
    EXPECT_ANY_THROW(Exchange(s2, bhttp::verb::get, "/reset"));
}

TEST_F(ServerTest, StopClosesIdleConnectionsAndRefusesNewOnes) {
    Start();
    auto s = Connect();
    EXPECT_EQ(Exchange(s, bhttp::verb::get, "/x").result_int(), 200);
    server_->Stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_ANY_THROW(Exchange(s, bhttp::verb::get, "/y"));
    EXPECT_ANY_THROW(Connect());
}

TEST_F(ServerTest, AnswersExpect100ContinueBeforeTheBody) {
    Start();
    auto s = Connect();
    const std::string head =
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    asio::write(s, asio::buffer(head));
    beast::flat_buffer buf;
    bhttp::response<bhttp::empty_body> cont;
    bhttp::read(s, buf, cont);
    EXPECT_EQ(cont.result_int(), 100);
    asio::write(s, asio::buffer(std::string("hello")));
    bhttp::response<bhttp::string_body> res;
    bhttp::read(s, buf, res);
    EXPECT_EQ(res.body(), "POST /upload");
}

TEST_F(ServerTest, StreamedBodyIsSentChunkedAndTheConnectionStaysOpen) {
    Start();
    auto s = Connect();
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/stream", 11};
    req.set(bhttp::field::host, "localhost");
    bhttp::write(s, req);
    beast::flat_buffer buf;
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(64U * 1024U * 1024U);
    bhttp::read(s, buf, p);
    auto res = p.release();
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_TRUE(res.chunked());
    EXPECT_EQ(res.count(bhttp::field::content_length), 0U);
    EXPECT_EQ(res[bhttp::field::content_type], "text/plain");
    EXPECT_TRUE(res.body() == WholeBody());
    EXPECT_TRUE(res.keep_alive());
    EXPECT_EQ(Exchange(s, bhttp::verb::get, "/after").body(), "GET /after");
}

TEST_F(ServerTest, StreamedBodyToAnHttp10ClientEndsWithTheConnection) {
    Start();
    auto s = Connect();
    asio::write(s, asio::buffer(std::string("GET /stream HTTP/1.0\r\nHost: x\r\n\r\n")));
    std::string raw;
    beast::error_code ec;
    for (;;) {
        char chunk[65536];
        auto n = s.socket().read_some(asio::buffer(chunk), ec);
        raw.append(chunk, n);
        if (ec) break;
    }
    EXPECT_EQ(ec, asio::error::eof);
    auto end = raw.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos);
    const auto head = raw.substr(0, end);
    EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
    EXPECT_TRUE(raw.substr(end + 4) == WholeBody());
}

TEST_F(ServerTest, SlowReaderGetsTheWholeStreamedBody) {
    Start();
    auto s = Connect();
    s.expires_after(std::chrono::seconds(60));
    asio::write(s, asio::buffer(std::string("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")));
    // Reads 6.4 MB at most 64 KiB at a time with a pause after each read: the
    // server's writes wait on the full socket meanwhile, then resume.
    beast::flat_buffer buf;
    buf.reserve(64 * 1024);  // reads of up to 64 KiB (an empty flat_buffer reads 512 bytes)
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(64U * 1024U * 1024U);
    int reads = 0;
    while (!p.is_done()) {
        auto n = bhttp::read_some(s, buf, p);
        (void)n;
        ++reads;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GE(reads, 90);  // 6.4 MB in reads of at most 64 KiB and chunk boundaries
    EXPECT_TRUE(p.get().body() == WholeBody());
}

TEST_F(ServerTest, HeadOfAStreamedReplySendsNoBody) {
    Start();
    auto s = Connect();
    auto head = Exchange(s, bhttp::verb::head, "/stream");
    EXPECT_EQ(head.result_int(), 200);
    EXPECT_EQ(Exchange(s, bhttp::verb::get, "/next").body(), "GET /next");
}

TEST_F(ServerTest, SlowClientIsCutOffByReadTimeout) {
    ServerOptions opts;
    opts.read_timeout = std::chrono::milliseconds(200);
    Start(opts);
    auto s = Connect();
    asio::write(s, asio::buffer(std::string("GET /late HTTP/1.1\r\n")));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_ANY_THROW(Exchange(s, bhttp::verb::get, "/late"));
}

/// True when the server closes `s` within `within`: a read ends with EOF or a reset.
bool ClosedByServer(beast::tcp_stream& s, std::chrono::milliseconds within) {
    pollfd p{s.socket().native_handle(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(within.count())) != 1) return false;
    char byte = 0;
    const auto n = recv(p.fd, &byte, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

/// Polls `pred` every 10 ms for up to 5 s.
bool Eventually(const std::function<bool()>& pred) {
    for (int i = 0; i < 500 && !pred(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return pred();
}

TEST_F(ServerTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
    ServerOptions opts;
    opts.idle_timeout = std::chrono::milliseconds(300);
    Start(opts);
    auto fresh = Connect();  // sends nothing
    auto used = Connect();   // one request, then idle on keep-alive
    EXPECT_EQ(Exchange(used, bhttp::verb::get, "/a").result_int(), 200);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(ClosedByServer(fresh, std::chrono::seconds(3)));
    EXPECT_TRUE(ClosedByServer(used, std::chrono::seconds(3)));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
    EXPECT_TRUE(Eventually([&] { return server_->connections() == 0; }));
}

TEST_F(ServerTest, ConnectionsBeyondTheCapAreClosedAtOnce) {
    ServerOptions opts;
    opts.max_connections = 2;
    Start(opts);
    auto a = Connect();
    auto b = Connect();
    ASSERT_TRUE(Eventually([&] { return server_->connections() == 2; }));
    auto extra = Connect();
    EXPECT_TRUE(ClosedByServer(extra, std::chrono::seconds(3)));  // idle timeout is 60 s
    EXPECT_EQ(server_->rejected(), 1U);
    // The connections within the cap are served; closing one makes room for a new one.
    EXPECT_EQ(Exchange(a, bhttp::verb::get, "/a").body(), "GET /a");
    b.close();
    ASSERT_TRUE(Eventually([&] { return server_->connections() == 1; }));
    auto next = Connect();
    EXPECT_EQ(Exchange(next, bhttp::verb::get, "/n").body(), "GET /n");
    EXPECT_EQ(server_->rejected(), 1U);
}

TEST_F(ServerTest, FailedAcceptsBackOffInsteadOfSpinning) {
    Start();
    // Leave the process no file descriptor for the server's accept: lower the soft limit a
    // little above what is open, then open sockets until none is left.
    rlimit saved{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
    std::size_t open_now = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++open_now;
    std::vector<std::unique_ptr<asio::ip::tcp::socket>> held;
    struct Restore {
        rlimit saved;
        std::vector<std::unique_ptr<asio::ip::tcp::socket>>& held;
        ~Restore() {
            held.clear();
            setrlimit(RLIMIT_NOFILE, &saved);
        }
    } restore{saved, held};
    rlimit low = saved;
    low.rlim_cur = open_now + 16;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    for (;;) {
        auto sock = std::make_unique<asio::ip::tcp::socket>(client_io_);
        beast::error_code ec;
        sock->open(asio::ip::tcp::v4(), ec);
        if (ec) break;
        held.push_back(std::move(sock));
    }
    ASSERT_GE(held.size(), 2U);
    const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), server_->port());
    held.front()->connect(ep);  // queued by the kernel; the server cannot accept it
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    const auto errors = server_->accept_errors();
    // Waits of 10, 20, 40, ... ms: a handful of attempts, not a busy loop of thousands.
    EXPECT_GE(errors, 1U);
    EXPECT_LE(errors, 12U);
    // A descriptor frees up: the queued connection is accepted and served.
    held.back().reset();
    beast::tcp_stream s(std::move(*held.front()));
    s.expires_after(std::chrono::seconds(5));
    EXPECT_EQ(Exchange(s, bhttp::verb::get, "/late").body(), "GET /late");
}

}  // namespace
}  // namespace pw::http
