// Planner table tests: replicas before creates and growth, sharing, regions, limits, waits,
// image checks, ownership, order independence.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "planner_test_world.hpp"

namespace pw::planner::plan_test {
namespace {

TEST(Planner, RaisesReplicasAndWaitsBeforeCreating) {
    auto d = Desired({Spec("render-linux", 2000, 1000)});
    auto plan = Plan(d, World(1));
    EXPECT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "WaitForReplication"));
    const auto& set = plan.actions[0];
    EXPECT_EQ(set.region, "East US");
    EXPECT_EQ(set.from, 1);
    EXPECT_EQ(set.to, 10);
    EXPECT_EQ(set.target_regions,
              (std::vector<model::TargetRegion>{{"East US", 10, "Standard_LRS", ""}}));
    EXPECT_THAT(set.reason, testing::HasSubstr("render-linux (3000 VMs)"));
    EXPECT_EQ(plan.actions[1].pool, "render-linux");
    EXPECT_EQ(plan.requeue_after, kRequeueWhileReplicating);
    EXPECT_TRUE(plan.findings.empty());

    // Raised but still replicating: wait, no second write.
    auto replicating = World(10, "Replicating");
    plan = Plan(d, replicating);
    EXPECT_THAT(Kinds(plan), testing::ElementsAre("WaitForReplication"));
    EXPECT_THAT(plan.actions[0].reason, testing::HasSubstr("Replicating 40%"));

    plan = Plan(d, World(10));
    EXPECT_THAT(Kinds(plan), testing::ElementsAre("CreatePool"));
    const auto& create = plan.actions[0];
    EXPECT_EQ(create.resize_timeout, minutes(45));
    EXPECT_EQ(create.target_dedicated_nodes, 2000);
    EXPECT_EQ(create.target_low_priority_nodes, 1000);
    ASSERT_TRUE(create.spec.has_value());
    EXPECT_EQ(create.spec->id, "render-linux");
}

TEST(Planner, VersionStillUpdatingBlocksTheCreate) {
    auto o = World(10);
    o.image_versions.begin()->second.provisioning_state = "Updating";
    auto plan = Plan(Desired({Spec("render-linux", 2000, 1000)}), o);
    EXPECT_THAT(Kinds(plan), testing::ElementsAre("WaitForReplication"));
}

TEST(Planner, ConvergedStateGivesAnEmptyPlan) {
    auto spec = Spec("render-linux", 2000, 1000);
    auto o = World(10);
    o.accounts["render-eus"].pools.push_back(Live(spec));
    auto plan = Plan(Desired({spec}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_TRUE(plan.findings.empty());
    EXPECT_FALSE(plan.requeue_after.has_value());
}

TEST(Planner, IdempotentAfterApplyingThePlan) {
    auto d = Desired({Spec("a", 2000, 1000), Spec("b", 301), Spec("c", 10, 0, "render-wus")});
    auto o = World(1);
    EXPECT_EQ(Converge(d, o), 2);  // replicas, then creates
    EXPECT_EQ(o.accounts["render-eus"].pools.size(), 2u);
    auto plan = Plan(d, o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_TRUE(plan.findings.empty());
}

TEST(Planner, TwoPoolsSharingAVersionAddUp) {
    auto plan = Plan(Desired({Spec("big", 3000), Spec("small", 301)}), World(1));
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "WaitForReplication",
                                                  "WaitForReplication"));
    EXPECT_EQ(plan.actions[0].to, 12);  // 10 + 2
    EXPECT_EQ(plan.actions[1].pool, "big");
    EXPECT_EQ(plan.actions[2].pool, "small");
}

TEST(Planner, SameVersionInTwoRegionsMergesOneTargetRegionList) {
    auto plan = Plan(Desired({Spec("east", 3000), Spec("west", 600, 0, "render-wus")}), World(1));
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "AddTargetRegion",
                                                  "WaitForReplication", "WaitForReplication"));
    const std::vector<model::TargetRegion> merged = {{"East US", 10, "Standard_LRS", ""},
                                                     {"westus", 2, "Standard_LRS", ""}};
    EXPECT_EQ(plan.actions[0].target_regions, merged);
    EXPECT_EQ(plan.actions[1].target_regions, merged);
    EXPECT_EQ(plan.actions[1].region, "westus");
    EXPECT_EQ(plan.actions[1].to, 2);
    EXPECT_FALSE(plan.actions[1].from.has_value());
}

