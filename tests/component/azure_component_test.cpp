#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "azure/arm_client.hpp"
#include "azure/batch_client.hpp"
#include "azure/stack.hpp"
#include "azure/token.hpp"
#include "azure/transport.hpp"
#include "model/latest.hpp"
#include "sim_fixture.hpp"

namespace pw::azure {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using simtest::Json;
using simtest::kClient;
using simtest::kSecret;
using simtest::kSub;
using simtest::kTenant;
using simtest::Send;
using simtest::SimProcess;

const std::string kVersionId = std::string("/subscriptions/") + kSub +
                               "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                               "studio/images/render/versions/1.4.0";
const std::string kImageId = std::string("/subscriptions/") + kSub +
                             "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                             "studio/images/render";

/// Counts what the clients report.
struct CountingObserver final : RequestObserver {
    int requests = 0, throttled = 0, retries = 0, token_ok = 0, token_failed = 0;
    std::map<std::string, long long> remaining;
    void on_request(std::string_view, std::string_view, int, std::chrono::milliseconds) override {
        ++requests;
    }
    void on_throttled(std::string_view, std::string_view,
                      std::optional<std::chrono::milliseconds>) override {
        ++throttled;
    }
    void on_retry(std::string_view, std::string_view, const Error&,
                  std::chrono::milliseconds) override {
        ++retries;
    }
    void on_ratelimit_remaining(std::string_view header, long long value) override {
        remaining[std::string(header)] = value;
    }
    void on_token_refresh(std::string_view, bool ok) override { ok ? ++token_ok : ++token_failed; }
};

/// Seconds of the day of a simulator log time (`2026-11-28T10:00:00.1234567Z`).
double LogSeconds(const Json& entry) {
    const std::string t = entry["time"];
    return std::stoi(t.substr(11, 2)) * 3600.0 + std::stoi(t.substr(14, 2)) * 60.0 +
           std::stod(t.substr(17, t.size() - 18));
}

class AzureComponentTest : public ::testing::Test {
  protected:
    explicit AzureComponentTest(std::vector<std::string> extra = {})
        : sim_(Args(std::move(extra))),
          base_("http://127.0.0.1:" + std::to_string(sim_.port()) + "/"),
          client_(io_.get_executor(), {}) {
        secret_file_ =
            std::filesystem::temp_directory_path() /
            ("pw-h4-secret-" + std::to_string(::getpid()) + "-" + std::to_string(sim_.port()));
        std::ofstream(secret_file_) << kSecret << "\n";
        cloud_.resource_manager = base_;
        cloud_.authority_host = base_;
        cloud_.imds_endpoint = base_ + "metadata/identity/oauth2/token";
        auth_.method = "clientSecret";
        auth_.tenant_id = kTenant;
        auth_.client_id = kClient;
        auth_.client_secret_file = secret_file_.string();
        retry_.max_attempts = 6;
        retry_.base_delay = 100ms;
        retry_.max_delay = 1s;
        retry_.max_retry_after = 5s;
        Build();
    }
    ~AzureComponentTest() override { std::filesystem::remove(secret_file_); }

