#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>

#include "http/client.hpp"
#include "http/server.hpp"
#include "tls.hpp"

namespace pw::http {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using Outcome = pw::Result<ClientResponse, Failure>;

/// A server whose handler waits `delay` and answers 200 "ok" (or resets).
class ClientTest : public ::testing::Test {
  protected:
    void StartServer(ServerOptions options = {}) {
        server_ = std::make_unique<Server>(
            io_.get_executor(), std::move(options),
            [this](const Request& req) -> net::awaitable<Reply> {
                ++in_flight_;
                max_in_flight_ = std::max(max_in_flight_, in_flight_);
                if (delay_ > 0ms) {
                    net::steady_timer timer(co_await net::this_coro::executor, delay_);
                    co_await timer.async_wait(net::use_awaitable);
                }
                --in_flight_;
                ++handled_;
                Reply reply;
                reply.response.result(bhttp::status::ok);
                reply.response.version(req.version());
                reply.response.set(bhttp::field::content_type, "text/plain");
                reply.response.body() = "ok " + std::string(req.target());
                reply.response.keep_alive(req.keep_alive());
                reply.response.prepare_payload();
                if (reset_) reply.disposition = Disposition::kReset;
                co_return reply;
            });
        server_->Start();
    }
    std::string Url(const std::string& path = "/x", const std::string& host = "127.0.0.1",
                    const std::string& scheme = "http") {
        return scheme + "://" + host + ":" + std::to_string(server_->port()) + path;
    }
    Outcome Get(Client& client, const std::string& url, std::chrono::milliseconds timeout = 5s) {
        std::optional<Outcome> out;
        net::co_spawn(
            io_,
            [&]() -> net::awaitable<void> {
                ClientRequest req;
                req.url = url;
                req.timeout = timeout;
                out.emplace(co_await client.send(req));
            },
            net::detached);
        io_.restart();
        while (!out && io_.run_one() > 0) {
        }
        return std::move(*out);
    }

    net::io_context io_;
    std::unique_ptr<Server> server_;
    std::chrono::milliseconds delay_{0};
    bool reset_ = false;
    int in_flight_ = 0, max_in_flight_ = 0, handled_ = 0;
};

TEST_F(ClientTest, KeepAliveReusesOneConnection) {
    StartServer();
    Client client(io_.get_executor(), {});
    for (int i = 0; i < 5; ++i) {
        auto r = Get(client, Url("/n" + std::to_string(i)));
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, "ok /n" + std::to_string(i));
        EXPECT_EQ(r->header("content-type"), "text/plain");
    }
    EXPECT_EQ(client.connections_opened(), 1u);
    EXPECT_EQ(client.idle_connections("http://127.0.0.1:" + std::to_string(server_->port())), 1u);
}

TEST_F(ClientTest, ConnectionsPerHostAreBounded) {
    delay_ = 100ms;
    StartServer();
    ClientOptions options;
    options.max_connections_per_host = 2;
    options.max_idle_per_host = 1;
    Client client(io_.get_executor(), options);
    int ok = 0;
    for (int i = 0; i < 6; ++i) {
        net::co_spawn(
            io_,
            [&]() -> net::awaitable<void> {
                ClientRequest req;
                req.url = Url();
                auto r = co_await client.send(req);
                if (r && r->status == 200) ++ok;
            },
            net::detached);
    }
    const auto start = std::chrono::steady_clock::now();
    while (ok < 6 && std::chrono::steady_clock::now() - start < 5s) io_.run_one_for(100ms);
    EXPECT_EQ(ok, 6);
    EXPECT_EQ(max_in_flight_, 2);
    EXPECT_EQ(client.connections_opened(), 2u);
    EXPECT_EQ(client.idle_connections("http://127.0.0.1:" + std::to_string(server_->port())), 1u);
}

TEST_F(ClientTest, ASlowResponseTimesOut) {
    delay_ = 2s;
    StartServer();
    Client client(io_.get_executor(), {});
    const auto start = std::chrono::steady_clock::now();
    auto r = Get(client, Url(), 300ms);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, FailureKind::Timeout);
    EXPECT_TRUE(r.error().request_sent);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST_F(ClientTest, RefusedConnectionWasNeverSent) {
    StartServer();
    const auto port = server_->port();
    server_->Stop();
    server_.reset();
    io_.restart();
    io_.poll();
    Client client(io_.get_executor(), {});
    auto r = Get(client, "http://127.0.0.1:" + std::to_string(port) + "/");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, FailureKind::Network);
    EXPECT_FALSE(r.error().request_sent);
}

TEST_F(ClientTest, PlainHttpToARemoteHostIsRefusedBeforeAnyIo) {
    Client client(io_.get_executor(), {});
    auto r = Get(client, "http://management.azure.com/subscriptions");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, FailureKind::Refused);
    EXPECT_NE(r.error().message.find("only allowed to loopback"), std::string::npos);
    EXPECT_EQ(client.connections_opened(), 0u);
}

TEST_F(ClientTest, PlainHttpToImdsIsRefusedForOrdinaryRequests) {
    // An ARM or Batch URL pointing at the metadata address never gets a connection.
    Client client(io_.get_executor(), {});
    auto r = Get(client, "http://169.254.169.254/subscriptions/x?api-version=1", 300ms);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, FailureKind::Refused) << r.error().message;
    EXPECT_EQ(client.connections_opened(), 0u);
}

