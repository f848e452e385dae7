#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>

#include "server/endpoints.hpp"

namespace pw::server {
namespace {

namespace bhttp = boost::beast::http;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

http::Request Req(bhttp::verb verb, std::string target) {
    http::Request r{verb, target, 11};
    r.set(bhttp::field::host, "127.0.0.1");
    return r;
}

/// A health source on a fake clock: started at t0, interval 10 s.
struct FakeHealth {
    SteadyTime t0 = SteadyTime(std::chrono::hours(1000));
    SteadyTime now = t0;
    std::optional<SteadyTime> last;
    std::chrono::milliseconds interval = 10s;

    HealthSource source() {
        HealthSource s;
        s.started = t0;
        s.now = [this] { return now; };
        s.last_cycle = [this] { return last; };
        s.interval = [this] { return interval; };
        return s;
    }
};

TEST(HealthTest, BeforeTheFirstCycleAllowsThreeIntervalsFromStart) {
    FakeHealth h;
    h.now = h.t0 + 30s;
    EXPECT_TRUE(CheckHealth(h.source()).ok);
    h.now = h.t0 + 30s + 1ms;
    auto health = CheckHealth(h.source());
    EXPECT_FALSE(health.ok);
    EXPECT_THAT(health.message, HasSubstr("no reconcile cycle finished yet"));
}

TEST(HealthTest, HealthyWhileACycleFinishedWithinThreeIntervals) {
    FakeHealth h;
    h.last = h.t0 + 100s;
    h.now = h.t0 + 130s;
    EXPECT_TRUE(CheckHealth(h.source()).ok);
    h.now = h.t0 + 131s;
    auto health = CheckHealth(h.source());
    EXPECT_FALSE(health.ok);
    EXPECT_THAT(health.message, HasSubstr("last reconcile cycle finished 31.0s ago (limit 30.0s)"));
    h.interval = 60s;  // a reload lengthened reconcile.interval
    EXPECT_TRUE(CheckHealth(h.source()).ok);
}

std::vector<ReadinessCheck> Checks(bool token_ok) {
    return {
        {"config", [] { return std::optional<std::string>(); }},
        {"token",
         [token_ok] {
             return token_ok ? std::optional<std::string>()
                             : std::optional<std::string>("no Entra ID token acquired yet");
         }},
        {"observation", [] { return std::optional<std::string>(); }},
    };
}

TEST(ReadinessTest, ListsEveryCheckAndFailsUntilAllPass) {
    auto r = CheckReadiness(Checks(false), {});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.body,
              "[+]config ok\n"
              "[-]token failed: no Entra ID token acquired yet\n"
              "[+]observation ok\n"
              "readyz check failed\n");
    r = CheckReadiness(Checks(true), {});
    EXPECT_TRUE(r.ok);
    EXPECT_THAT(r.body, HasSubstr("[+]token ok\n"));
    EXPECT_THAT(r.body, HasSubstr("readyz check passed\n"));
}

TEST(ReadinessTest, ExcludedChecksDoNotCount) {
    auto r = CheckReadiness(Checks(false), {"token"});
    EXPECT_TRUE(r.ok);
    EXPECT_THAT(r.body, HasSubstr("[+]token excluded: ok\n"));
}

class HandleTest : public ::testing::Test {
  protected:
    HandleTest() {
        sources_.metrics = [] { return std::string("poolwarden_build_info{version=\"x\"} 1\n"); };
        sources_.status = [] { return std::string("{\"pools\":[]}\n"); };
        sources_.health = health_.source();
        sources_.readiness = Checks(token_ok_);
        sources_.readiness[1].failure = [this] {
            return token_ok_ ? std::optional<std::string>()
                             : std::optional<std::string>("no Entra ID token acquired yet");
        };
    }
    FakeHealth health_;
    bool token_ok_ = false;
    Sources sources_;
};

TEST_F(HandleTest, MetricsInPrometheusTextFormat) {
    auto res = Handle(sources_, Req(bhttp::verb::get, "/metrics"));
    EXPECT_EQ(res.result(), bhttp::status::ok);
    EXPECT_EQ(res[bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(res.body(), "poolwarden_build_info{version=\"x\"} 1\n");
}

TEST_F(HandleTest, HeadHasTheGetStatusAndLengthButNoBody) {
    auto get = Handle(sources_, Req(bhttp::verb::get, "/metrics"));
    auto head = Handle(sources_, Req(bhttp::verb::head, "/metrics"));
    EXPECT_EQ(head.result(), bhttp::status::ok);
    EXPECT_EQ(head.body(), "");
    EXPECT_EQ(head[bhttp::field::content_length], std::to_string(get.body().size()));
    EXPECT_EQ(Handle(sources_, Req(bhttp::verb::head, "/readyz")).result(),
              bhttp::status::service_unavailable);
}

TEST_F(HandleTest, OtherMethodsAre405WithAllow) {
    for (auto verb : {bhttp::verb::post, bhttp::verb::put, bhttp::verb::delete_, bhttp::verb::patch,
                      bhttp::verb::options}) {
        auto res = Handle(sources_, Req(verb, "/metrics"));
        EXPECT_EQ(res.result(), bhttp::status::method_not_allowed) << bhttp::to_string(verb);
        EXPECT_EQ(res[bhttp::field::allow], "GET, HEAD");
    }
}

TEST_F(HandleTest, UnknownPathsAre404) {
    for (const char* target : {"/metricsx", "/metrics/", "/debug/pprof", "/status/pools"})
        EXPECT_EQ(Handle(sources_, Req(bhttp::verb::get, target)).result(),
                  bhttp::status::not_found)
            << target;
    EXPECT_EQ(Handle(sources_, Req(bhttp::verb::get, "/")).result(), bhttp::status::ok);
}

TEST_F(HandleTest, HealthzFollowsTheLoop) {
    health_.now = health_.t0 + 5s;
    EXPECT_EQ(Handle(sources_, Req(bhttp::verb::get, "/healthz")).result(), bhttp::status::ok);
    health_.now = health_.t0 + 31s;
    auto res = Handle(sources_, Req(bhttp::verb::get, "/healthz"));
    EXPECT_EQ(res.result(), bhttp::status::service_unavailable);
    EXPECT_THAT(res.body(), HasSubstr("unhealthy"));
    health_.last = health_.t0 + 30s;
    EXPECT_EQ(Handle(sources_, Req(bhttp::verb::get, "/healthz")).result(), bhttp::status::ok);
}

TEST_F(HandleTest, ReadyzWithExcludeQuery) {
    auto res = Handle(sources_, Req(bhttp::verb::get, "/readyz"));
    EXPECT_EQ(res.result(), bhttp::status::service_unavailable);
    EXPECT_THAT(res.body(), HasSubstr("[-]token failed: no Entra ID token acquired yet"));
    res = Handle(sources_, Req(bhttp::verb::get, "/readyz?exclude=token"));
    EXPECT_EQ(res.result(), bhttp::status::ok);
    EXPECT_THAT(res.body(), Not(HasSubstr("[-]")));
    res = Handle(sources_, Req(bhttp::verb::get, "/readyz?exclude=config&exclude=observation"));
    EXPECT_EQ(res.result(), bhttp::status::service_unavailable);
    token_ok_ = true;
    res = Handle(sources_, Req(bhttp::verb::get, "/readyz"));
    EXPECT_EQ(res.result(), bhttp::status::ok);
    EXPECT_THAT(res.body(), HasSubstr("readyz check passed"));
}

TEST_F(HandleTest, StatusIsJson) {
    auto res = Handle(sources_, Req(bhttp::verb::get, "/status"));
    EXPECT_EQ(res.result(), bhttp::status::ok);
    EXPECT_EQ(res[bhttp::field::content_type], "application/json");
    EXPECT_EQ(res.body(), "{\"pools\":[]}\n");
}

}  // namespace
}  // namespace pw::server