    static std::vector<std::string> Args(std::vector<std::string> extra) {
        std::vector<std::string> args = {"--state", simtest::ExampleWorld(), "--seed",
                                         "7",       "--lro-retry-after",     "1"};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    /// (Re)builds tokens, transport and clients from cloud_/auth_/retry_.
    void Build(TokenCache::Clock clock = nullptr) {
        auto fetcher = MakeTokenFetcher(auth_, cloud_, client_, simtest_env_, &observer_, retry_);
        if (!fetcher) throw std::runtime_error(fetcher.error());
        tokens_ =
            std::make_unique<TokenCache>(std::move(fetcher).value(), std::move(clock), &observer_);
        transport_ = std::make_unique<Transport>(
            client_, *tokens_, limiter_,
            TransportOptions{
                .retry = retry_, .random01 = [] { return 0.5; }, .observer = &observer_});
        ArmClientOptions arm;
        arm.resource_manager = cloud_.resource_manager;
        arm.resource = cloud_.management_resource;
        arm.lro_poll_interval = 200ms;
        arm.lro_deadline = 20s;
        arm.deadline = deadline_;
        arm.attempt_timeout = attempt_timeout_;
        arm_ = std::make_unique<ArmClient>(*transport_, arm);
        BatchClientOptions batch;
        batch.plain_http_loopback = true;
        batch.deadline = deadline_;
        batch.attempt_timeout = attempt_timeout_;
        batch.page_size = page_size_;
        batch_ = std::make_unique<BatchClient>(*transport_, batch);
    }

    template <class T>
    T Run(net::awaitable<T> work) {
        std::optional<T> out;
        std::exception_ptr failure;
        net::co_spawn(
            io_,
            [&out, w = std::move(work)]() mutable -> net::awaitable<void> {
                out.emplace(co_await std::move(w));
            },
            [&failure](std::exception_ptr e) { failure = e; });
        io_.restart();
        io_.run();
        if (failure) std::rethrow_exception(failure);
        return std::move(*out);
    }

    std::string Endpoint() {
        auto info = Run(arm_->get_batch_account(Account()));
        if (!info) throw std::runtime_error(info.error().str());
        return info->endpoint;
    }
    static model::AccountSpec Account() {
        model::AccountSpec a;
        a.name = "render-eus";
        a.subscription_id = kSub;
        a.resource_group = "rg-batch";
        a.account_name = "renderbatch";
        return a;
    }
    static PoolAddRequest RenderPool(const std::string& id = "render-linux") {
        PoolAddRequest r;
        r.spec.id = id;
        r.spec.vm_size = "Standard_D4s_v3";
        r.spec.image = *model::ParseImageVersionId(kVersionId);
        r.spec.node_agent_sku_id = "batch.node.ubuntu 22.04";
        r.spec.fixed = model::FixedScale{4, 2};
        r.spec.task_slots_per_node = 4;
        model::StartTask task;
        task.command_line = "/bin/true";
        task.elevated = true;
        r.spec.start_task = task;
        r.spec.metadata = {{"team", "vfx"}, {model::kManagedByKey, model::kManagedByValue}};
        r.resize_timeout = 45min;
        return r;
    }

    Json Requests() { return Send(sim_.port(), "GET", "/_sim/requests").json()["requests"]; }
    /// Log entries (not admin) whose path contains `needle`.
    std::vector<Json> Matching(const std::string& method, const std::string& needle) {
        std::vector<Json> out;
        for (const auto& e : Requests())
            if (e["method"] == method &&
                e["path"].get<std::string>().find(needle) != std::string::npos)
                out.push_back(e);
        return out;
    }
    void ClearLog() { Send(sim_.port(), "DELETE", "/_sim/requests"); }
    void Faults(const Json& rules) {
        auto r = Send(sim_.port(), "PUT", "/_sim/faults", Json{{"rules", rules}}.dump());
        ASSERT_EQ(r.status, 200) << r.body;
    }
    /// Removes every fault after `delay`, while a call is running on io_.
    void ClearFaultsAfter(std::chrono::milliseconds delay) {
        net::co_spawn(
            io_,
            [this, delay]() -> net::awaitable<void> {
                net::steady_timer timer(io_, delay);
                co_await timer.async_wait(net::use_awaitable);
                http::ClientRequest req;
                req.method = boost::beast::http::verb::delete_;
                req.url = base_ + "_sim/faults";
                (void)co_await client_.send(req);
            },
            net::detached);
    }

    SimProcess sim_;
    std::string base_;
    net::io_context io_;
    http::Client client_;
    std::filesystem::path secret_file_;
    config::CloudEndpoints cloud_;
    config::AuthConfig auth_;
    RetryPolicy retry_;
    GetEnv simtest_env_ = [](const char*) { return std::string(); };
    std::chrono::milliseconds deadline_{20000};
    std::chrono::milliseconds attempt_timeout_{5000};
    int page_size_ = 1000;
    CountingObserver observer_;
    http::RateLimiter limiter_{DefaultRateLimit};
    std::unique_ptr<TokenCache> tokens_;
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<ArmClient> arm_;
    std::unique_ptr<BatchClient> batch_;
};

TEST_F(AzureComponentTest, BatchAccountImageAndVersion) {
    auto account = Run(arm_->get_batch_account(Account()));
    ASSERT_TRUE(account) << account.error().str();
    EXPECT_EQ(account->location, "eastus");
    EXPECT_EQ(account->endpoint, base_ + "batch/renderbatch");
    EXPECT_EQ(account->pool_allocation_mode, "BatchService");
    EXPECT_EQ(account->dedicated_core_quota, 20000);

    auto image = Run(arm_->get_image(kImageId));
    ASSERT_TRUE(image) << image.error().str();
    EXPECT_EQ(image->os_state, "Generalized");
    EXPECT_EQ(image->os_type, "Linux");

    auto version = Run(arm_->get_image_version(kVersionId));
    ASSERT_TRUE(version) << version.error().str();
    ASSERT_EQ(version->target_regions.size(), 1u);
    EXPECT_EQ(version->target_regions[0].name, "East US");
    EXPECT_EQ(version->target_regions[0].regional_replica_count, 1);
    EXPECT_EQ(version->target_regions[0].storage_account_type, "Standard_LRS");
    EXPECT_EQ(version->aggregated_state, "Completed");

    // One token per resource: the three ARM reads shared one ARM token.
    EXPECT_EQ(Matching("POST", "/oauth2/v2.0/token").size(), 1u);
    auto reads = Matching("GET", "/versions/1.4.0");
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_NE(reads[0]["path"].get<std::string>().find("$expand=ReplicationStatus"),
              std::string::npos);
    EXPECT_NE(reads[0]["path"].get<std::string>().find("api-version=2023-07-03"),
              std::string::npos);
    EXPECT_EQ(reads[0]["auth"], "bearer-arm");
}

TEST_F(AzureComponentTest, ManyConcurrentCallsShareOneTokenFetchAndReportArmQuota) {
    const auto endpoint = Endpoint();
    ClearLog();
    int ok = 0;
    for (int i = 0; i < 20; ++i) {
        net::co_spawn(
            io_,
            [&]() -> net::awaitable<void> {
                auto r = co_await batch_->list_pools(endpoint);
                if (r) ++ok;
            },
            net::detached);
    }
    io_.restart();
    io_.run();
    EXPECT_EQ(ok, 20);
    // One Batch token fetched for all twenty callers (the ARM one came before ClearLog).
    EXPECT_EQ(Matching("POST", "/oauth2/v2.0/token").size(), 1u);
    EXPECT_EQ(Matching("GET", "/batch/renderbatch/pools").size(), 20u);
    EXPECT_EQ(observer_.token_ok, 2);
    // ARM's remaining-quota header of the account GET was reported.
    EXPECT_EQ(observer_.remaining.count("subscription-reads"), 1u);
}

TEST_F(AzureComponentTest, ArmReadsOfOneSubscriptionAreRateLimited) {
    http::RateLimiter tight([](const std::string& key) {
        if (key.starts_with("arm-reads:")) return http::RateLimit{.rate_per_second = 5, .burst = 2};
        return http::RateLimit{.rate_per_second = 1000, .burst = 1000};
    });
    Transport transport(
        client_, *tokens_, tight,
        TransportOptions{.retry = retry_, .random01 = [] { return 0.5; }, .observer = &observer_});
    ArmClientOptions options;
    options.resource_manager = cloud_.resource_manager;
    ArmClient arm(transport, options);
    ASSERT_TRUE(Run(arm.get_image(kImageId)).ok());  // token fetched, bucket at 1
    ClearLog();
    int ok = 0;
    for (int i = 0; i < 6; ++i) {
        net::co_spawn(
            io_,
            [&]() -> net::awaitable<void> {
                if (co_await arm.get_image(kImageId)) ++ok;
            },
            net::detached);
    }
    io_.restart();
    io_.run();
    EXPECT_EQ(ok, 6);
    auto calls = Matching("GET", "/images/render?");
    ASSERT_EQ(calls.size(), 6u);
    // At most 2 tokens (the burst; 1 right after the first read, more if it was slow), then 5
    // per second: the sixth goes out at least 0.8 s after the first, however loaded the machine.
    EXPECT_GE(LogSeconds(calls.back()) - LogSeconds(calls.front()), 0.79);
}

TEST_F(AzureComponentTest, ArmRemainingReadsBelowTheClientsBucketSlowItDown) {
    const std::string key = std::string("arm-reads:") + kSub;
    // Default limits are ARM's own bucket: a read leaves the client in step with ARM.
    ASSERT_TRUE(Run(arm_->get_image(kImageId)).ok());
    EXPECT_DOUBLE_EQ(limiter_.rate(key), 25.0);

    // A client configured for more than ARM grants: ARM's x-ms-ratelimit-remaining-
    // subscription-reads (about 250) is far below its 1000 tokens: it halves its rate and
    // never holds more tokens than ARM says remain.
    config::LimitsConfig limits;
    limits.arm_reads = {1000, 100};
    http::RateLimiter limiter([limits](const std::string& k) { return RateLimitFor(limits, k); });
    Transport transport(
        client_, *tokens_, limiter,
        TransportOptions{.retry = retry_, .random01 = [] { return 0.5; }, .observer = &observer_});
    ArmClientOptions options;
    options.resource_manager = cloud_.resource_manager;
    ArmClient arm(transport, options);
    ASSERT_TRUE(Run(arm.get_image(kImageId)).ok());
    EXPECT_DOUBLE_EQ(limiter.rate(key), 50.0);
    ASSERT_TRUE(observer_.remaining.count("subscription-reads"));
    EXPECT_LE(observer_.remaining.at("subscription-reads"), 250);
}

TEST_F(AzureComponentTest, TargetRegionsPatchRunsTheLongRunningOperation) {
    // Replication completes (in simulated time) while the client polls.
    net::co_spawn(
        io_,
        [this]() -> net::awaitable<void> {
            net::steady_timer timer(io_, 1500ms);
            co_await timer.async_wait(net::use_awaitable);
            http::ClientRequest req;
            req.method = boost::beast::http::verb::post;
            req.url = base_ + "_sim/advance?seconds=7200";
            (void)co_await client_.send(req);
        },
        net::detached);
    auto updated = Run(arm_->update_target_regions(
        kVersionId, {{"East US", 10, "Standard_LRS", ""}, {"West Europe", 2, "Standard_ZRS", ""}}));
    ASSERT_TRUE(updated) << updated.error().str();
    auto east = updated->find_region("eastus");
    ASSERT_NE(east, nullptr);
    EXPECT_EQ(east->regional_replica_count, 10);
    EXPECT_EQ(east->storage_account_type, "Standard_LRS");

    auto patches = Matching("PATCH", "/versions/1.4.0");
    ASSERT_EQ(patches.size(), 1u);
    auto body = Json::parse(patches[0]["body"].get<std::string>());
    EXPECT_EQ(body["properties"]["publishingProfile"]["targetRegions"].size(), 2u);
    EXPECT_EQ(body["properties"]["publishingProfile"]["targetRegions"][0]["storageAccountType"],
              "Standard_LRS");
    EXPECT_FALSE(body["properties"]["publishingProfile"].contains("replicationMode"));
    // Polled the operation (Azure-AsyncOperation) after its Retry-After, then re-read.
    std::vector<Json> polls;
    for (const auto& e : Requests())
        if (e["method"] == "GET" &&
            e["path"].get<std::string>().find("perations/") != std::string::npos)
            polls.push_back(e);
    ASSERT_GE(polls.size(), 1u);
    EXPECT_GE(LogSeconds(polls[0]) - LogSeconds(patches[0]), 0.95);
    auto gets = Matching("GET", "/versions/1.4.0?");
    ASSERT_GE(gets.size(), 1u);
    EXPECT_GT(gets.back()["seq"].get<int>(), polls.back()["seq"].get<int>());
}

TEST_F(AzureComponentTest, OperationStillRunningAtTheLroDeadlineReturnsTheVersion) {
    ArmClientOptions options;
    options.resource_manager = cloud_.resource_manager;
    options.resource = cloud_.management_resource;
    options.lro_poll_interval = 200ms;
    options.lro_deadline = 1500ms;
    ArmClient arm(*transport_, options);
    const auto start = std::chrono::steady_clock::now();
    auto updated = Run(arm.update_target_regions(kVersionId, {{"East US", 3, "Standard_LRS", ""}}));
    ASSERT_TRUE(updated) << updated.error().str();
    EXPECT_EQ(updated->provisioning_state, "Updating");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    auto polls = Matching("GET", "/operations/");
    EXPECT_GE(polls.size(), 1u);
}

TEST_F(AzureComponentTest, PoolLifecycle) {
    const auto endpoint = Endpoint();
    auto empty = Run(batch_->list_pools(endpoint));
    ASSERT_TRUE(empty) << empty.error().str();
    EXPECT_TRUE(empty->empty());

    ASSERT_TRUE(Run(batch_->add_pool(endpoint, RenderPool())).ok());
    auto pool = Run(batch_->get_pool(endpoint, "render-linux"));
    ASSERT_TRUE(pool) << pool.error().str();
    EXPECT_EQ(pool->target_dedicated_nodes, 4);
    EXPECT_EQ(pool->target_low_priority_nodes, 2);
    EXPECT_EQ(pool->resize_timeout, std::chrono::seconds(45min));
    EXPECT_EQ(pool->metadata.at(model::kManagedByKey), model::kManagedByValue);
    EXPECT_EQ(pool->task_slots_per_node, 4);
    ASSERT_TRUE(pool->start_task);
    EXPECT_TRUE(pool->start_task->elevated);
    EXPECT_EQ(pool->virtual_machine_image_id, kVersionId);

    auto adds = Matching("POST", "/batch/renderbatch/pools?");
    ASSERT_EQ(adds.size(), 1u);
    EXPECT_EQ(adds[0]["status"], 201);
    EXPECT_EQ(adds[0]["clientRequestId"].get<std::string>().size(), 36u);

    // Adding again is idempotent for a pool poolwarden owns.
    EXPECT_TRUE(Run(batch_->add_pool(endpoint, RenderPool())).ok());

    // Wait for the initial allocation to settle, then resize with If-Match.
    Send(sim_.port(), "POST", "/_sim/advance?seconds=3600");
    pool = Run(batch_->get_pool(endpoint, "render-linux"));
    ASSERT_TRUE(pool);
    auto resized = Run(batch_->resize_pool(endpoint, "render-linux",
                                           {.target_dedicated_nodes = 8,
                                            .target_low_priority_nodes = 0,
                                            .resize_timeout = 15min,
                                            .node_deallocation_option = "requeue"},
                                           pool->e_tag));
    ASSERT_TRUE(resized) << resized.error().str();
    auto stopped = Run(batch_->stop_resize(endpoint, "render-linux"));
    ASSERT_TRUE(stopped) << stopped.error().str();

    // A stale eTag is refused with the Batch error code.
    auto stale = Run(batch_->resize_pool(endpoint, "render-linux",
                                         {.target_dedicated_nodes = 1,
                                          .target_low_priority_nodes = 0,
                                          .resize_timeout = 15min,
                                          .node_deallocation_option = ""},
                                         pool->e_tag));
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().kind, ErrorKind::Client);
    EXPECT_EQ(stale.error().http_status, 412);