TEST_F(ClientTest, PlainHttpHostNamesMustResolveToLoopback) {
    StartServer();
    std::string answer = "192.0.2.10";  // TEST-NET-1: never reached
    ClientOptions options;
    options.resolver = [&](const std::string& host) {
        EXPECT_EQ(host, "localhost");
        return std::vector<net::ip::address>{net::ip::make_address(answer)};
    };
    Client client(io_.get_executor(), options);
    auto r = Get(client, Url("/x", "localhost"), 300ms);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, FailureKind::Refused) << r.error().message;
    EXPECT_NE(r.error().message.find("resolved to 192.0.2.10, not a loopback address"),
              std::string::npos)
        << r.error().message;
    EXPECT_FALSE(r.error().request_sent);
    EXPECT_EQ(client.connections_opened(), 0u);
    // One loopback and one remote address: still refused; loopback only: served.
    answer = "127.0.0.1";
    options.resolver = [&](const std::string&) {
        return std::vector<net::ip::address>{net::ip::make_address(answer),
                                             net::ip::make_address("192.0.2.10")};
    };
    Client mixed(io_.get_executor(), options);
    EXPECT_EQ(Get(mixed, Url("/x", "localhost"), 300ms).error().kind, FailureKind::Refused);
    auto ok = Get(client, Url("/x", "localhost"));
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->body, "ok /x");
}

TEST_F(ClientTest, AResetAfterTheRequestIsANetworkFailureThatMayHaveBeenSent) {
    reset_ = true;
    StartServer();
    Client client(io_.get_executor(), {});
    auto r = Get(client, Url());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, FailureKind::Network);
    EXPECT_TRUE(r.error().request_sent);
}

TEST_F(ClientTest, AKeepAliveConnectionTheServerClosedIsReplacedForAGet) {
    ServerOptions options;
    options.idle_timeout = 200ms;  // the server drops idle connections after 200 ms
    StartServer(options);
    Client client(io_.get_executor(), {});
    ASSERT_TRUE(Get(client, Url()));
    io_.restart();
    io_.run_for(500ms);
    auto r = Get(client, Url());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(ClientTest, ShutdownLetsAnExchangeInFlightFinishAndRefusesNewOnes) {
    delay_ = 300ms;
    StartServer();
    Client client(io_.get_executor(), {});
    std::optional<Outcome> first;
    net::co_spawn(
        io_,
        [&]() -> net::awaitable<void> {
            ClientRequest req;
            req.url = Url();
            first.emplace(co_await client.send(req));
        },
        net::detached);
    bool slept = true;
    net::co_spawn(
        io_,
        [&]() -> net::awaitable<void> {
            net::steady_timer timer(co_await net::this_coro::executor, 100ms);
            co_await timer.async_wait(net::use_awaitable);
            client.shutdown();
            slept = co_await client.stop_signal().sleep(10s);
        },
        net::detached);
    const auto start = std::chrono::steady_clock::now();
    while (!first && std::chrono::steady_clock::now() - start < 5s) io_.run_one_for(100ms);
    ASSERT_TRUE(first && first->ok());
    EXPECT_EQ((*first)->status, 200);
    io_.run_for(50ms);
    EXPECT_FALSE(slept);
    auto later = Get(client, Url());
    ASSERT_FALSE(later);
    EXPECT_EQ(later.error().kind, FailureKind::Cancelled);
    EXPECT_FALSE(later.error().request_sent);
}

class TlsClientTest : public ClientTest {
  protected:
    void SetUp() override {
        material_ = sim::GenerateTls();
        ca_file_ = std::filesystem::temp_directory_path() /
                   ("pw-h4-ca-" + std::to_string(::getpid()) + ".pem");
        std::ofstream(ca_file_) << material_.ca_cert_pem;
    }
    void TearDown() override { std::filesystem::remove(ca_file_); }
    void StartTls(const std::string& host = "127.0.0.1") {
        auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
        ctx->use_certificate_chain(net::buffer(material_.server_cert_pem + material_.ca_cert_pem));
        ctx->use_private_key(net::buffer(material_.server_key_pem), net::ssl::context::pem);
        ServerOptions options;
        options.host = host;
        options.tls = ctx;
        StartServer(options);
    }
    sim::TlsMaterial material_;
    std::filesystem::path ca_file_;
};

TEST_F(TlsClientTest, TrustedWithTheCaFile) {
    StartTls();
    ClientOptions options;
    options.ca_file = ca_file_.string();
    Client client(io_.get_executor(), options);
    auto r = Get(client, Url("/x", "127.0.0.1", "https"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "ok /x");
    auto by_name = Get(client, Url("/y", "localhost", "https"));
    ASSERT_TRUE(by_name) << by_name.error().message;
}

TEST_F(TlsClientTest, UntrustedCertificateFails) {
    StartTls();
    Client client(io_.get_executor(), {});
    auto r = Get(client, Url("/x", "127.0.0.1", "https"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, FailureKind::Network);
    EXPECT_FALSE(r.error().request_sent);
    EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
    EXPECT_EQ(handled_, 0);
}

TEST_F(TlsClientTest, HostnameMismatchFails) {
    StartTls("127.0.0.2");  // the certificate names 127.0.0.1 and localhost only
    ClientOptions options;
    options.ca_file = ca_file_.string();
    Client client(io_.get_executor(), options);
    auto r = Get(client, Url("/x", "127.0.0.2", "https"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, FailureKind::Network);
    EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
    EXPECT_EQ(handled_, 0);
}

TEST_F(TlsClientTest, AnUnreadableCaFileIsAStartupError) {
    ClientOptions options;
    options.ca_file = "/nonexistent/ca.pem";
    EXPECT_THROW(Client(io_.get_executor(), options), std::runtime_error);
}

}  // namespace
}  // namespace pw::http
