#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
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

TEST_F(ServerTest, SlowClientIsCutOffByReadTimeout) {
    ServerOptions opts;
    opts.read_timeout = std::chrono::milliseconds(200);
    Start(opts);
    auto s = Connect();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_ANY_THROW(Exchange(s, bhttp::verb::get, "/late"));
}

}  // namespace
}  // namespace pw::http