    Send(sim_.port(), "POST", "/_sim/advance?seconds=3600");
    pool = Run(batch_->get_pool(endpoint, "render-linux"));
    ASSERT_TRUE(pool);
    // GET /pools/{id} carries the table-declared properties (the simulator fills Batch's
    // defaults, e.g. taskSchedulingPolicy).
    ASSERT_TRUE(pool->properties.has_value());
    EXPECT_NE(pool->properties->pool.find("taskSchedulingPolicy"), nullptr);
    auto patched = Run(
        batch_->patch_pool(endpoint, "render-linux",
                           {.start_task = std::nullopt,
                            .metadata =
                                std::map<std::string, std::string>{
                                    {"team", "fx"}, {model::kManagedByKey, model::kManagedByValue}},
                            .properties = {}},
                           pool->e_tag));
    ASSERT_TRUE(patched) << patched.error().str();
    pool = Run(batch_->get_pool(endpoint, "render-linux"));
    ASSERT_TRUE(pool);
    EXPECT_EQ(pool->metadata.at("team"), "fx");

    auto images = Run(batch_->list_supported_images(endpoint));
    ASSERT_TRUE(images) << images.error().str();
    EXPECT_FALSE(images->empty());

    ASSERT_TRUE(Run(batch_->delete_pool(endpoint, "render-linux")).ok());
    auto gone = Run(batch_->get_pool(endpoint, "render-linux"));
    if (gone) {
        EXPECT_EQ(gone->state, "deleting");
    } else {
        EXPECT_EQ(gone.error().http_status, 404);
    }
    auto missing = Run(batch_->get_pool(endpoint, "no-such-pool"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::Client);
    EXPECT_EQ(missing.error().code, "PoolNotFound");
}

TEST_F(AzureComponentTest, ListFollowsNextLinkWithSelect) {
    page_size_ = 2;
    Build();
    const auto endpoint = Endpoint();
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(Run(batch_->add_pool(endpoint, RenderPool("p" + std::to_string(i)))).ok());
    ClearLog();
    auto pools = Run(batch_->list_pools(endpoint));
    ASSERT_TRUE(pools) << pools.error().str();
    EXPECT_EQ(pools->size(), 5u);
    auto lists = Matching("GET", "/batch/renderbatch/pools?");
    ASSERT_EQ(lists.size(), 3u);
    EXPECT_NE(lists[0]["path"].get<std::string>().find("$select="), std::string::npos);
    EXPECT_NE(lists[0]["path"].get<std::string>().find("maxresults=2"), std::string::npos);
}

TEST_F(AzureComponentTest, VersionListFollowsNextLinkAndReportsExclusion) {
    Json world = Send(sim_.port(), "GET", "/_sim/state").json();
    world["model"]["listPageSize"] = 1;
    for (auto& g : world["galleries"])
        for (auto& img : g["images"])
            if (img["name"] == "render") {
                Json v = img["versions"][0];
                v["name"] = "1.10.0";
                v["properties"]["publishingProfile"]["excludeFromLatest"] = true;
                img["versions"].push_back(v);
                v["name"] = "1.9.0";
                v["properties"]["publishingProfile"]["excludeFromLatest"] = false;
                img["versions"].push_back(v);
            }
    ASSERT_EQ(Send(sim_.port(), "PUT", "/_sim/world", world.dump()).status, 200);
    ClearLog();
    auto versions = Run(arm_->list_image_versions(kImageId));
    ASSERT_TRUE(versions) << versions.error().str();
    std::vector<std::string> got;
    for (const auto& v : *versions)
        got.push_back(v.name + (v.exclude_from_latest ? " excluded" : "") + " " +
                      v.provisioning_state);
    EXPECT_THAT(got, ::testing::UnorderedElementsAre("1.4.0 Succeeded", "1.10.0 excluded Succeeded",
                                                     "1.9.0 Succeeded"));
    auto lists = Matching("GET", "/images/render/versions?");
    ASSERT_EQ(lists.size(), 3u) << "one page per version at listPageSize 1";
    EXPECT_NE(lists[2]["path"].get<std::string>().find("$skiptoken=2"), std::string::npos);
    EXPECT_EQ(model::ResolveLatestVersion(*versions), "1.9.0");
}

TEST_F(AzureComponentTest, AddOverAPoolNotOwnedIsPoolExists) {
    const auto endpoint = Endpoint();
    auto foreign = RenderPool();
    foreign.spec.metadata = {{"team", "other"}};
    ASSERT_TRUE(Run(batch_->add_pool(endpoint, foreign)).ok());
    auto again = Run(batch_->add_pool(endpoint, RenderPool()));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, ErrorKind::Client);
    EXPECT_EQ(again.error().code, "PoolExists");
    EXPECT_NE(again.error().message.find("not managed by poolwarden"), std::string::npos);
}

TEST_F(AzureComponentTest, ThrottlingStormHonoursRetryAfter) {
    const auto endpoint = Endpoint();
    ClearLog();
    Faults(Json::array({{{"method", "GET"},
                         {"path", "^/batch/renderbatch/pools$"},
                         {"status", 429},
                         {"retryAfter", 1}}}));
    ClearFaultsAfter(2500ms);
    auto pools = Run(batch_->list_pools(endpoint));
    ASSERT_TRUE(pools) << pools.error().str();
    auto calls = Matching("GET", "/batch/renderbatch/pools");
    ASSERT_GE(calls.size(), 3u);
    for (std::size_t i = 0; i + 1 < calls.size(); ++i) {
        EXPECT_EQ(calls[i]["status"], 429);
        EXPECT_GE(LogSeconds(calls[i + 1]) - LogSeconds(calls[i]), 0.95) << "Retry-After: 1";
    }
    EXPECT_EQ(calls.back()["status"], 200);
    EXPECT_GE(observer_.throttled, 2);
}

TEST_F(AzureComponentTest, ServerErrorsAreRetriedWithBackoff) {
    ClearLog();
    Faults(Json::array({{{"path", "/versions/1.4.0$"}, {"status", 500}}}));
    ClearFaultsAfter(700ms);
    auto version = Run(arm_->get_image_version(kVersionId));
    ASSERT_TRUE(version) << version.error().str();
    auto calls = Matching("GET", "/versions/1.4.0");
    ASSERT_GE(calls.size(), 2u);
    EXPECT_EQ(calls.front()["status"], 500);
    EXPECT_EQ(calls.back()["status"], 200);
    // random01 = 0.5: waits of 50, 100, 200, 400 ms between attempts.
    for (std::size_t i = 0; i + 1 < calls.size(); ++i)
        EXPECT_GE(LogSeconds(calls[i + 1]) - LogSeconds(calls[i]), 0.045 * (1 << i));
}

TEST_F(AzureComponentTest, PersistentServiceUnavailableEndsWithinTheDeadline) {
    deadline_ = 3s;
    Build();
    const auto endpoint = Endpoint();
    ClearLog();
    Faults(Json::array({{{"path", "^/batch/renderbatch/pools/render-linux$"},
                         {"status", 503},
                         {"retryAfter", 1}}}));
    const auto start = std::chrono::steady_clock::now();
    auto pool = Run(batch_->get_pool(endpoint, "render-linux"));
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(pool);
    EXPECT_EQ(pool.error().kind, ErrorKind::Throttled);  // Batch's 503 ServerBusy
    EXPECT_EQ(pool.error().http_status, 503);
    EXPECT_EQ(pool.error().code, "ServerBusy");
    EXPECT_LE(took, 3s);
    EXPECT_EQ(Matching("GET", "/pools/render-linux").size(), 3u);  // t=0, 1 s, 2 s
}

TEST_F(AzureComponentTest, NonIdempotentPostIsNotRetriedAfterItWasSent) {
    const auto endpoint = Endpoint();
    ClearLog();
    Faults(Json::array({{{"path", "/stopresize$"}, {"status", 500}}}));
    auto stopped = Run(batch_->stop_resize(endpoint, "render-linux"));
    ASSERT_FALSE(stopped);
    EXPECT_EQ(stopped.error().kind, ErrorKind::Server);
    EXPECT_EQ(Matching("POST", "/stopresize").size(), 1u);
}

TEST_F(AzureComponentTest, ConnectionResetsAreRetried) {
    ClearLog();
    Faults(Json::array({{{"path", "batchAccounts/renderbatch$"}, {"action", "reset"}}}));
    ClearFaultsAfter(400ms);
    auto account = Run(arm_->get_batch_account(Account()));
    ASSERT_TRUE(account) << account.error().str();
    auto calls = Matching("GET", "batchAccounts/renderbatch");
    ASSERT_GE(calls.size(), 2u);
    EXPECT_EQ(calls.front()["fault"], "reset");
    EXPECT_EQ(calls.back()["status"], 200);
}

TEST_F(AzureComponentTest, PoolAddRetriedAfterAResetCreatesThePoolOnce) {
    const auto endpoint = Endpoint();
    ClearLog();
    Faults(Json::array(
        {{{"method", "POST"}, {"path", "^/batch/renderbatch/pools$"}, {"action", "reset"}}}));
    ClearFaultsAfter(300ms);
    auto added = Run(batch_->add_pool(endpoint, RenderPool()));
    ASSERT_TRUE(added) << added.error().str();
    auto adds = Matching("POST", "/batch/renderbatch/pools?");
    ASSERT_GE(adds.size(), 2u);
    // Every attempt carried the same client-request-id.
    for (const auto& a : adds) EXPECT_EQ(a["clientRequestId"], adds[0]["clientRequestId"]);
    EXPECT_EQ(adds.back()["status"], 201);
}

TEST_F(AzureComponentTest, SlowResponsesTimeOutOrSucceedWithinTheirDeadline) {
    deadline_ = 2500ms;
    attempt_timeout_ = 1s;
    Build();
    ClearLog();
    Faults(Json::array({{{"path", "/images/render$"}, {"latencyMs", 300}}}));
    auto image = Run(arm_->get_image(kImageId));
    ASSERT_TRUE(image) << image.error().str();

    Faults(Json::array({{{"path", "/images/render$"}, {"latencyMs", 3000}}}));
    const auto start = std::chrono::steady_clock::now();
    auto slow = Run(arm_->get_image(kImageId));
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(slow);
    EXPECT_EQ(slow.error().kind, ErrorKind::Timeout);
    EXPECT_LT(took, 3s);
    EXPECT_GE(took, 2s);
}

class ShortTokenTest : public AzureComponentTest {
  protected:
    ShortTokenTest() : AzureComponentTest({"--token-lifetime", "2"}) {}
};

TEST_F(ShortTokenTest, ATokenExpiringMidRunIsRefreshedOnce) {
    // The cache's clock stands still, so it keeps using a token the service sees expire.
    const auto frozen = std::chrono::system_clock::now();
    Build([frozen] { return frozen; });
    ASSERT_TRUE(Run(arm_->get_image(kImageId)).ok());
    std::this_thread::sleep_for(2500ms);
    ClearLog();
    auto image = Run(arm_->get_image(kImageId));
    ASSERT_TRUE(image) << image.error().str();
    auto log = Requests();
    ASSERT_EQ(log.size(), 3u) << log.dump();
    EXPECT_EQ(log[0]["status"], 401);
    EXPECT_NE(log[1]["path"].get<std::string>().find("/oauth2/v2.0/token"), std::string::npos);
    EXPECT_EQ(log[2]["status"], 200);
}

TEST_F(AzureComponentTest, SecretsAndTokensNeverReachTheLog) {
    std::ostringstream captured;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::trace);

