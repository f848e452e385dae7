#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "execute/execute.hpp"
#include "support/fake_azure.hpp"
#include "support/run.hpp"

namespace pw::testing {
namespace {

using namespace std::chrono_literals;
using model::ActionKind;

class ExecuteTest : public ::testing::Test {
  protected:
    void SetUp() override {
        azure.add_account(MakeAccount("eus"), "eastus");
        auto& v = azure.add_version(kVersion140, "East US", 1);
        v.target_regions.push_back({"West Europe", 2, "Standard_ZRS", ""});
        observed.accounts["eus"].endpoint = azure.account("eus")->info.endpoint;
        observed.accounts["eus"].location = "eastus";
    }
    std::vector<execute::Outcome> Execute(const std::vector<model::Action>& actions,
                                          const std::atomic<bool>* stop = nullptr) {
        return RunSync(executor.execute(actions, observed, stop));
    }

    FakeAzure azure;
    model::ObservedState observed;
    execute::Executor executor{azure, azure, {8}};
};

model::Action Replica(ActionKind kind, std::string region, int from, int to,
                      std::vector<model::TargetRegion> full) {
    model::Action a;
    a.kind = kind;
    a.image_version = kVersion140;
    a.region = std::move(region);
    a.from = from;
    a.to = to;
    a.target_regions = std::move(full);
    a.reason = "test";
    return a;
}

TEST_F(ExecuteTest, ReplicaActionsOnOneVersionBecomeOnePatchWithTheCompleteList) {
    std::vector<model::TargetRegion> base = {{"East US", 1, "Standard_LRS", ""},
                                             {"West Europe", 2, "Standard_ZRS", ""}};
    auto raise = base;
    raise[0].regional_replica_count = 10;
    auto add = base;
    add.push_back({"westus", 1, "Standard_LRS", ""});
    auto out = Execute({Replica(ActionKind::SetRegionalReplicas, "eastus", 1, 10, raise),
                        Replica(ActionKind::AddTargetRegion, "westus", 0, 4, add)});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].status, execute::Status::Succeeded);
    EXPECT_EQ(out[1].status, execute::Status::Succeeded);
    ASSERT_EQ(azure.count("PATCH version"), 1);
    const auto& sent = azure.region_patches.at(0);
    ASSERT_EQ(sent.size(), 3u);
    EXPECT_EQ(sent[0].name, "East US");
    EXPECT_EQ(sent[0].regional_replica_count, 10);
    EXPECT_EQ(sent[1].name, "West Europe");
    EXPECT_EQ(sent[1].regional_replica_count, 2);
    EXPECT_EQ(sent[1].storage_account_type, "Standard_ZRS") << "storage type is never changed";
    EXPECT_EQ(sent[2].name, "westus");
    EXPECT_EQ(sent[2].regional_replica_count, 4);
}

TEST_F(ExecuteTest, ARegionSomeoneElseAddedAfterTheObservationIsKept) {
    std::vector<model::TargetRegion> observed_list = {{"East US", 1, "Standard_LRS", ""},
                                                      {"West Europe", 2, "Standard_ZRS", ""}};
    auto raise = observed_list;
    raise[0].regional_replica_count = 10;
    // Between this cycle's GET and the PATCH another tool adds North Europe.
    azure.version(kVersion140)->target_regions.push_back({"North Europe", 3, "Premium_LRS", ""});
    auto out = Execute({Replica(ActionKind::SetRegionalReplicas, "eastus", 1, 10, raise)});
    ASSERT_EQ(out.at(0).status, execute::Status::Succeeded);
    ASSERT_EQ(azure.count("PATCH version"), 1);
    const auto& regions = azure.version(kVersion140)->target_regions;
    ASSERT_EQ(regions.size(), 3u) << "no region is removed";
    EXPECT_EQ(regions[0].regional_replica_count, 10);
    EXPECT_EQ(regions[1].regional_replica_count, 2);
    EXPECT_EQ(regions[2].name, "North Europe");
    EXPECT_EQ(regions[2].regional_replica_count, 3);
    EXPECT_EQ(regions[2].storage_account_type, "Premium_LRS");
}