TEST(Planner, WithoutLowerReplicasNoActionListCarriesALoweredCount) {
    // East US holds 10 where the pools now need 5 (e.g. an account's pools could not be listed
    // and the caller planned without them), while westus grows 1 -> 5.
    auto o = World(10);
    auto& v = o.image_versions.begin()->second;
    v.target_regions.push_back({"West US", 1, "Standard_LRS", ""});
    v.summary.push_back({"West US", "Completed", 100});
    auto d = Desired({Spec("east", 1500), Spec("west", 1500, 0, "render-wus")});
    for (bool lower : {false, true}) {
        d.policy.lower_replicas = lower;
        auto plan = Plan(d, o);
        int east_in_lists = 10;
        bool east_action = false;
        for (const auto& a : plan.actions) {
            if (a.kind == ActionKind::WaitForReplication) continue;
            east_action = east_action || a.region == "East US";
            for (const auto& r : a.target_regions)
                if (r.name == "East US")
                    east_in_lists = std::min(east_in_lists, r.regional_replica_count);
        }
        EXPECT_EQ(east_in_lists, lower ? 5 : 10) << "lowerReplicas " << lower;
        EXPECT_EQ(east_action, lower) << "a lowered count comes with its own action";
    }
}

TEST(Planner, MissingRegionIsAddedKeepingTheStorageType) {
    auto o = World(1);
    auto& v = o.image_versions.begin()->second;
    v.target_regions = {{"West Europe", 3, "Premium_LRS", ""}};
    v.storage_account_type = "";
    v.summary = {{"West Europe", "Completed", 100}};
    auto plan = Plan(Desired({Spec("render-linux", 2000, 1000)}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("AddTargetRegion", "WaitForReplication"));
    EXPECT_EQ(plan.actions[0].target_regions,
              (std::vector<model::TargetRegion>{{"West Europe", 3, "Premium_LRS", ""},
                                                {"eastus", 10, "Premium_LRS", ""}}));
    EXPECT_THAT(plan.actions[1].reason, testing::HasSubstr("not a target region"));
}

TEST(Planner, ShrinkNeverWaits) {
    auto spec = Spec("render-linux", 300);
    auto o = World(1, "Replicating");
    auto live = Live(Spec("render-linux", 3000));
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("ResizePool"));
    EXPECT_EQ(plan.actions[0].target_dedicated_nodes, 300);
    EXPECT_EQ(plan.actions[0].resize_timeout, minutes(15));
    EXPECT_EQ(plan.actions[0].if_match, "0x1");
    EXPECT_THAT(plan.actions[0].reason, testing::StartsWith("shrink"));
}

TEST(Planner, GrowthWaitsForReplicasThenResizes) {
    auto spec = Spec("render-linux", 2000, 1000);
    auto o = World(1);
    o.accounts["render-eus"].pools.push_back(Live(Spec("render-linux", 300)));
    auto plan = Plan(Desired({spec}), o);
    EXPECT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "WaitForReplication"));
    EXPECT_THAT(plan.actions[1].reason, testing::StartsWith("growing"));
    o.image_versions.begin()->second = World(10).image_versions.begin()->second;
    plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("ResizePool"));
    EXPECT_EQ(plan.actions[0].resize_timeout, minutes(45));
    EXPECT_EQ(plan.actions[0].target_low_priority_nodes, 1000);
}

TEST(Planner, ResizingPoolIsWaitedFor) {
    auto o = World(10);
    auto live = Live(Spec("render-linux", 300));
    live.allocation_state = "resizing";
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({Spec("render-linux", 3000)}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan), testing::ElementsAre("info:PoolResizing"));
    EXPECT_EQ(plan.requeue_after, kRequeueWhileResizing);
}

TEST(Planner, DeletingPoolIsWaitedFor) {
    auto o = World(10);
    auto live = Live(Spec("render-linux", 300));
    live.state = "deleting";
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({Spec("render-linux", 3000)}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan), testing::ElementsAre("info:PoolDeleting"));
    EXPECT_EQ(plan.requeue_after, kRequeueWhileDeleting);
}

TEST(Planner, SpecializedImageIsRefused) {
    auto o = World(10);
    o.images.begin()->second.os_state = "Specialized";
    auto plan = Plan(Desired({Spec("render-linux", 3000)}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan), testing::ElementsAre("error:SpecializedImage"));
}