    const auto endpoint = Endpoint();
    ASSERT_TRUE(Run(batch_->add_pool(endpoint, RenderPool())).ok());
    ASSERT_TRUE(Run(batch_->list_pools(endpoint)).ok());
    auto batch_token = Run(tokens_->token("https://batch.core.windows.net/", false));
    auto arm_token = Run(tokens_->token(cloud_.management_resource, false));
    ASSERT_TRUE(batch_token && arm_token);
    // A failing exchange too: a wrong secret.
    std::ofstream(secret_file_) << "wrong-secret-value-123\n";
    Build();
    auto failed = Run(arm_->get_image(kImageId));
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().kind, ErrorKind::Auth);
    EXPECT_NE(failed.error().message.find("AADSTS7000215"), std::string::npos);

    spdlog::set_default_logger(previous);
    const std::string text = captured.str() + failed.error().str();
    EXPECT_NE(text.find("token for"), std::string::npos) << "trace logging was captured";
    EXPECT_EQ(text.find(kSecret), std::string::npos);
    EXPECT_EQ(text.find("wrong-secret-value-123"), std::string::npos);
    EXPECT_EQ(text.find(*batch_token), std::string::npos);
    EXPECT_EQ(text.find(*arm_token), std::string::npos);
    EXPECT_EQ(text.find("Bearer "), std::string::npos);
}

