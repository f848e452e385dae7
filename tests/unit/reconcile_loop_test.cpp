#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "log/log.hpp"
#include "planner/planner.hpp"
#include "reconcile/backoff.hpp"
#include "reconcile/loop.hpp"
#include "reconcile/status.hpp"
#include "status_json.hpp"
#include "support/fake_azure.hpp"
#include "support/run.hpp"

namespace pw::testing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

TEST(BackoffTest, ClassifiesTerminalAndTransientErrors) {
    using azure::ErrorKind;
    using reconcile::ErrorClass;
    EXPECT_EQ(reconcile::Classify(MakeError(ErrorKind::Server, 503, "ServerBusy")),
              ErrorClass::Transient);
    EXPECT_EQ(reconcile::Classify(MakeError(ErrorKind::Throttled, 429, "TooManyRequests")),
              ErrorClass::Transient);
    EXPECT_EQ(reconcile::Classify(MakeError(ErrorKind::Client, 412, "ConditionNotMet")),
              ErrorClass::Transient);
    EXPECT_EQ(reconcile::Classify(MakeError(ErrorKind::Client, 409, "PoolBeingDeleted")),
              ErrorClass::Transient);
    EXPECT_EQ(reconcile::Classify(MakeError(ErrorKind::Client, 400, "InvalidPropertyValue")),
              ErrorClass::Terminal);
    EXPECT_EQ(reconcile::Classify(MakeError(ErrorKind::Client, 409, "AccountCoreQuotaReached")),
              ErrorClass::Terminal);
    EXPECT_EQ(reconcile::Classify(MakeError(ErrorKind::Cancelled, 0, "")), ErrorClass::Cancelled);
}

TEST(BackoffTest, DoublesWithJitterUpToTheCapAndHonoursRetryAfter) {
    reconcile::BackoffPolicy p{5s, 600s};
    EXPECT_EQ(reconcile::BackoffDelay(p, 1, 1.0), 5s);
    EXPECT_EQ(reconcile::BackoffDelay(p, 2, 1.0), 10s);
    EXPECT_EQ(reconcile::BackoffDelay(p, 4, 1.0), 40s);
    EXPECT_EQ(reconcile::BackoffDelay(p, 4, 0.0), 20s) << "jitter keeps at least half";
    EXPECT_EQ(reconcile::BackoffDelay(p, 30, 1.0), 600s);
    EXPECT_EQ(reconcile::BackoffDelay(p, 1, 0.0, 90000ms), 90s);
}

TEST(LoopTest, NextDelayStaysWithinTenPercentAndRequeueWins) {
    EXPECT_EQ(reconcile::Loop::NextDelay(60s, 0.1, 0.0, {}), 54000ms);
    EXPECT_EQ(reconcile::Loop::NextDelay(60s, 0.1, 1.0, {}), 66000ms);
    EXPECT_EQ(reconcile::Loop::NextDelay(60s, 0.1, 0.5, {}), 60000ms);
    EXPECT_EQ(reconcile::Loop::NextDelay(60s, 0.1, 0.5, 15s), 15000ms);
}

TEST(LoopTest, TriggerRunsAPassAtOnceAndStopEndsTheLoop) {
    FakeAzure azure;
    azure.add_account(MakeAccount("eus"), "eastus");
    reconcile::StatusStore status;
    reconcile::Reconciler rec(
        azure, azure, status, {}, [](const auto&, const auto&, auto) { return model::Plan{}; }, 1);
    model::DesiredState desired;
    desired.accounts = {MakeAccount("eus")};
    reconcile::Loop loop(
        rec, [&] { return std::make_shared<const model::DesiredState>(desired); }, {3600s, 0.1}, 1);
    int passes = 0;
    loop.on_cycle([&](const reconcile::CycleReport&) { ++passes; });

    asio::io_context ctx;
    bool finished = false;
    asio::co_spawn(ctx, loop.run(), [&](std::exception_ptr) { finished = true; });
    asio::steady_timer t1(ctx, 50ms);
    t1.async_wait([&](auto) {
        EXPECT_EQ(passes, 1) << "first pass at start, then the hour-long interval";
        loop.trigger();
        loop.trigger();  // conflated
    });
    asio::steady_timer t2(ctx, 100ms);
    t2.async_wait([&](auto) {
        EXPECT_EQ(passes, 2);
        loop.stop();
    });
    ctx.run_for(5s);
    EXPECT_TRUE(finished);
    EXPECT_EQ(passes, 2);
    EXPECT_EQ(status.get()->last_cycle->id, 2u);
}