TEST(Planner, OsMismatchIsRefused) {
    auto spec = Spec("render-linux", 3000);
    spec.node_agent_sku_id = "batch.node.windows amd64";
    auto plan = Plan(Desired({spec}), World(10));
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan), testing::ElementsAre("error:OsMismatch"));

    auto o = World(10);
    o.images.begin()->second.os_type = "Windows";
    plan = Plan(Desired({Spec("render-linux", 3000)}), o);
    EXPECT_THAT(Codes(plan), testing::ElementsAre("error:OsMismatch"));
}

TEST(Planner, MissingVersionOrImageIsImageNotFound) {
    auto o = World(10);
    o.image_versions.clear();
    auto plan = Plan(Desired({Spec("render-linux", 3000)}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan), testing::ElementsAre("error:ImageNotFound"));
    o = World(10);
    o.images.clear();
    plan = Plan(Desired({Spec("render-linux", 3000)}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan), testing::ElementsAre("error:ImageNotFound"));
}

TEST(Planner, UnownedPoolIsLeftAloneUnlessAdopted) {
    auto spec = Spec("render-linux", 3000);
    auto o = World(10);
    auto live = Live(Spec("render-linux", 300));
    live.metadata.erase(model::kManagedByKey);
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({spec}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan), testing::ElementsAre("warning:NotOwned"));

    spec.adopt = true;
    plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("ResizePool", "PatchPool"));
    EXPECT_THAT(plan.actions[1].reason, testing::HasSubstr("adopt"));
    EXPECT_TRUE(plan.findings.empty());
    Apply(plan, o);
    plan = Plan(Desired({spec}), o);
    EXPECT_TRUE(plan.actions.empty());
}

TEST(Planner, CapBindsWithAWarningAndTheCreateProceeds) {
    auto d = Desired({Spec("render-linux", 2000, 1000)});
    d.policy.max_replicas_per_region = 5;
    auto plan = Plan(d, World(1));
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "WaitForReplication"));
    EXPECT_EQ(plan.actions[0].to, 5);
    EXPECT_THAT(Codes(plan), testing::ElementsAre("warning:ReplicaCapReached"));
    plan = Plan(d, World(5));
    EXPECT_THAT(Kinds(plan), testing::ElementsAre("CreatePool"));
    EXPECT_THAT(Codes(plan), testing::ElementsAre("warning:ReplicaCapReached"));
}

TEST(Planner, VersionWideLimitSharesReplicasAcrossRegionsAndPoolsStillStart) {
    // 30000 VMs in eastus want 100 replicas and 15000 in westus want 50; the version may hold
    // 100 in total: eastus 67 and westus 33 (1 each, then 98 shared by what each still wants).
    auto d = Desired({Spec("east", 30000), Spec("west", 15000, 0, "render-wus")});
    auto o = World(1);
    auto plan = Plan(d, o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "AddTargetRegion",
                                                  "WaitForReplication", "WaitForReplication"));
    EXPECT_EQ(plan.actions[0].to, 67);
    EXPECT_EQ(plan.actions[1].to, 33);
    int total = 0;
    for (const auto& r : plan.actions[0].target_regions) total += r.regional_replica_count;
    EXPECT_EQ(total, 100);
    EXPECT_THAT(plan.actions[0].reason, testing::HasSubstr("limited to 67"));
    EXPECT_THAT(Codes(plan), testing::ElementsAre("warning:ReplicaCapReached"));
    EXPECT_THAT(plan.findings[0].message, testing::HasSubstr("eastus 100 -> 67, westus 50 -> 33"));

    // Once the shared-out counts are Completed, both pools are created.
    auto& v = o.image_versions.begin()->second;
    v.target_regions = {{"East US", 67, "Standard_LRS", ""}, {"westus", 33, "Standard_LRS", ""}};
    v.summary = {{"East US", "Completed", 100}, {"westus", "Completed", 100}};
    plan = Plan(d, o);
    EXPECT_THAT(Kinds(plan), testing::ElementsAre("CreatePool", "CreatePool"));
}