TEST_F(AzureComponentTest, StackFromTheDaemonConfig) {
    config::DaemonConfig daemon;
    daemon.cloud = cloud_;
    daemon.auth = auth_;
    auto stack = AzureStack::Create(io_.get_executor(), daemon, &observer_);
    ASSERT_TRUE(stack) << stack.error();
    auto account = Run((*stack)->arm().get_batch_account(Account()));
    ASSERT_TRUE(account) << account.error().str();
    EXPECT_EQ(account->endpoint, base_ + "batch/renderbatch");
    auto pools = Run((*stack)->batch().list_pools(account->endpoint));
    ASSERT_TRUE(pools) << pools.error().str();
    // Scheme-less endpoints from ARM get http:// here only because ARM itself is on loopback.
    EXPECT_TRUE(Run((*stack)->batch().list_pools("127.0.0.1:" + std::to_string(sim_.port()) +
                                                 "/batch/renderbatch"))
                    .ok());
    (*stack)->shutdown();
    auto after = Run((*stack)->arm().get_image(kImageId));
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().kind, ErrorKind::Cancelled);

    daemon.auth.method = "sharedKey";
    auto refused = AzureStack::Create(io_.get_executor(), daemon);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("Entra ID"), std::string::npos);
    daemon.auth = auth_;
    daemon.tls.ca_file = "/nonexistent/ca.pem";
    auto bad_ca = AzureStack::Create(io_.get_executor(), daemon);
    ASSERT_FALSE(bad_ca);
    EXPECT_NE(bad_ca.error().find("tls.caFile"), std::string::npos);
}

