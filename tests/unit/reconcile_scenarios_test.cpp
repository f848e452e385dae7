// Component tests of the whole pass (observe -> real planner -> filter -> execute) against the
// in-memory FakeAzure: the end-to-end scenarios without a network.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>

#include "planner/planner.hpp"
#include "reconcile/reconciler.hpp"
#include "support/fake_azure.hpp"
#include "support/run.hpp"

namespace pw::testing {
namespace {

using namespace std::chrono_literals;

/// Pool `render` as another tool made it (no poolwarden metadata), with `nodes` nodes.
model::ObservedPool PoolMadeElsewhere(int nodes) {
    model::ObservedPool pool;
    pool.id = "render";
    pool.vm_size = "Standard_D4s_v3";
    pool.virtual_machine_image_id = kVersion140;
    pool.node_agent_sku_id = "batch.node.ubuntu 22.04";
    pool.task_slots_per_node = 4;
    pool.target_dedicated_nodes = pool.current_dedicated_nodes = nodes;
    return pool;
}
using reconcile::CycleReport;

class ScenarioTest : public ::testing::Test {
  protected:
    void SetUp() override {
        azure.add_account(MakeAccount("eus"), "eastus");
        azure.add_version(kVersion140, "East US", 1);
        azure.add_image(kImageRender);
        desired.accounts = {MakeAccount("eus")};
    }
    reconcile::Reconciler& R() {
        if (!rec) {
            options.clock = [this] { return mono; };
            rec = std::make_unique<reconcile::Reconciler>(azure, azure, status, options,
                                                          planner::MakePlan, 42);
        }
        return *rec;
    }
    /// Both clocks move forward by `advance` (a test may step the wall clock on its own).
    CycleReport Cycle(std::chrono::seconds advance = 60s) {
        now += advance;
        mono += advance;
        azure.clear_calls();
        return RunSync(R().reconcile_once(desired, now));
    }
    void Restart() { rec.reset(); }
    /// Runs cycles (completing replication and resizes in between) until one writes nothing.
    int Converge(int max_cycles = 10) {
        for (int i = 0; i < max_cycles; ++i) {
            auto r = Cycle();
            if (r.converged()) return i + 1;
            azure.finish_updates();
            azure.complete_replication();
            azure.finish_resizes();
        }
        return -1;
    }
    const reconcile::PoolStatus* PoolStatus(const std::string& id) {
        snapshot = status.get();
        return snapshot->pool(id);
    }
    static int IndexOf(const std::vector<std::string>& calls, const std::string& prefix) {
        for (std::size_t i = 0; i < calls.size(); ++i)
            if (calls[i].rfind(prefix, 0) == 0) return static_cast<int>(i);
        return -1;
    }