TEST_F(ExecuteTest, OnlyTheActionsRunChangeTheirOwnRegions) {
    // The plan lowered East US (action held) and raised West Europe; both lists carry both.
    azure.version(kVersion140)->target_regions[0].regional_replica_count = 4;
    std::vector<model::TargetRegion> planned = {{"East US", 2, "Standard_LRS", ""},
                                                {"West Europe", 5, "Standard_ZRS", ""}};
    auto out = Execute({Replica(ActionKind::SetRegionalReplicas, "westeurope", 2, 5, planned)});
    ASSERT_EQ(out.at(0).status, execute::Status::Succeeded);
    const auto& sent = azure.region_patches.at(0);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].regional_replica_count, 4) << "East US's own lowering did not run";
    EXPECT_EQ(sent[1].regional_replica_count, 5);
}

TEST_F(ExecuteTest, ACountChangedSinceTheObservationIsNeverLowered) {
    // Planned 4 -> 2 (lowerReplicas); someone raised East US to 6 since: nothing is written.
    azure.version(kVersion140)->target_regions[0].regional_replica_count = 6;
    std::vector<model::TargetRegion> planned = {{"East US", 2, "Standard_LRS", ""},
                                                {"West Europe", 2, "Standard_ZRS", ""}};
    auto out = Execute({Replica(ActionKind::SetRegionalReplicas, "eastus", 4, 2, planned)});
    EXPECT_EQ(out.at(0).status, execute::Status::Succeeded);
    EXPECT_EQ(azure.count("GET version"), 1) << "re-read right before the write";
    EXPECT_EQ(azure.count("PATCH version"), 0) << "the version already holds the merged list";
    EXPECT_EQ(azure.version(kVersion140)->target_regions[0].regional_replica_count, 6);
}

TEST_F(ExecuteTest, AVersionThatIsUpdatingIsNotPatched) {
    azure.version(kVersion140)->provisioning_state = "Updating";
    std::vector<model::TargetRegion> planned = {{"East US", 3, "Standard_LRS", ""},
                                                {"West Europe", 2, "Standard_ZRS", ""}};
    auto out = Execute({Replica(ActionKind::SetRegionalReplicas, "eastus", 1, 3, planned)});
    ASSERT_EQ(out.at(0).status, execute::Status::Failed);
    EXPECT_EQ(out[0].error->code, "VersionBusy");
    EXPECT_EQ(azure.count("PATCH version"), 0);
}

TEST(MergeTargetRegionsTest, TableOfRegionChanges) {
    using R = model::TargetRegion;
    const std::vector<R> now = {{"East US", 4, "Standard_LRS", R"({"excludeFromLatest":true})"},
                                {"West Europe", 2, "Standard_ZRS", ""}};
    auto action = [](ActionKind kind, std::string region, std::optional<int> from, int to) {
        model::Action a;
        a.kind = kind;
        a.region = std::move(region);
        a.from = from;
        a.to = to;
        a.target_regions = {{"westus", 1, "Premium_LRS", ""}};
        return a;
    };
    struct Row {
        const char* name;
        model::Action a;
        std::vector<std::pair<std::string, int>> want;
    };
    const std::vector<Row> rows = {
        {"raise as observed",
         action(ActionKind::SetRegionalReplicas, "eastus", 4, 9),
         {{"East US", 9}, {"West Europe", 2}}},
        {"lower as observed",
         action(ActionKind::SetRegionalReplicas, "eastus", 4, 1),
         {{"East US", 1}, {"West Europe", 2}}},
        {"lower after a change: kept",
         action(ActionKind::SetRegionalReplicas, "eastus", 5, 1),
         {{"East US", 4}, {"West Europe", 2}}},
        {"raise after a change: max",
         action(ActionKind::SetRegionalReplicas, "eastus", 2, 3),
         {{"East US", 4}, {"West Europe", 2}}},
        {"raise past a change",
         action(ActionKind::SetRegionalReplicas, "eastus", 2, 7),
         {{"East US", 7}, {"West Europe", 2}}},
        {"region removed since: not re-added",
         action(ActionKind::SetRegionalReplicas, "northeurope", 1, 3),
         {{"East US", 4}, {"West Europe", 2}}},
        {"add",
         action(ActionKind::AddTargetRegion, "westus", std::nullopt, 3),
         {{"East US", 4}, {"West Europe", 2}, {"westus", 3}}},
        {"add of a region added since: max",
         action(ActionKind::AddTargetRegion, "westeurope", std::nullopt, 1),
         {{"East US", 4}, {"West Europe", 2}}},
    };
    for (const auto& row : rows) {
        auto out = execute::MergeTargetRegions(now, {&row.a});
        std::vector<std::pair<std::string, int>> got;
        for (const auto& r : out) got.emplace_back(r.name, r.regional_replica_count);
        EXPECT_EQ(got, row.want) << row.name;
        EXPECT_EQ(out[0].other_members, now[0].other_members) << row.name;
        EXPECT_EQ(out[1].storage_account_type, "Standard_ZRS") << row.name;
        if (out.size() == 3) {
            EXPECT_EQ(out[2].storage_account_type, "Premium_LRS") << row.name;
        }
    }
}

