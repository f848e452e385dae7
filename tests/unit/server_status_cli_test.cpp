#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/cli.hpp"
#include "cli/doctor.hpp"
#include "server/observability.hpp"

namespace pw::server {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string kVersionId =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0";

int RunCli(std::vector<std::string> args, std::string* out, std::string* err) {
    args.insert(args.begin(), "poolwarden");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    int rc = cli::Main(static_cast<int>(argv.size()), argv.data());
    std::fflush(stdout);
    *out = ::testing::internal::GetCapturedStdout();
    *err = ::testing::internal::GetCapturedStderr();
    return rc;
}

/// A daemon's status endpoint, served from a background thread.
class StatusCliTest : public ::testing::Test {
  protected:
    void SetUp() override {
        daemon_.listen = "127.0.0.1:0";
        obs_ = std::make_unique<Observability>(daemon_,
                                               [] { return std::chrono::milliseconds(10000); });
        status_.update([](reconcile::StatusSnapshot& s) {
            reconcile::CycleSummary c;
            c.id = 7;
            s.last_cycle = c;
            reconcile::PoolStatus p;
            p.id = "render-linux";
            p.account = "render-eus";
            p.current_nodes = 1200;
            p.target_nodes = 3000;
            p.allocation_state = "resizing";
            p.desired_nodes = reconcile::PoolStatus::NodeCounts{2000, 1000};
            p.conditions = {{"Ready", false, "Resizing", "1200 of 3000 nodes", {}},
                            {"Progressing", true, "Resizing", "", {}},
                            {"Degraded", false, "AsExpected", "", {}}};
            p.last_action = reconcile::ActionRecord{"CreatePool", "r", "succeeded", {}};
            s.pools.push_back(p);
            reconcile::PoolStatus q;
            q.id = "legacy";
            q.account = "render-eus";
            q.conditions = {{"Ready", false, "NotCreated", "", {}},
                            {"Degraded", true, "SpecializedImage", "", {}}};
            q.findings.push_back({model::Severity::Error, "SpecializedImage", "render-eus",
                                  "legacy", "", "Batch accepts only Generalized images"});
            s.pools.push_back(q);
            reconcile::ImageVersionStatus v;
            v.id = kVersionId;
            v.regions.push_back({"eastus", 10, 4, "Replicating", 40});
            s.image_versions.push_back(v);
        });
        auto port = obs_->start(io_.get_executor(), status_);
        ASSERT_TRUE(port) << port.error();
        url_ = "http://127.0.0.1:" + std::to_string(*port);
        thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        if (obs_) obs_->stop();
        work_.reset();
        io_.stop();
        if (thread_.joinable()) thread_.join();
    }

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        io_.get_executor()};
    std::thread thread_;
    config::DaemonConfig daemon_;
    reconcile::StatusStore status_;
    std::unique_ptr<Observability> obs_;
    std::string url_;
};

TEST_F(StatusCliTest, PrintsPoolsAndImageVersionsAsTables) {
    std::string out, err;
    ASSERT_EQ(RunCli({"status", "--url", url_}, &out, &err), 0) << err;
    EXPECT_THAT(out, HasSubstr("last cycle #7"));
    EXPECT_THAT(out, HasSubstr("ACCOUNT     POOL          NODES      DESIRED    ALLOCATION  "
                               "CONDITION                   LAST ACTION\n"));
    EXPECT_THAT(out, HasSubstr("render-eus  render-linux  1200/3000  3000       resizing    "
                               "Progressing: Resizing       CreatePool succeeded ("));
    EXPECT_THAT(out, HasSubstr("render-eus  legacy        -          autoscale  -           "
                               "Degraded: SpecializedImage  -\n"));
    EXPECT_THAT(out, HasSubstr("studio/render/1.4.0  eastus  4/10      Replicating 40%  -\n"));
    EXPECT_THAT(out, HasSubstr("error render-eus/legacy: SpecializedImage: Batch accepts only "
                               "Generalized images"));
}

TEST_F(StatusCliTest, DoctorWarnsWhenARunningPoolwardenHoldsTheListenAddress) {
    const auto row = cli::ListenAddressCheck(url_.substr(std::string("http://").size()));
    EXPECT_EQ(row.status, cli::DoctorStatus::Warn) << row.message;
    EXPECT_THAT(row.message, HasSubstr("is held by a running poolwarden"));
    EXPECT_FALSE(row.fix.empty());
}

TEST_F(StatusCliTest, JsonOutputIsTheStatusDocument) {
    std::string out, err;
    ASSERT_EQ(RunCli({"status", "--url", url_ + "/", "--output", "json"}, &out, &err), 0) << err;
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["pools"][0]["id"], "render-linux");
    EXPECT_EQ(j["imageVersions"][0]["regions"][0]["requiredReplicas"], 10);
}

TEST(StatusCliUnreachableTest, ExitsNonZeroWithAClearMessage) {
    std::string out, err;
    EXPECT_EQ(RunCli({"status", "--url", "http://127.0.0.1:1", "--timeout", "2"}, &out, &err), 1);
    EXPECT_THAT(err, HasSubstr("poolwarden status: cannot reach poolwarden: GET "
                               "http://127.0.0.1:1/status: Connection refused"));
    EXPECT_EQ(out, "");
    EXPECT_EQ(RunCli({"status", "--url", "ftp://x"}, &out, &err), 1);
    EXPECT_THAT(err, HasSubstr("is not an http://host:port URL"));
}

}  // namespace
}  // namespace pw::server