    FakeAzure azure;
    reconcile::StatusStore status;
    std::shared_ptr<const reconcile::StatusSnapshot> snapshot;
    model::DesiredState desired;
    reconcile::Reconciler::Options options;
    std::unique_ptr<reconcile::Reconciler> rec;
    reconcile::TimePoint now{std::chrono::hours(1000)};
    std::chrono::steady_clock::time_point mono{std::chrono::hours(5)};
    std::vector<std::string> all_writes;
};

TEST_F(ScenarioTest, FixedPoolOf3000FromEmpty) {
    desired.pools = {MakePool("render-linux", "eus", kVersion140, 2000, 1000)};

    auto r = Cycle();
    EXPECT_EQ(azure.writes(),
              std::vector<std::string>{"PATCH version " + std::string(kVersion140)});
    EXPECT_EQ(azure.version(kVersion140)->target_regions.at(0).regional_replica_count, 10);
    EXPECT_TRUE(r.waiting);
    ASSERT_TRUE(r.requeue_after);
    EXPECT_LT(*r.requeue_after, 60s);
    auto* ps = PoolStatus("render-linux");
    ASSERT_NE(ps, nullptr);
    EXPECT_EQ(ps->condition("Progressing")->reason, "WaitingForReplication");
    EXPECT_FALSE(ps->condition("Ready")->status);
    const auto* vs = snapshot->image_version(kVersion140);
    ASSERT_NE(vs, nullptr);
    ASSERT_EQ(vs->regions.size(), 1u);
    EXPECT_EQ(vs->regions[0].required, 10);
    EXPECT_EQ(vs->regions[0].current, 1) << "status shows what was observed before the write";

    r = Cycle();
    EXPECT_TRUE(azure.writes().empty()) << "replication in progress: wait, write nothing";
    EXPECT_EQ(PoolStatus("render-linux")->condition("Progressing")->reason,
              "WaitingForReplication");
    EXPECT_EQ(snapshot->image_version(kVersion140)->regions[0].replication_state, "Replicating");

    azure.complete_replication();
    r = Cycle();
    ASSERT_EQ(azure.writes(), std::vector<std::string>{"POST pool eusbatch/render-linux"});
    EXPECT_EQ(azure.adds.at(0).resize_timeout, std::optional<model::Seconds>(45min));
    EXPECT_EQ(azure.pool("eus", "render-linux")->metadata.at(model::kManagedByKey), "poolwarden");

    r = Cycle();
    EXPECT_TRUE(azure.writes().empty()) << "pool resizing";
    EXPECT_EQ(PoolStatus("render-linux")->condition("Progressing")->reason, "Resizing");

    azure.finish_resizes();
    for (int i = 0; i < 3; ++i) {
        r = Cycle();
        EXPECT_TRUE(azure.writes().empty()) << "steady state: zero writes per cycle";
        EXPECT_TRUE(r.converged());
        EXPECT_EQ(azure.count("LIST pools"), 1);
        EXPECT_EQ(azure.count("GET version"), 1);
    }
    ps = PoolStatus("render-linux");
    EXPECT_TRUE(ps->condition("Ready")->status);
    EXPECT_FALSE(ps->condition("Degraded")->status);
    EXPECT_EQ(ps->current_nodes, 3000);
    EXPECT_EQ(azure.adds.size(), 1u) << "no duplicate creates";
}

TEST_F(ScenarioTest, StatusIsEditedInPlaceButNeverUnderAReader) {
    desired.pools = {MakePool("render-linux", "eus", kVersion140, 2, 0)};
    ASSERT_GT(Converge(), 0);
    snapshot.reset();
    auto ready = [](const std::shared_ptr<const reconcile::StatusSnapshot>& s) {
        return *s->pool("render-linux")->condition("Ready");
    };
    ASSERT_TRUE(ready(status.get()).status);
    const auto since = ready(status.get()).since;

    // A reader (a /status being sent) holds the snapshot through a pass: it never changes.
    auto held = status.get();
    const auto held_cycle = held->last_cycle->id;
    const auto held_updated = held->updated;
    Cycle();
    EXPECT_EQ(held->last_cycle->id, held_cycle);
    EXPECT_EQ(held->updated, held_updated);
    EXPECT_GT(status.get()->last_cycle->id, held_cycle);

    // Nobody holds it: the pass edits it in place (no second snapshot), condition times stay.
    const auto* address = held.get();
    held.reset();
    address = status.get().get();
    Cycle();
    EXPECT_EQ(status.get().get(), address);
    EXPECT_EQ(ready(status.get()).since, since);
    EXPECT_EQ(status.get()->updated, now);

    // A pool added in front: the list is built anew, the other pool keeps its condition times
    // (its Degraded=False; Ready may change while the version grows for the new pool).
    const auto degraded_since = status.get()->pool("render-linux")->condition("Degraded")->since;
    desired.pools.insert(desired.pools.begin(), MakePool("render-two", "eus", kVersion140, 1, 0));
    Cycle();
    ASSERT_EQ(status.get()->pools.size(), 2U);
    EXPECT_EQ(status.get()->pools[0].id, "render-two");
    EXPECT_EQ(status.get()->pool("render-linux")->condition("Degraded")->since, degraded_since);
    EXPECT_FALSE(status.get()->pool("render-linux")->condition("Degraded")->status);
    EXPECT_EQ(status.get()->pools[0].condition("Ready")->reason, "NotCreated");
}

TEST_F(ScenarioTest, HugeObservedNodeCountsSaturateInStatus) {
    desired.pools = {MakePool("render-linux", "eus", kVersion140, 20, 10)};
    ASSERT_GT(Converge(), 0);
    // Batch reports each count as an int32; their sums must not wrap around.
    auto* pool = azure.pool("eus", "render-linux");
    ASSERT_NE(pool, nullptr);
    pool->target_dedicated_nodes = pool->current_dedicated_nodes = INT_MAX;
    pool->target_low_priority_nodes = pool->current_low_priority_nodes = INT_MAX;
    Cycle();
    const auto* ps = PoolStatus("render-linux");
    ASSERT_NE(ps, nullptr);
    EXPECT_EQ(ps->target_nodes, INT_MAX);
    EXPECT_EQ(ps->current_nodes, INT_MAX);
    ASSERT_TRUE(ps->observed_target);
    EXPECT_EQ(ps->observed_target->dedicated, INT_MAX);
}

TEST_F(ScenarioTest, TwoPoolsSharingAVersionSumTheirReplicas) {
    desired.pools = {MakePool("a", "eus", kVersion140, 1500),
                     MakePool("b", "eus", kVersion140, 1200, 300)};
    auto r = Cycle();
    EXPECT_EQ(azure.count("PATCH version"), 1);
    EXPECT_EQ(azure.version(kVersion140)->target_regions.at(0).regional_replica_count, 10);
    EXPECT_GT(Converge(), 0);
    EXPECT_EQ(azure.adds.size(), 2u);
}

TEST_F(ScenarioTest, OneVersionUsedFromTwoRegionsAddsTheRegionAndSizesEach) {
    azure.add_account(MakeAccount("weu"), "westeurope");
    desired.accounts.push_back(MakeAccount("weu"));
    desired.pools = {MakePool("east", "eus", kVersion140, 600),
                     MakePool("west", "weu", kVersion140, 900)};
    (void)Cycle();
    ASSERT_EQ(azure.count("PATCH version"), 1) << "one PATCH carries both regions";
    const auto& regions = azure.version(kVersion140)->target_regions;
    ASSERT_EQ(regions.size(), 2u);
    EXPECT_EQ(regions[0].regional_replica_count, 2);
    EXPECT_EQ(model::NormalizeRegion(regions[1].name), "westeurope");
    EXPECT_EQ(regions[1].regional_replica_count, 3);
    EXPECT_EQ(regions[1].storage_account_type, "Standard_LRS");
    EXPECT_GT(Converge(), 0);
    EXPECT_NE(azure.pool("weu", "west"), nullptr);
    EXPECT_NE(azure.pool("eus", "east"), nullptr);
}

TEST_F(ScenarioTest, AutoscalePoolIsSizedForMaxNodesAndGetsNoResizeTimeout) {
    desired.pools = {MakeAutoPool("auto", "eus", kVersion140, 1200)};
    (void)Cycle();
    EXPECT_EQ(azure.version(kVersion140)->target_regions.at(0).regional_replica_count, 4);
    EXPECT_GT(Converge(), 0);
    ASSERT_EQ(azure.adds.size(), 1u);
    EXPECT_FALSE(azure.adds[0].resize_timeout);
    EXPECT_TRUE(azure.pool("eus", "auto")->enable_auto_scale);
}

TEST_F(ScenarioTest, GrowthRaisesReplicasBeforeTheResize) {
    desired.pools = {MakePool("render", "eus", kVersion140, 500)};
    EXPECT_GT(Converge(), 0);
    desired.pools[0].fixed->target_dedicated_nodes = 2500;

    std::vector<std::string> writes;
    for (int i = 0; i < 6; ++i) {
        (void)Cycle();
        for (const auto& w : azure.writes()) writes.push_back(w);
        azure.complete_replication();
        azure.finish_resizes();
    }
    int patch = IndexOf(writes, "PATCH version");
    int resize = IndexOf(writes, "POST resize");
    ASSERT_GE(patch, 0);
    ASSERT_GE(resize, 0);
    EXPECT_LT(patch, resize);
    EXPECT_EQ(azure.version(kVersion140)->target_regions[0].regional_replica_count, 9);
    EXPECT_EQ(azure.resizes.back().resize_timeout, 45min);
    EXPECT_EQ(azure.resizes.back().target_dedicated_nodes, 2500);
    EXPECT_EQ(azure.resizes.size(), 1u);
}

TEST_F(ScenarioTest, ShrinkDoesNotWaitForReplicas) {
    desired.pools = {MakePool("render", "eus", kVersion140, 2500)};
    EXPECT_GT(Converge(), 0);
    desired.pools[0].fixed->target_dedicated_nodes = 500;
    azure.version(kVersion140)->summary[0].state = "Replicating";  // would block a grow
    (void)Cycle();
    EXPECT_EQ(azure.writes(), std::vector<std::string>{"POST resize eusbatch/render"});
    EXPECT_EQ(azure.resizes.back().resize_timeout, 15min);
    EXPECT_EQ(azure.version(kVersion140)->target_regions[0].regional_replica_count, 9)
        << "replicas are not lowered without lowerReplicas";
}

TEST_F(ScenarioTest, SpecializedImageIsRefusedWithAFinding) {
    azure.add_image(kImageRender, "Linux", "Specialized");
    desired.pools = {MakePool("render", "eus", kVersion140, 100)};
    for (int i = 0; i < 3; ++i) {
        auto r = Cycle();
        EXPECT_TRUE(azure.writes().empty());
        EXPECT_FALSE(r.ok());
    }
    const auto* ps = PoolStatus("render");
    EXPECT_TRUE(ps->condition("Degraded")->status);
    EXPECT_EQ(ps->condition("Degraded")->reason, "SpecializedImage");
    EXPECT_FALSE(ps->condition("Ready")->status);
    ASSERT_FALSE(ps->findings.empty());
    EXPECT_EQ(ps->findings[0].code, "SpecializedImage");
}

TEST_F(ScenarioTest, TableDeclaredPropertiesAreReadOnlyWhenTheSpecHashDoesNotVouch) {
    // A pool poolwarden created carries the spec hash: converged cycles never GET it.
    model::PropValue name;
    name.kind = model::PropValue::Kind::String;
    name.text = "Render";
    desired.pools = {MakePool("made", "eus", kVersion140, 100)};
    desired.pools[0].properties.members.push_back({"displayName", name});
    ASSERT_GT(Converge(), 0);
    (void)Cycle();
    EXPECT_EQ(azure.count("GET pool"), 0);

    // A pool made elsewhere with another displayName (empty-only), adopted.
    model::ObservedPool existing = PoolMadeElsewhere(100);
    existing.properties.emplace();
    model::PropValue old_name = name;
    old_name.text = "Old";
    existing.properties->pool.members.push_back({"displayName", old_name});
    azure.add_pool("eusbatch", existing);
    desired.pools.push_back(MakePool("render", "eus", kVersion140, 100));
    desired.pools[1].properties = desired.pools[0].properties;
    desired.pools[1].adopt = true;
    auto has_drift = [](const CycleReport& r) {
        return std::any_of(r.plan.findings.begin(), r.plan.findings.end(), [](const auto& f) {
            return f.code == "EmptyOnlyDrift" && f.pool == "render" &&
                   f.message.rfind("displayName \"Old\" -> \"Render\": ", 0) == 0;
        });
    };
    auto pool_writes = [&] {
        std::vector<std::string> out;
        for (const auto& w : azure.writes())
            if (w.find(" pool ") != std::string::npos) out.push_back(w);
        azure.finish_updates();  // the adopted pool's share of replicas
        azure.complete_replication();
        return out;
    };
    auto r = Cycle();
    EXPECT_EQ(azure.count("GET pool"), 1);
    EXPECT_EQ(pool_writes(), std::vector<std::string>{"PATCH pool eusbatch/render"});
    EXPECT_TRUE(has_drift(r));
    // Adopted, but without a spec hash: it must not vouch for a displayName that differs.
    EXPECT_EQ(azure.pool("eus", "render")->metadata.count(model::kSpecHashKey), 0u);
    EXPECT_EQ(azure.pool("eus", "render")->metadata[model::kManagedByKey], "poolwarden");
    r = Cycle();  // the PATCH changed the eTag: read once more
    EXPECT_EQ(azure.count("GET pool"), 1);
    EXPECT_TRUE(pool_writes().empty());
    EXPECT_TRUE(has_drift(r));
    r = Cycle();  // same eTag, same spec: the pending difference costs no read
    EXPECT_EQ(azure.count("GET pool"), 0);
    EXPECT_TRUE(pool_writes().empty());
    EXPECT_TRUE(has_drift(r));
    // A failed read: nothing is known, the finding waits for the next read.
    desired.pools[1].metadata["team"] = "fx";  // a new spec (hash) and a patchable change
    azure.fail("GET pool", MakeError(azure::ErrorKind::Server, 503, "ServerBusy"), 1);
    r = Cycle();
    EXPECT_FALSE(has_drift(r));
    EXPECT_EQ(pool_writes(), std::vector<std::string>{"PATCH pool eusbatch/render"});
    EXPECT_EQ(azure.pool("eus", "render")->metadata.count(model::kSpecHashKey), 0u);
    r = Cycle();
    EXPECT_TRUE(has_drift(r));
    EXPECT_EQ(azure.count("GET pool"), 1);
}

TEST_F(ScenarioTest, UnownedPoolIsLeftAloneUnlessAdopted) {
    model::ObservedPool existing = PoolMadeElsewhere(5);
    azure.add_pool("eusbatch", existing);
    desired.pools = {MakePool("render", "eus", kVersion140, 100)};
    for (int i = 0; i < 3; ++i) {
        (void)Cycle();
        for (const auto& w : azure.writes())
            EXPECT_EQ(w.find("render"), std::string::npos) << "write to an unowned pool: " << w;
    }
    const auto* ps = PoolStatus("render");
    ASSERT_TRUE(std::any_of(ps->findings.begin(), ps->findings.end(),
                            [](const auto& f) { return f.code == "NotOwned"; }));

    desired.pools[0].adopt = true;
    EXPECT_GT(Converge(), 0);
    auto* p = azure.pool("eus", "render");
    EXPECT_EQ(p->target_dedicated_nodes, 100);
    EXPECT_EQ(p->metadata[model::kManagedByKey], "poolwarden");
    EXPECT_EQ(azure.adds.size(), 0u);
}

TEST_F(ScenarioTest, RestartDuringReplicaLroResumesWithoutADuplicateWrite) {
    desired.pools = {MakePool("render-linux", "eus", kVersion140, 2000, 1000)};
    azure.lro_mode = FakeAzure::LroMode::Crash;
    (void)Cycle();
    EXPECT_EQ(azure.count("PATCH version"), 1);
    EXPECT_EQ(azure.version(kVersion140)->provisioning_state, "Updating");

    Restart();
    azure.lro_mode = FakeAzure::LroMode::Complete;
    auto r = Cycle();
    EXPECT_TRUE(azure.writes().empty()) << "a version that is Updating is waited for";
    EXPECT_TRUE(r.waiting);

    azure.finish_updates();
    (void)Cycle();
    EXPECT_TRUE(azure.writes().empty()) << "replication not yet complete";

    azure.complete_replication();
    (void)Cycle();
    EXPECT_EQ(azure.writes(), std::vector<std::string>{"POST pool eusbatch/render-linux"});
    Restart();
    (void)Cycle();
    EXPECT_TRUE(azure.writes().empty()) << "a restart mid-create does not create again";
    EXPECT_EQ(azure.adds.size(), 1u);
}

TEST_F(ScenarioTest, NoWritesToAnAccountWhoseListFailed) {
    desired.pools = {MakePool("render", "eus", kVersion140, 100)};
    azure.fail("LIST pools", MakeError(azure::ErrorKind::Server, 503, "ServerBusy"), 3);
    for (int i = 0; i < 3; ++i) {
        auto r = Cycle();
        EXPECT_TRUE(azure.writes().empty());
        EXPECT_TRUE(r.incomplete);
        EXPECT_FALSE(r.ok());
    }
    const auto* ps = PoolStatus("render");
    EXPECT_TRUE(ps->condition("Degraded")->status);
    EXPECT_EQ(ps->condition("Degraded")->reason, "ObservationFailed");
    EXPECT_FALSE(snapshot->accounts.at(0).observed);
    EXPECT_GT(Converge(), 0);
}

TEST_F(ScenarioTest, TransientWriteErrorsBackOffExponentially) {
    desired.pools = {MakePool("render", "eus", kVersion140, 100)};
    azure.fail("POST pool", MakeError(azure::ErrorKind::Server, 503, "ServerBusy"), 100);
    std::vector<reconcile::TimePoint> attempts;
    for (int i = 0; i < 120; ++i) {
        (void)Cycle(1s);
        if (azure.count("POST pool")) attempts.push_back(now);
    }
    ASSERT_GE(attempts.size(), 4u);
    ASSERT_LE(attempts.size(), 7u) << "5s, 10s, 20s, 40s... not once per cycle";
    for (std::size_t i = 2; i < attempts.size(); ++i)
        EXPECT_GE(attempts[i] - attempts[i - 1], attempts[i - 1] - attempts[i - 2] - 1s);
    const auto* ps = PoolStatus("render");
    ASSERT_TRUE(ps->last_error);
    EXPECT_FALSE(ps->last_error->terminal);
    EXPECT_TRUE(ps->last_error->next_retry);
    EXPECT_EQ(ps->condition("Degraded")->reason, "RetryingAfterError");
}

TEST_F(ScenarioTest, AnAccountNamePointedAtAnotherAccountDropsTheOldAccountsBackoff) {
    // eus's creates keep failing and back off; a reload then points the local name eus at
    // another Batch account: the next pass creates the pool there at once, not after the old
    // account's backoff (the records were that account's pool's).
    azure.add_account(MakeAccount("west"), "eastus");
    desired.pools = {MakePool("render", "eus", kVersion140, 100)};
    azure.fail("POST pool eusbatch/", MakeError(azure::ErrorKind::Server, 503, "ServerBusy"), 100);
    int failures = 0;
    for (int i = 0; i < 60 && failures < 3; ++i) {
        (void)Cycle(1s);
        failures += azure.count("POST pool eusbatch/render");
    }
    ASSERT_EQ(failures, 3);
    const auto* ps = PoolStatus("render");
    ASSERT_TRUE(ps && ps->last_error && ps->last_error->next_retry);
    ASSERT_GT(*ps->last_error->next_retry - now, 2s) << "backing off after the third failure";
    (void)Cycle(1s);
    EXPECT_EQ(azure.count("POST pool"), 0) << "held by the backoff";

    desired.accounts[0].account_name = "westbatch";
    (void)Cycle(1s);
    EXPECT_EQ(azure.count("POST pool westbatch/render"), 1);
    EXPECT_EQ(azure.count("POST pool eusbatch/"), 0);
}

TEST_F(ScenarioTest, BackoffRunsOnTheMonotonicClockWhenTheWallClockStepsBack) {
    desired.pools = {MakePool("render", "eus", kVersion140, 100)};
    azure.fail("POST pool", MakeError(azure::ErrorKind::Server, 503, "ServerBusy"), 1);
    (void)Cycle();
    ASSERT_EQ(azure.count("POST pool"), 1);
    const auto* ps = PoolStatus("render");
    ASSERT_TRUE(ps && ps->last_error && ps->last_error->next_retry);
    const auto wait = *ps->last_error->next_retry - now;
    EXPECT_GT(wait, 0s);
    EXPECT_LE(wait, 5s) << "first backoff step: 5 s with jitter";

    // NTP steps the wall clock back an hour; 6 s pass on the monotonic clock.
    now -= 1h;
    (void)Cycle(6s);
    EXPECT_EQ(azure.count("POST pool"), 1) << "the backoff expired on time: retried";
    EXPECT_EQ(azure.adds.size(), 1u);
}

TEST_F(ScenarioTest, AccountCacheAgesOnTheMonotonicClock) {
    desired.pools = {MakePool("render", "eus", kVersion140, 100)};
    (void)Cycle();
    ASSERT_EQ(azure.count("GET account"), 1);
    // The wall clock jumps back a day, then 61 minutes pass: the hourly refresh still happens.
    now -= 24h;
    (void)Cycle(61min);
    EXPECT_EQ(azure.count("GET account"), 1) << "the account cache expired after an hour";
    // And a wall clock jumping forward a day does not expire it early.
    now += 24h;
    (void)Cycle(1min);
    EXPECT_EQ(azure.count("GET account"), 0);
}

TEST_F(ScenarioTest, TerminalErrorsWaitForAChangeOfTheSpec) {
    desired.pools = {MakePool("render", "eus", kVersion140, 100)};
    azure.fail("POST pool",
               MakeError(azure::ErrorKind::Client, 400, "InvalidPropertyValue", "bad vmSize"), 1);
    (void)Cycle();
    EXPECT_EQ(azure.count("POST pool"), 1);
    for (int i = 0; i < 5; ++i) {
        (void)Cycle(600s);
        EXPECT_EQ(azure.count("POST pool"), 0) << "terminal: not retried while nothing changes";
    }
    EXPECT_TRUE(PoolStatus("render")->last_error->terminal);
    EXPECT_EQ(PoolStatus("render")->condition("Degraded")->reason, "TerminalError");
    desired.pools[0].vm_size = "Standard_D8s_v3";
    (void)Cycle();
    EXPECT_EQ(azure.count("POST pool"), 1) << "a spec change retries";
}

TEST_F(ScenarioTest, RefusedReplicaPatchOfTwoRegionsIsHeldUntilSomethingChanges) {
    // Both regions' actions carry the one PATCH; a terminal refusal holds the version whichever
    // region's action recorded it.
    azure.add_account(MakeAccount("weu"), "westeurope");
    desired.accounts.push_back(MakeAccount("weu"));
    desired.pools = {MakePool("east", "eus", kVersion140, 600),
                     MakePool("west", "weu", kVersion140, 900)};
    azure.fail("PATCH version",
               MakeError(azure::ErrorKind::Client, 400, "InvalidParameter", "refused"), 1);
    (void)Cycle();
    EXPECT_EQ(azure.count("PATCH version"), 1);
    for (int i = 0; i < 4; ++i) {
        (void)Cycle(600s);
        EXPECT_EQ(azure.count("PATCH version"), 0) << "cycle " << i << ": terminal, held";
    }
    desired.pools[1] = MakePool("west", "weu", kVersion140, 1200);
    (void)Cycle();
    EXPECT_EQ(azure.count("PATCH version"), 1) << "a change of the pools retries";
}

TEST_F(ScenarioTest, VersionWideReplicaLimitConvergesWithoutARefusedWrite) {
    azure.add_account(MakeAccount("weu"), "westeurope");
    desired.accounts.push_back(MakeAccount("weu"));
    desired.policy.vms_per_replica = 10;  // 1000 VMs want 100 replicas, 500 want 50
    desired.pools = {MakePool("east", "eus", kVersion140, 1000),
                     MakePool("west", "weu", kVersion140, 500)};
    EXPECT_GT(Converge(), 0);
    int total = 0;
    for (const auto& r : azure.version(kVersion140)->target_regions)
        total += r.regional_replica_count;
    EXPECT_EQ(total, 100);
    EXPECT_NE(azure.pool("eus", "east"), nullptr);
    EXPECT_NE(azure.pool("weu", "west"), nullptr);
    auto r = Cycle();
    EXPECT_TRUE(azure.writes().empty());
    EXPECT_TRUE(r.converged());
    snapshot = status.get();
    const auto* vs = snapshot->image_version(kVersion140);
    ASSERT_NE(vs, nullptr);
    ASSERT_EQ(vs->regions.size(), 2u);
    for (const auto& region : vs->regions)
        EXPECT_EQ(region.required, region.current)
            << region.region << ": status requires what the version can hold";
}

TEST_F(ScenarioTest, CoreQuotaIsAnErrorFindingAndNotRetried) {
    azure.account("eus")->info.dedicated_core_quota = 400;  // 100 nodes of 4 cores
    desired.pools = {MakePool("render", "eus", kVersion140, 300)};
    (void)Converge(3);
    for (int i = 0; i < 3; ++i) {
        auto r = Cycle();
        EXPECT_TRUE(azure.writes().empty());
        EXPECT_FALSE(r.ok());
    }
    const auto* ps = PoolStatus("render");
    EXPECT_EQ(ps->condition("Degraded")->reason, "CoreQuotaReached");
    EXPECT_FALSE(ps->condition("Ready")->status);
}

TEST_F(ScenarioTest, AllocationTimedoutIsRetriedWithBackoff) {
    desired.pools = {MakePool("render", "eus", kVersion140, 100)};
    (void)Cycle();  // create (1 replica is enough)
    ASSERT_EQ(azure.adds.size(), 1u);
    azure.finish_resizes({{"AllocationTimedout", "timed out"}});
    auto r = Cycle(1s);
    EXPECT_TRUE(azure.writes().empty()) << "first retry waits for the backoff";
    EXPECT_TRUE(r.requeue_after);
    EXPECT_EQ(PoolStatus("render")->condition("Degraded")->reason, "AllocationTimedout");
    (void)Cycle(60s);
    EXPECT_EQ(azure.writes(), std::vector<std::string>{"POST resize eusbatch/render"});
    EXPECT_EQ(azure.resizes.back().target_dedicated_nodes, 100);
    azure.finish_resizes();
    (void)Cycle();
    EXPECT_TRUE(azure.writes().empty());
    EXPECT_TRUE(PoolStatus("render")->condition("Ready")->status);
}

TEST_F(ScenarioTest, PartialObservationNeverLowersARegionThroughAnotherRegionsRaise) {
    // lowerReplicas; East US serves two accounts and holds their 5 + 5 replicas; one of them
    // cannot be listed, so its demand is missing. West Europe must grow 1 -> 5 meanwhile: that
    // PATCH must not carry East US's count without the missing account's share.
    desired.policy.lower_replicas = true;
    azure.add_account(MakeAccount("eus2"), "eastus");
    azure.add_account(MakeAccount("weu"), "westeurope");
    desired.accounts = {MakeAccount("eus"), MakeAccount("eus2"), MakeAccount("weu")};
    auto* v = azure.version(kVersion140);
    v->target_regions[0].regional_replica_count = 10;
    v->target_regions.push_back({"West Europe", 1, "Standard_LRS", ""});
    v->summary.push_back({"West Europe", "Completed", 100});
    desired.pools = {MakePool("a", "eus", kVersion140, 1500),
                     MakePool("b", "eus2", kVersion140, 1500),
                     MakePool("c", "weu", kVersion140, 1500)};
    azure.fail("LIST pools eus2batch", MakeError(azure::ErrorKind::Server, 503, "ServerBusy"));

    auto r = Cycle();
    EXPECT_TRUE(r.incomplete);
    ASSERT_EQ(azure.count("PATCH version"), 1) << "West Europe's raise is still written";
    const auto& regions = azure.version(kVersion140)->target_regions;
    ASSERT_EQ(regions.size(), 2u);
    EXPECT_EQ(regions[0].regional_replica_count, 10) << "East US is not lowered";
    EXPECT_EQ(regions[1].regional_replica_count, 5);

    // Complete again: East US still needs 10 and keeps them.
    azure.complete_replication();
    (void)Cycle();
    EXPECT_EQ(azure.version(kVersion140)->target_regions[0].regional_replica_count, 10);
}

TEST_F(ScenarioTest, AnUnreadableImageHoldsItsPoolAndLowersNoReplicas) {
    // lowerReplicas; 1.4.0 holds 10 replicas in East US for one 300-node pool: 1 would do.
    // A second pool's version answers 403: that pool is held with ImageAccessDenied, and since
    // what it runs on is unknown, no count is lowered meanwhile.
    desired.policy.lower_replicas = true;
    azure.version(kVersion140)->target_regions[0].regional_replica_count = 10;
    std::string locked = kVersion140;
    locked.replace(locked.size() - 5, 5, "1.5.0");
    azure.add_version(locked, "East US", 1);
    desired.pools = {MakePool("render", "eus", kVersion140, 300),
                     MakePool("locked", "eus", locked, 10)};
    azure.fail("GET version " + locked,
               MakeError(azure::ErrorKind::Auth, 403, "AuthorizationFailed"));
    auto r = Cycle();
    EXPECT_FALSE(r.incomplete) << "the held pool is planned, not left out";
    EXPECT_EQ(azure.count("PATCH version"), 0);
    EXPECT_EQ(azure.version(kVersion140)->target_regions[0].regional_replica_count, 10);
    EXPECT_EQ(azure.count("POST pool eusbatch/locked"), 0);
    EXPECT_EQ(azure.count("POST pool eusbatch/render"), 1) << "the other pool proceeds";
    EXPECT_TRUE(std::any_of(r.plan.findings.begin(), r.plan.findings.end(), [](const auto& f) {
        return f.code == "ImageAccessDenied" && f.pool == "locked";
    }));
    EXPECT_EQ(PoolStatus("locked")->condition("Degraded")->reason, "ImageAccessDenied");
    // Readable again (the role was granted): the pool is created and 1.4.0 lowered.
    (void)Cycle();
    EXPECT_EQ(azure.count("POST pool eusbatch/locked"), 1);
    EXPECT_GT(Converge(), 0);
    EXPECT_LT(azure.version(kVersion140)->target_regions[0].regional_replica_count, 10);
}

TEST_F(ScenarioTest, ARegionAnotherToolAddsDuringTheCycleIsKept) {
    desired.pools = {MakePool("render", "eus", kVersion140, 3000)};
    bool added = false;
    rec = std::make_unique<reconcile::Reconciler>(
        azure, azure, status, options,
        [&](const auto& d, const auto& o, auto t) {
            auto plan = planner::MakePlan(d, o, t);
            // After this cycle's GET of the version, before poolwarden's PATCH.
            if (!added)
                azure.version(kVersion140)
                    ->target_regions.push_back({"North Europe", 2, "Standard_LRS", ""});
            added = true;
            return plan;
        },
        42);
    (void)Cycle();
    ASSERT_EQ(azure.count("PATCH version"), 1);
    const auto& regions = azure.version(kVersion140)->target_regions;
    ASSERT_EQ(regions.size(), 2u) << "the region the other tool added is not removed";
    EXPECT_EQ(regions[0].regional_replica_count, 10);
    EXPECT_EQ(model::NormalizeRegion(regions[1].name), "northeurope");
    EXPECT_EQ(regions[1].regional_replica_count, 2);
}

TEST_F(ScenarioTest, MemoryOfPoolsAndVersionsNoLongerDeclaredIsDropped) {
    const std::string v150 =
        std::string(kVersion140).replace(std::string(kVersion140).rfind("1.4.0"), 5, "1.5.0");
    azure.add_version(v150, "East US", 1);
    for (int i = 0; i < 10; ++i)
        desired.pools.push_back(MakePool("a" + std::to_string(i), "eus", kVersion140, 100));
    ASSERT_GT(Converge(), 0);
    const auto before = Cycle().tracked_items;

    desired.pools.clear();
    for (int i = 0; i < 10; ++i)
        desired.pools.push_back(MakePool("b" + std::to_string(i), "eus", v150, 100));
    ASSERT_GT(Converge(), 0);
    auto r = Cycle();
    EXPECT_EQ(r.tracked_items, before) << "what a0..a9 and 1.4.0 left behind is gone";
    EXPECT_TRUE(r.converged());
}

TEST_F(ScenarioTest, ConvergedPoolsShowTheirLastActionWithoutAPerPoolRecordEach) {
    for (int i = 0; i < 10; ++i)
        desired.pools.push_back(MakePool("c" + std::to_string(i), "eus", kVersion140, 100));
    ASSERT_GT(Converge(), 0);
    ASSERT_EQ(azure.adds.size(), 10u);
    std::size_t tracked = 0;
    for (int i = 0; i < 3; ++i) {
        auto r = Cycle();
        EXPECT_TRUE(r.converged());
        tracked = r.tracked_items;
    }
    // Ten pools written and converged: what is kept between passes does not grow with them.
    EXPECT_LT(tracked, 10u);
    for (int i = 0; i < 10; ++i) {
        const auto* ps = PoolStatus("c" + std::to_string(i));
        ASSERT_NE(ps, nullptr);
        ASSERT_TRUE(ps->last_action) << "c" << i;
        EXPECT_EQ(ps->last_action->kind, "CreatePool");
        EXPECT_EQ(ps->last_action->result, "succeeded");
    }
    // A pool's next write replaces it; the others keep theirs.
    desired.pools[3].fixed->target_dedicated_nodes += 1;
    (void)Cycle();
    ASSERT_EQ(azure.writes(), std::vector<std::string>{"POST resize eusbatch/c3"});
    EXPECT_EQ(PoolStatus("c3")->last_action->kind, "ResizePool");
    EXPECT_EQ(PoolStatus("c4")->last_action->kind, "CreatePool");
    azure.finish_resizes();
    (void)Cycle();
    EXPECT_EQ(PoolStatus("c3")->last_action->kind, "ResizePool");
    EXPECT_EQ(PoolStatus("c4")->last_action->kind, "CreatePool");
}

}  // namespace
}  // namespace pw::testing
