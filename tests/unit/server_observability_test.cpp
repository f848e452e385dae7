#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/http_get.hpp"
#include "server/observability.hpp"

namespace pw::server {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(ParseListenTest, AcceptsNumericHostsAndPorts) {
    EXPECT_EQ(*ParseListen("127.0.0.1:9464"), std::pair(std::string("127.0.0.1"), uint16_t{9464}));
    EXPECT_EQ(*ParseListen("[::1]:0"), std::pair(std::string("::1"), uint16_t{0}));
    EXPECT_EQ(*ParseListen("localhost:80"), std::pair(std::string("127.0.0.1"), uint16_t{80}));
    EXPECT_FALSE(ParseListen("127.0.0.1"));
    EXPECT_FALSE(ParseListen("127.0.0.1:65536"));
    EXPECT_FALSE(ParseListen(":9464"));
    EXPECT_THAT(ParseListen("metrics.example:9464").error(), HasSubstr("not a numeric IP"));
}

/// The Observability object served on a background io_context thread, as the daemon runs it.
class ObservabilityTest : public ::testing::Test {
  protected:
    void Start(std::string listen = "127.0.0.1:0") {
        daemon_.listen = std::move(listen);
        obs_ = std::make_unique<Observability>(daemon_, [this] { return interval_.load(); });
        auto port = obs_->start(io_.get_executor(), status_);
        ASSERT_TRUE(port) << port.error();
        base_ = "http://127.0.0.1:" + std::to_string(*port);
        thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        if (obs_) obs_->stop();
        work_.reset();
        io_.stop();
        if (thread_.joinable()) thread_.join();
    }
    GetResponse Get(const std::string& path) {
        auto r = HttpGet(base_ + path, 5s);
        EXPECT_TRUE(r) << r.error();
        return r ? *r : GetResponse{};
    }

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        io_.get_executor()};
    std::thread thread_;
    config::DaemonConfig daemon_;
    std::atomic<std::chrono::milliseconds> interval_{10s};
    reconcile::StatusStore status_;
    std::unique_ptr<Observability> obs_;
    std::string base_;
};