TEST_F(AzureComponentTest, CancellingTheCallerEndsARetryWait) {
    ASSERT_TRUE(Run(arm_->get_image(kImageId)).ok());
    Faults(Json::array({{{"path", "/images/render$"}, {"status", 429}, {"retryAfter", 4}}}));
    net::cancellation_signal signal;
    std::optional<Result<model::ObservedImage>> out;
    net::co_spawn(
        io_, [&]() -> net::awaitable<void> { out.emplace(co_await arm_->get_image(kImageId)); },
        net::bind_cancellation_slot(signal.slot(), net::detached));
    net::steady_timer timer(io_, 300ms);
    timer.async_wait(
        [&](boost::system::error_code) { signal.emit(net::cancellation_type::terminal); });
    const auto start = std::chrono::steady_clock::now();
    io_.restart();
    io_.run();
    ASSERT_TRUE(out);
    ASSERT_FALSE(*out);
    EXPECT_EQ(out->error().kind, ErrorKind::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(AzureComponentTest, ManagedIdentityViaImds) {
    auth_.method = "managedIdentity";
    auth_.client_id = "55555555-5555-5555-5555-555555555555";
    Build();
    auto image = Run(arm_->get_image(kImageId));
    ASSERT_TRUE(image) << image.error().str();
    auto imds = Matching("GET", "/metadata/identity/oauth2/token");
    ASSERT_EQ(imds.size(), 1u);
    EXPECT_NE(imds[0]["path"].get<std::string>().find("api-version=2018-02-01"), std::string::npos);
    EXPECT_NE(imds[0]["path"].get<std::string>().find("client_id=5555"), std::string::npos);
    EXPECT_EQ(imds[0]["status"], 200);
}

TEST_F(AzureComponentTest, WorkloadIdentityRereadsTheFederatedTokenFile) {
    auto file = secret_file_.string() + ".jwt";
    // base64url of {"alg":"none"} . {"sub":"system:serviceaccount:pw:pw"} . sig
    std::ofstream(file)
        << "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6cHc6cHcifQ.c2ln";
    auth_.method = "workloadIdentity";
    auth_.federated_token_file = file;
    Build();
    ASSERT_TRUE(Run(arm_->get_image(kImageId)).ok());
    std::filesystem::remove(file);  // rotated away: the next fetch must read it again and fail
    auto again = Run(tokens_->token("https://batch.core.windows.net/", false));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, ErrorKind::Auth);
    EXPECT_NE(again.error().message.find("federated token file"), std::string::npos);
}

}  // namespace
}  // namespace pw::azure