TEST(LoopTest, WhileReplicationRunsOnlyTheVersionIsPolledAndCompletionStartsAPass) {
    FakeAzure azure;
    azure.add_account(MakeAccount("eus"), "eastus");
    azure.add_version(kVersion140, "East US", 1);
    azure.add_image(kImageRender);
    reconcile::StatusStore status;
    reconcile::Reconciler rec(azure, azure, status, {}, planner::MakePlan, 1);
    model::DesiredState desired;
    desired.accounts = {MakeAccount("eus")};
    desired.pools = {MakePool("render", "eus", kVersion140, 2000, 1000)};
    // An hour-long interval and full passes every 30 s while waiting: only the watch polls
    // (every 100 ms here) can start a pass within the windows below.
    reconcile::Loop loop(
        rec, [&] { return std::make_shared<const model::DesiredState>(desired); },
        {3600s, 0.0, 100ms}, 1);
    std::vector<reconcile::CycleReport> passes;
    loop.on_cycle([&](const reconcile::CycleReport& r) { passes.push_back(r); });

    asio::io_context ctx;
    asio::co_spawn(ctx, loop.run(), asio::detached);
    ctx.run_for(500ms);
    ASSERT_EQ(passes.size(), 2u) << "the PATCH, then a pass as soon as a poll read the version";
    EXPECT_EQ(azure.count("PATCH version"), 1);
    EXPECT_TRUE(passes[1].waiting);
    EXPECT_EQ(passes[1].watch.versions.size(), 1u);
    EXPECT_TRUE(passes[1].watch.accounts.empty());

    azure.clear_calls();
    ctx.run_for(500ms);
    EXPECT_EQ(passes.size(), 2u) << "replication still running: no pass";
    EXPECT_GE(azure.count("GET version"), 3) << "the awaited version is polled";
    EXPECT_EQ(azure.count("LIST pools"), 0) << "nothing else is read";
    EXPECT_EQ(azure.count("GET image"), 0);

    azure.complete_replication();
    ctx.run_for(300ms);
    ASSERT_EQ(passes.size(), 3u) << "replication Completed: a full pass at the next poll";
    EXPECT_EQ(azure.count("POST pool"), 1);
    const auto& calls = azure.calls();
    auto first = [&](const std::string& prefix) {
        return std::find_if(calls.begin(), calls.end(),
                            [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
    };
    EXPECT_LT(first("LIST pools"), first("POST pool")) << "the pass re-observed before writing";
    EXPECT_EQ(passes[2].watch.accounts.count("eus"), 1u) << "the new pool is awaited next";
    EXPECT_EQ(azure.count("GET pool "), 0) << "its account's pool list is polled, no pool GET";

    loop.stop();
    ctx.run_for(1s);
}

TEST(LoopTest, StopLetsTheInFlightWriteFinishAndStartsNoOther) {
    FakeAzure azure;
    azure.add_account(MakeAccount("eus"), "eastus");
    azure.write_delay = 300ms;
    reconcile::StatusStore status;
    auto plan = [](const model::DesiredState& d, const model::ObservedState&, auto) {
        model::Plan p;
        for (const auto& spec : d.pools) {
            model::Action a;
            a.kind = model::ActionKind::CreatePool;
            a.account = spec.account;
            a.pool = spec.id;
            a.spec = spec;
            p.actions.push_back(a);
        }
        return p;
    };
    reconcile::Reconciler::Options options;
    options.concurrency = 1;
    reconcile::Reconciler rec(azure, azure, status, options, plan, 1);
    model::DesiredState desired;
    desired.accounts = {MakeAccount("eus")};
    for (const char* id : {"p1", "p2", "p3"})
        desired.pools.push_back(MakePool(id, "eus", kVersion140, 1));
    reconcile::Loop loop(
        rec, [&] { return std::make_shared<const model::DesiredState>(desired); }, {3600s, 0.1}, 1);
    std::optional<reconcile::CycleReport> report;
    loop.on_cycle([&](const reconcile::CycleReport& r) { report = r; });

    asio::io_context ctx;
    bool finished = false;
    asio::co_spawn(ctx, loop.run(), [&](std::exception_ptr) { finished = true; });
    asio::steady_timer t(ctx, 100ms);
    t.async_wait([&](auto) {
        EXPECT_EQ(azure.count("POST pool"), 1) << "one write in flight";
        loop.stop();
    });
    ctx.run_for(5s);
    EXPECT_TRUE(finished);
    EXPECT_EQ(azure.adds.size(), 1u) << "the in-flight write completed";
    EXPECT_EQ(azure.count("POST pool"), 1) << "no new write after stop";
    ASSERT_TRUE(report);
    ASSERT_EQ(report->outcomes.size(), 3u);
    EXPECT_EQ(report->outcomes[0].status, execute::Status::Succeeded);
    EXPECT_EQ(report->outcomes[1].status, execute::Status::NotStarted);
    EXPECT_EQ(report->outcomes[2].status, execute::Status::NotStarted);
}

TEST(LogTest, JsonLinesCarryFieldsAndEscapeText) {
    log::Setup(log::Format::Json, spdlog::level::info);
    ::testing::internal::CaptureStderr();
    log::Write(spdlog::level::info, "action \"quoted\"",
               {{"pool", "render"}, {"reason", "a\nb"}, {"empty", ""}});
    log::Write(spdlog::level::debug, "hidden");
    spdlog::info("plain {}", 1);
    auto out = ::testing::internal::GetCapturedStderr();
    log::Setup(log::Format::Text, spdlog::level::info);
    std::vector<nlohmann::json> lines;
    std::size_t start = 0;
    for (auto nl = out.find('\n'); nl != std::string::npos; nl = out.find('\n', start)) {
        lines.push_back(nlohmann::json::parse(out.substr(start, nl - start)));
        start = nl + 1;
    }
    ASSERT_EQ(lines.size(), 2u) << out;
    EXPECT_EQ(lines[0]["msg"], "action \"quoted\"");
    EXPECT_EQ(lines[0]["pool"], "render");
    EXPECT_EQ(lines[0]["reason"], "a\nb");
    EXPECT_EQ(lines[0]["level"], "info");
    EXPECT_FALSE(lines[0].contains("empty"));
    EXPECT_TRUE(lines[0].contains("ts"));
    EXPECT_EQ(lines[1]["msg"], "plain 1");
}

TEST(LogTest, RateLimiterPassesFirstAndCountsRepeats) {
    log::RateLimiter limiter(60s);
    auto t = std::chrono::steady_clock::time_point{} + 1h;
    int suppressed = -1;
    EXPECT_TRUE(limiter.admit("e", t, &suppressed));
    EXPECT_EQ(suppressed, 0);
    EXPECT_FALSE(limiter.admit("e", t + 1s));
    EXPECT_FALSE(limiter.admit("e", t + 59s));
    EXPECT_TRUE(limiter.admit("other", t + 2s));
    EXPECT_TRUE(limiter.admit("e", t + 61s, &suppressed));
    EXPECT_EQ(suppressed, 2);
}

TEST(LogTest, TextFormatQuotesValuesThatNeedIt) {
    EXPECT_EQ(
        log::FormatText("action", {{"pool", "render"}, {"reason", "grow 1 -> 2"}, {"empty", ""}}),
        "action pool=render reason=\"grow 1 -> 2\"");
}

TEST(StatusTest, JsonCarriesConditionsReplicasAndConfigErrors) {
    reconcile::StatusSnapshot s;
    reconcile::PoolStatus p;
    p.id = "render";
    p.account = "eus";
    p.conditions.push_back({"Ready", false, "NotCreated", "the pool does not exist yet", {}});
    p.findings.push_back({model::Severity::Error, "SpecializedImage", "eus", "render", "", "no"});
    s.pools.push_back(p);
    reconcile::ImageVersionStatus v;
    v.id = kVersion140;
    v.regions.push_back({"East US", 10, 1, "Replicating", 40});
    s.image_versions.push_back(v);
    s.config_files.push_back({"pools.d/bad.yaml", false, true, {"bad.yaml:3:1: x: y"}});
    auto j = reconcile::ToJson(s);
    EXPECT_EQ(j["pools"][0]["conditions"][0]["type"], "Ready");
    EXPECT_EQ(j["pools"][0]["conditions"][0]["status"], "False");
    EXPECT_EQ(j["pools"][0]["findings"][0]["code"], "SpecializedImage");
    EXPECT_EQ(j["imageVersions"][0]["regions"][0]["requiredReplicas"], 10);
    EXPECT_EQ(j["imageVersions"][0]["regions"][0]["currentReplicas"], 1);
    EXPECT_EQ(j["configFiles"][0]["usingLastGood"], true);
    EXPECT_FALSE(j.contains("lastCycle"));
}

}  // namespace
}  // namespace pw::testing