TEST_F(ExecuteTest, CreatePoolWritesOwnershipMarkerSpecHashAndResizeTimeout) {
    auto spec = MakePool("render", "eus", kVersion140, 2000, 1000);
    model::Action a;
    a.kind = ActionKind::CreatePool;
    a.account = "eus";
    a.pool = "render";
    a.resize_timeout = 45min;
    a.spec = spec;
    auto out = Execute({a});
    ASSERT_EQ(out.at(0).status, execute::Status::Succeeded);
    ASSERT_EQ(azure.adds.size(), 1u);
    const auto& req = azure.adds[0];
    EXPECT_EQ(req.resize_timeout, std::optional<model::Seconds>(45min));
    EXPECT_EQ(req.spec.metadata.at("poolwarden.io/managed-by"), "poolwarden");
    EXPECT_EQ(req.spec.metadata.at("poolwarden.io/spec-hash"), execute::SpecHash(spec));
    EXPECT_EQ(req.spec.metadata.at("team"), "vfx");
    auto* p = azure.pool("eus", "render");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->target_dedicated_nodes, 2000);
}

TEST_F(ExecuteTest, ResizeSendsIfMatchAndTimeoutAndReportsConflicts) {
    model::ObservedPool existing;
    existing.id = "render";
    auto& p = azure.add_pool("eusbatch", existing);
    model::Action a;
    a.kind = ActionKind::ResizePool;
    a.account = "eus";
    a.pool = "render";
    a.target_dedicated_nodes = 2500;
    a.target_low_priority_nodes = 0;
    a.resize_timeout = 45min;
    a.if_match = "stale-etag";
    auto out = Execute({a});
    ASSERT_EQ(out.at(0).status, execute::Status::Failed);
    EXPECT_EQ(out[0].error->http_status, 412);
    a.if_match = p.e_tag;
    out = Execute({a});
    ASSERT_EQ(out.at(0).status, execute::Status::Succeeded);
    EXPECT_EQ(azure.resizes.back().resize_timeout, 45min);
    EXPECT_EQ(azure.pool("eus", "render")->target_dedicated_nodes, 2500);
}

TEST_F(ExecuteTest, PatchKeepsTheOwnershipMarker) {
    model::ObservedPool existing;
    existing.id = "render";
    azure.add_pool("eusbatch", existing);
    model::Action a;
    a.kind = ActionKind::PatchPool;
    a.account = "eus";
    a.pool = "render";
    a.spec = MakePool("render", "eus", kVersion140, 10);
    auto out = Execute({a});
    ASSERT_EQ(out.at(0).status, execute::Status::Succeeded);
    ASSERT_TRUE(azure.patches.at(0).metadata);
    EXPECT_EQ(azure.patches[0].metadata->at("poolwarden.io/managed-by"), "poolwarden");
    EXPECT_EQ(azure.patches[0].metadata->at("team"), "vfx");
}