TEST(Planner, NoReplicaWriteWhenTheVersionCannotHoldAnotherRegion) {
    // 100 replicas in East US are kept (lowerReplicas off): westus cannot get even one.
    auto d = Desired({Spec("east", 30000), Spec("west", 300, 0, "render-wus")});
    auto plan = Plan(d, World(100));
    EXPECT_THAT(Kinds(plan), testing::ElementsAre("CreatePool", "WaitForReplication"));
    EXPECT_THAT(Codes(plan), testing::ElementsAre("error:VersionReplicaLimit"));
    d.policy.lower_replicas = true;
    plan = Plan(d, World(100));
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "AddTargetRegion",
                                                  "CreatePool", "WaitForReplication"));
    EXPECT_EQ(plan.actions[0].to, 99);
    EXPECT_EQ(plan.actions[1].to, 1);
}

TEST(Planner, ReplicasAreLoweredOnlyWhenAllowed) {
    auto d = Desired({Spec("render-linux", 300)});
    auto o = World(20);
    o.accounts["render-eus"].pools.push_back(Live(d.pools[0]));
    EXPECT_TRUE(Plan(d, o).actions.empty());
    d.policy.lower_replicas = true;
    auto plan = Plan(d, o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas"));
    EXPECT_EQ(plan.actions[0].from, 20);
    EXPECT_EQ(plan.actions[0].to, 1);
    EXPECT_FALSE(plan.requeue_after.has_value());
}

TEST(Planner, ReplicasOfAVersionALivePoolStillRunsAreNotLowered) {
    // render-big's file moved it to 2.0.0 (a rollout or a manual change not yet applied), but
    // its 3000 nodes still run 1.4.0: lowerReplicas keeps 1.4.0's 20 replicas, which
    // render-small alone (300 VMs) would lower to 1.
    auto moved = Spec("render-big", 3000);
    moved.image = Version(
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
        "Microsoft.Compute/galleries/studio/images/render/versions/2.0.0");
    auto d = Desired({Spec("render-small", 300), moved});
    d.policy.lower_replicas = true;
    auto o = World(20);
    o.accounts["render-eus"].pools.push_back(Live(d.pools[0]));
    o.accounts["render-eus"].pools.push_back(Live(Spec("render-big", 3000)));
    auto lowers = [](const model::Plan& plan) {
        return std::count_if(plan.actions.begin(), plan.actions.end(), [](const auto& a) {
            return a.kind == ActionKind::SetRegionalReplicas && a.to < a.from;
        });
    };
    EXPECT_EQ(lowers(Plan(d, o)), 0);
    // Once the pool runs 2.0.0, 1.4.0 is lowered to what render-small needs.
    o.accounts["render-eus"].pools[1].virtual_machine_image_id = moved.image_reference();
    auto plan = Plan(d, o);
    ASSERT_EQ(lowers(plan), 1);
    EXPECT_EQ(plan.actions[0].from, 20);
    EXPECT_EQ(plan.actions[0].to, 1);
    // A pool not owned and not adopted is not poolwarden's: it keeps nothing.
    o.accounts["render-eus"].pools[1] = Live(Spec("render-big", 3000));
    o.accounts["render-eus"].pools[1].metadata.clear();
    EXPECT_EQ(lowers(Plan(d, o)), 1);
}

TEST(Planner, ResizeErrorsAtTargetBecomeFindings) {
    auto spec = Spec("render-linux", 300);
    auto o = World(10);
    auto live = Live(spec);
    live.resize_errors = {{"AllocationTimedout", "timed out"},
                          {"AccountCoreQuotaReached", "quota"}};
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({spec}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan),
                testing::ElementsAre("warning:AllocationTimedout", "error:CoreQuotaReached"));
}

TEST(Planner, SameInputsGiveTheSamePlanInAnyOrder) {
    std::vector<model::PoolSpec> specs = {Spec("b", 3000), Spec("A", 301),
                                          Spec("c", 600, 0, "render-wus")};
    auto first = Plan(Desired(specs), World(1));
    std::reverse(specs.begin(), specs.end());
    auto second = Plan(Desired(specs), World(1));
    ASSERT_EQ(Kinds(first), Kinds(second));
    for (std::size_t i = 0; i < first.actions.size(); ++i) {
        EXPECT_EQ(first.actions[i].pool, second.actions[i].pool);
        EXPECT_EQ(first.actions[i].reason, second.actions[i].reason);
        EXPECT_EQ(first.actions[i].target_regions, second.actions[i].target_regions);
    }
    EXPECT_EQ(first.actions[2].pool, "A");  // pools ordered by account, then id ignoring case
}

}  // namespace
}  // namespace pw::planner::plan_test