/// A loopback port bound (and listened on) by the test while it lives.
struct HeldPort {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor{io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
};

TEST_F(ObservabilityTest, RebindMovesTheListenerOrKeepsTheOldOneWhenTheNewBindFails) {
    Start();
    auto rebind = [this](const std::string& listen, int max_connections = 64) {
        std::promise<Result<std::uint16_t, std::string>> done;
        boost::asio::post(io_, [&] { done.set_value(obs_->rebind(listen, max_connections)); });
        return done.get_future().get();
    };
    const std::string old_base = base_;
    std::uint16_t free_port = 0;
    {
        HeldPort free;
        free_port = free.port();
    }
    auto moved = rebind("127.0.0.1:" + std::to_string(free_port));
    ASSERT_TRUE(moved) << moved.error();
    EXPECT_EQ(*moved, free_port);
    base_ = "http://127.0.0.1:" + std::to_string(free_port);
    EXPECT_EQ(Get("/healthz").status, 200);
    EXPECT_FALSE(HttpGet(old_base + "/healthz", 2s)) << "the old listener is closed";

    HeldPort taken;
    auto failed = rebind("127.0.0.1:" + std::to_string(taken.port()));
    ASSERT_FALSE(failed);
    EXPECT_THAT(failed.error(), HasSubstr(std::to_string(taken.port())));
    EXPECT_EQ(Get("/healthz").status, 200) << "the listener in force keeps serving";

    auto same = rebind("localhost:" + std::to_string(free_port));
    ASSERT_TRUE(same) << "the address in force, spelled differently: nothing to bind";
    EXPECT_EQ(Get("/healthz").status, 200);

    // A reload that only lowers listen.maxConnections applies it to the listener in force.
    ASSERT_TRUE(rebind("127.0.0.1:" + std::to_string(free_port), 1));
    {
        boost::asio::io_context client;
        boost::asio::ip::tcp::socket held(client);
        held.connect({boost::asio::ip::make_address("127.0.0.1"), free_port});
        std::this_thread::sleep_for(200ms);  // the server accepts it and counts it
        EXPECT_FALSE(HttpGet(base_ + "/healthz", 2s)) << "a second connection over the cap";
    }
    bool served = false;
    for (int i = 0; i < 50 && !served; ++i) {
        auto r = HttpGet(base_ + "/healthz", 2s);
        served = r && r->status == 200;
        if (!served) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(served) << "served again once the held connection is closed";
}

TEST_F(ObservabilityTest, ReadyOnlyAfterConfigTokenAndAFullObservation) {
    Start();
    auto r = Get("/readyz");
    EXPECT_EQ(r.status, 503);
    EXPECT_THAT(r.body, HasSubstr("[-]config failed: no configuration loaded yet"));
    EXPECT_THAT(r.body, HasSubstr("[-]token failed: no Entra ID token acquired yet"));
    EXPECT_THAT(r.body, HasSubstr("[-]observation failed: no reconcile cycle finished yet"));

    obs_->config_loaded(true);
    obs_->observer().on_token_refresh(daemon_.cloud.batch_resource, false);
    r = Get("/readyz");
    EXPECT_THAT(r.body, HasSubstr("[+]config ok"));
    EXPECT_THAT(r.body, HasSubstr("1 failed attempt(s)"));

    obs_->observer().on_token_refresh(daemon_.cloud.batch_resource, true);
    reconcile::CycleReport partial;
    partial.incomplete = true;
    partial.observation.accounts["render-eus"].complete = false;
    partial.observation.accounts["render-eus"].error = "403 AuthorizationFailed";
    obs_->cycle_finished(partial);
    r = Get("/readyz");
    EXPECT_EQ(r.status, 503);
    EXPECT_THAT(r.body, HasSubstr("[+]token ok"));
    EXPECT_THAT(r.body, HasSubstr("[-]observation failed: no complete observation yet (accounts "
                                  "not observed: render-eus)"));
    EXPECT_EQ(Get("/readyz?exclude=observation").status, 200);

    reconcile::CycleReport full;
    full.observation.accounts["render-eus"].complete = true;
    obs_->cycle_finished(full);
    r = Get("/readyz");
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.body, HasSubstr("readyz check passed"));
}

TEST_F(ObservabilityTest, HealthzTurnsUnhealthyWhenTheLoopStalls) {
    interval_ = 100ms;
    Start();
    EXPECT_EQ(Get("/healthz").status, 200);  // within 3 intervals of start
    std::this_thread::sleep_for(350ms);
    auto r = Get("/healthz");
    EXPECT_EQ(r.status, 503);
    EXPECT_THAT(r.body, HasSubstr("no reconcile cycle finished yet"));
    obs_->cycle_finished(reconcile::CycleReport{});
    EXPECT_EQ(Get("/healthz").status, 200);
    std::this_thread::sleep_for(350ms);
    EXPECT_EQ(Get("/healthz").status, 503);
    interval_ = 10s;  // a reload lengthened the interval
    EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(ObservabilityTest, MetricsAndStatusReflectTheStatusStore) {
    Start();
    status_.update([](reconcile::StatusSnapshot& s) {
        reconcile::PoolStatus p;
        p.id = "render-linux";
        p.account = "render-eus";
        p.desired_nodes = reconcile::PoolStatus::NodeCounts{3000, 0};
        s.pools.push_back(p);
        reconcile::ImageVersionStatus v;
        v.id =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/"
            "images/i/versions/1.4.0";
        v.regions.push_back({"East US", 10, 1, "Replicating", 40});
        s.image_versions.push_back(v);
    });
    obs_->config_loaded(true);
    auto m = Get("/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_THAT(m.body, HasSubstr("# HELP poolwarden_build_info"));
    EXPECT_THAT(m.body, HasSubstr("poolwarden_pool_nodes{account=\"render-eus\",kind=\"dedicated\","
                                  "pool=\"render-linux\",state=\"desired\"} 3000"));
    EXPECT_THAT(m.body, HasSubstr("kind=\"required\",region=\"eastus\"} 10"));
    EXPECT_THAT(m.body, HasSubstr("poolwarden_config_reloads_total{result=\"success\"} 1"));

    auto s = Get("/status");
    EXPECT_EQ(s.status, 200);
    EXPECT_EQ(s.content_type, "application/json");
    auto j = nlohmann::json::parse(s.body);
    EXPECT_EQ(j["pools"][0]["id"], "render-linux");
    EXPECT_EQ(j["pools"][0]["nodes"]["desired"]["dedicated"], 3000);
    EXPECT_EQ(j["imageVersions"][0]["regions"][0]["requiredReplicas"], 10);

    EXPECT_EQ(Get("/nope").status, 404);
}

/// One raw HTTP/1.1 GET to 127.0.0.1:`port`: the response as parsed, and whether it was chunked.
std::pair<boost::beast::http::response<boost::beast::http::string_body>, bool> RawGet(
    std::uint16_t port, const std::string& target) {
    namespace beast = boost::beast;
    namespace bhttp = beast::http;
    boost::asio::io_context io;
    beast::tcp_stream s(io);
    s.expires_after(10s);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    bhttp::write(s, req);
    beast::flat_buffer buf;
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(256U * 1024U * 1024U);
    bhttp::read(s, buf, p);
    const bool chunked = p.chunked();
    return {p.release(), chunked};
}

TEST_F(ObservabilityTest, LargeMetricsAndStatusAreStreamedAndSameAsTheWholeText) {
    Start();
    status_.update([](reconcile::StatusSnapshot& s) {
        for (int i = 0; i < 3000; ++i) {
            reconcile::PoolStatus p;
            p.id = "pool-" + std::to_string(i);
            p.account = "acct-" + std::to_string(i % 10);
            p.conditions = {{"Ready", true, "Converged", "2 nodes", {}},
                            {"Progressing", false, "Stable", "", {}},
                            {"Degraded", false, "AsExpected", "", {}}};
            p.allocation_state = "steady";
            p.observed_target = p.observed_current = reconcile::PoolStatus::NodeCounts{2, 0};
            p.target_nodes = p.current_nodes = 2;
            s.pools.push_back(std::move(p));
        }
    });
    obs_->config_loaded(true);
    const auto port = static_cast<std::uint16_t>(std::stoi(base_.substr(base_.rfind(':') + 1)));
    auto [metrics, metrics_chunked] = RawGet(port, "/metrics");
    EXPECT_EQ(metrics.result_int(), 200);
    EXPECT_TRUE(metrics_chunked);
    EXPECT_EQ(metrics[boost::beast::http::field::content_type],
              "text/plain; version=0.0.4; charset=utf-8");
    // The whole text, as one string from the pools set on the registry.
    UpdateMetrics(*status_.get(), obs_->metrics());
    const auto whole_metrics = obs_->metrics().serialize();
    EXPECT_GT(whole_metrics.size(), 1000000U);
    EXPECT_TRUE(metrics.body() == whole_metrics);

    auto [status, status_chunked] = RawGet(port, "/status");
    EXPECT_EQ(status.result_int(), 200);
    EXPECT_TRUE(status_chunked);
    EXPECT_EQ(status[boost::beast::http::field::content_type], "application/json");
    EXPECT_TRUE(status.body() == reconcile::RenderStatus(*status_.get()));
    EXPECT_EQ(nlohmann::json::parse(status.body())["pools"].size(), 3000U);
}

TEST_F(ObservabilityTest, BindFailureIsAClearError) {
    Start();
    config::DaemonConfig other;
    other.listen = base_.substr(std::string("http://").size());
    Observability second(other, [] { return std::chrono::milliseconds(10000); });
    auto port = second.start(io_.get_executor(), status_);
    ASSERT_FALSE(port);
    EXPECT_THAT(port.error(), HasSubstr("listen " + other.listen));
}

/// True when the server closes the connection on `fd` within `within` (EOF or reset).
bool ClosedByServer(int fd, std::chrono::milliseconds within) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(within.count())) != 1) return false;
    char byte = 0;
    const auto n = recv(fd, &byte, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

TEST_F(ObservabilityTest, ConnectionsBeyondListenMaxConnectionsAreClosedAtOnce) {
    daemon_.listen_max_connections = 2;
    Start();
    const auto port = static_cast<std::uint16_t>(std::stoi(base_.substr(base_.rfind(':') + 1)));
    boost::asio::io_context client_io;
    const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> idle;
    for (int i = 0; i < 2; ++i) {
        idle.push_back(std::make_unique<boost::asio::ip::tcp::socket>(client_io));
        idle.back()->connect(ep);
    }
    std::this_thread::sleep_for(200ms);  // both accepted and waiting for a request
    boost::asio::ip::tcp::socket extra(client_io);
    extra.connect(ep);
    EXPECT_TRUE(ClosedByServer(extra.native_handle(), 2s)) << "idle timeout is 10 s";
    EXPECT_FALSE(HttpGet(base_ + "/healthz", 2s)) << "no room while two connections are open";
    idle.front()->close();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(Get("/healthz").status, 200);
}

TEST(HttpGetTest, UnreachableAndMalformedUrlsAreClearErrors) {
    auto r = HttpGet("http://127.0.0.1:1/status", 2s);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error(), HasSubstr("GET http://127.0.0.1:1/status: "));
    r = HttpGet("not a url", 1s);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error(), HasSubstr("is not an http://host:port URL"));
}

}  // namespace
}  // namespace pw::server