TEST_F(ExecuteTest, PatchSendsThePatchablePropertiesAndKeepsAHashWhenTold) {
    model::ObservedPool existing;
    existing.id = "render";
    azure.add_pool("eusbatch", existing);
    model::PropValue mode;
    mode.kind = model::PropValue::Kind::String;
    mode.text = "simplified";
    model::PropValue name = mode;
    name.text = "Render";
    model::Action a;
    a.kind = ActionKind::PatchPool;
    a.account = "eus";
    a.pool = "render";
    a.spec = MakePool("render", "eus", kVersion140, 10);
    a.spec->properties.members = {{"displayName", name}, {"targetNodeCommunicationMode", mode}};
    a.keep_spec_hash = "old";
    ASSERT_EQ(Execute({a}).at(0).status, execute::Status::Succeeded);
    // Only what PATCH may change in place (displayName is empty-only).
    ASSERT_EQ(azure.patches.at(0).properties.members.size(), 1u);
    EXPECT_EQ(azure.patches[0].properties.members[0].key, "targetNodeCommunicationMode");
    EXPECT_EQ(azure.patches[0].metadata->at("poolwarden.io/spec-hash"), "old");
    a.keep_spec_hash = "";
    ASSERT_EQ(Execute({a}).at(0).status, execute::Status::Succeeded);
    EXPECT_EQ(azure.patches.at(1).metadata->count("poolwarden.io/spec-hash"), 0u);
    a.keep_spec_hash.reset();
    ASSERT_EQ(Execute({a}).at(0).status, execute::Status::Succeeded);
    EXPECT_EQ(azure.patches.at(2).metadata->at("poolwarden.io/spec-hash"),
              execute::SpecHash(*a.spec));
    // The empty-only properties' secret digests: only ever the pool's own, never the spec's.
    a.spec->property_secret_digest = "new";
    ASSERT_EQ(Execute({a}).at(0).status, execute::Status::Succeeded);
    EXPECT_EQ(azure.patches.at(3).metadata->count(model::kPropertySecretDigestKey), 0u);
    a.keep_property_secret_digest = "old";
    ASSERT_EQ(Execute({a}).at(0).status, execute::Status::Succeeded);
    EXPECT_EQ(azure.patches.at(4).metadata->at(model::kPropertySecretDigestKey), "old");
    EXPECT_EQ(execute::OwnedMetadata(*a.spec).at(model::kPropertySecretDigestKey), "new")
        << "a create records the digests it was created with";
}

TEST_F(ExecuteTest, WaitForReplicationWritesNothingAndStopPreventsNewWrites) {
    model::Action wait;
    wait.kind = ActionKind::WaitForReplication;
    wait.image_version = kVersion140;
    auto spec = MakePool("render", "eus", kVersion140, 10);
    model::Action create;
    create.kind = ActionKind::CreatePool;
    create.account = "eus";
    create.pool = "render";
    create.spec = spec;
    std::atomic<bool> stop{true};
    auto out = Execute({wait, create}, &stop);
    EXPECT_EQ(out.at(0).status, execute::Status::Waiting);
    EXPECT_EQ(out.at(1).status, execute::Status::NotStarted);
    EXPECT_TRUE(azure.writes().empty());
}

TEST(SpecHashTest, StableAndSensitiveToEveryManagedField) {
    auto a = MakePool("render", "eus", kVersion140, 2000, 1000);
    auto b = a;
    b.source_file = "elsewhere.yaml";
    b.source_line = 99;
    EXPECT_EQ(execute::SpecHash(a), execute::SpecHash(b));
    EXPECT_EQ(execute::SpecHash(a).size(), 16u);
    auto c = a;
    c.fixed->target_low_priority_nodes = 1001;
    EXPECT_NE(execute::SpecHash(a), execute::SpecHash(c));
    auto d = a;
    d.start_task->command_line += " ";
    EXPECT_NE(execute::SpecHash(a), execute::SpecHash(d));
    auto e = a;
    e.metadata["team"] = "fx";
    EXPECT_NE(execute::SpecHash(a), execute::SpecHash(e));
}

// A BatchApi whose writes take time, to observe the concurrency bound.
class SlowBatch final : public azure::BatchApi {
  public:
    int in_flight = 0;
    int max_in_flight = 0;
    int adds = 0;
    boost::asio::awaitable<azure::Result<std::vector<model::ObservedPool>>> list_pools(
        const std::string&) override {
        co_return std::vector<model::ObservedPool>{};
    }
    boost::asio::awaitable<azure::Result<model::ObservedPool>> get_pool(
        const std::string&, const std::string&) override {
        co_return model::ObservedPool{};
    }
    boost::asio::awaitable<azure::Result<Unit>> add_pool(const std::string&,
                                                         const azure::PoolAddRequest&) override {
        max_in_flight = std::max(max_in_flight, ++in_flight);
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 5ms);
        co_await t.async_wait(boost::asio::use_awaitable);
        --in_flight;
        ++adds;
        co_return Unit{};
    }
    boost::asio::awaitable<azure::Result<Unit>> resize_pool(const std::string&, const std::string&,
                                                            const azure::PoolResizeRequest&,
                                                            const std::string&) override {
        co_return Unit{};
    }
    boost::asio::awaitable<azure::Result<model::NodeAgentSkuTable>> list_node_agent_skus(
        const std::string&) override {
        co_return model::NodeAgentSkuTable{};
    }
    boost::asio::awaitable<azure::Result<model::NodeCounts>> list_node_counts(
        const std::string&, const std::string&) override {
        co_return model::NodeCounts{};
    }
    boost::asio::awaitable<azure::Result<Unit>> stop_resize(const std::string&,
                                                            const std::string&) override {
        co_return Unit{};
    }
    boost::asio::awaitable<azure::Result<azure::AutoScaleRun>> evaluate_auto_scale(
        const std::string&, const std::string&, const model::AutoScale&) override {
        co_return azure::AutoScaleRun{};
    }
    boost::asio::awaitable<azure::Result<Unit>> enable_auto_scale(const std::string&,
                                                                  const std::string&,
                                                                  const model::AutoScale&,
                                                                  const std::string&) override {
        co_return Unit{};
    }
    boost::asio::awaitable<azure::Result<Unit>> disable_auto_scale(const std::string&,
                                                                   const std::string&) override {
        co_return Unit{};
    }
    boost::asio::awaitable<azure::Result<Unit>> delete_pool(const std::string&, const std::string&,
                                                            const std::string&) override {
        co_return Unit{};
    }
    boost::asio::awaitable<azure::Result<Unit>> patch_pool(const std::string&, const std::string&,
                                                           const azure::PoolPatchRequest&,
                                                           const std::string&) override {
        co_return Unit{};
    }
};

/// `n` pool creations p0..p{n-1} in account eus.
std::vector<model::Action> CreateActions(int n) {
    std::vector<model::Action> actions;
    for (int i = 0; i < n; ++i) {
        model::Action a;
        a.kind = ActionKind::CreatePool;
        a.account = "eus";
        a.pool = "p" + std::to_string(i);
        a.spec = MakePool(a.pool, "eus", kVersion140, 1);
        actions.push_back(a);
    }
    return actions;
}

TEST(ExecuteConcurrencyTest, AtMostConcurrencyWritesInFlight) {
    SlowBatch batch;
    FakeAzure arm;
    execute::Executor executor(batch, arm, {3});
    model::ObservedState observed;
    observed.accounts["eus"].endpoint = "https://x";
    const auto actions = CreateActions(10);
    auto out = RunSync(executor.execute(actions, observed));
    EXPECT_EQ(batch.adds, 10);
    EXPECT_EQ(batch.max_in_flight, 3);
    for (const auto& o : out) EXPECT_EQ(o.status, execute::Status::Succeeded);
}

TEST(ExecuteConcurrencyTest, AReloadedConcurrencyAppliesFromTheNextRun) {
    SlowBatch batch;
    FakeAzure arm;
    execute::Executor executor(batch, arm, {3});
    model::ObservedState observed;
    observed.accounts["eus"].endpoint = "https://x";
    const auto actions = CreateActions(6);
    executor.set_concurrency(1);
    (void)RunSync(executor.execute(actions, observed));
    EXPECT_EQ(batch.max_in_flight, 1);
    executor.set_concurrency(5);
    (void)RunSync(executor.execute(actions, observed));
    EXPECT_EQ(batch.max_in_flight, 5);
}

}  // namespace
}  // namespace pw::testing
