#include <gtest/gtest.h>

#include "planner/rules.hpp"

namespace pw::planner {
namespace {

using std::chrono::minutes;

struct Row {
    int nodes;
    int replicas;            // ceil(N / 300)
    int region_required;     // one pool in the region, extra 0, cap 100
    model::Seconds timeout;  // no floor, 15m per 1000
};

// The boundaries the issue lists, with Microsoft's two rules worked out by hand.
const Row kRows[] = {
    {0, 0, 1, minutes(15)},      {1, 1, 1, minutes(15)},          {299, 1, 1, minutes(15)},
    {300, 1, 1, minutes(15)},    {301, 2, 2, minutes(15)},        {999, 4, 4, minutes(15)},
    {1000, 4, 4, minutes(15)},   {1001, 4, 4, minutes(30)},       {2000, 7, 7, minutes(30)},
    {3000, 10, 10, minutes(45)}, {30000, 100, 100, minutes(450)},
};

TEST(PlannerRules, RequiredReplicasAtBoundaries) {
    model::Policy policy;
    for (const auto& r : kRows) EXPECT_EQ(RequiredReplicas(r.nodes, policy), r.replicas) << r.nodes;
}

TEST(PlannerRules, RegionRequirementAtBoundaries) {
    model::Policy policy;
    for (const auto& r : kRows) {
        auto req = RequiredRegionReplicas({r.nodes}, policy);
        EXPECT_EQ(req.required, r.region_required) << r.nodes;
        EXPECT_FALSE(req.capped) << r.nodes;  // 30000 VMs need exactly the cap of 100
    }
}

TEST(PlannerRules, ResizeTimeoutAtBoundaries) {
    model::Policy policy;
    for (const auto& r : kRows)
        EXPECT_EQ(ResizeTimeoutFor(r.nodes, std::nullopt, policy), r.timeout) << r.nodes;
}

TEST(PlannerRules, ResizeTimeoutHonoursTheSpecFloorAndThePolicy) {
    model::Policy policy;
    EXPECT_EQ(ResizeTimeoutFor(3000, minutes(20), policy), minutes(45));
    EXPECT_EQ(ResizeTimeoutFor(1, minutes(20), policy), minutes(20));
    EXPECT_EQ(ResizeTimeoutFor(3000, minutes(60), policy), minutes(60));
    EXPECT_EQ(ResizeTimeoutFor(3000, minutes(5), policy), minutes(45));
    EXPECT_EQ(ResizeTimeoutFor(100, minutes(5), policy), minutes(15));  // never below 15m
    policy.resize_timeout_per_1000_vms = minutes(20);
    EXPECT_EQ(ResizeTimeoutFor(2000, std::nullopt, policy), minutes(40));
    EXPECT_EQ(ResizeTimeoutFor(500, std::nullopt, policy), minutes(20));
}

TEST(PlannerRules, RegionRequirementSumsPoolsAddsExtraAndCaps) {
    model::Policy policy;
    EXPECT_EQ(RequiredRegionReplicas({3000, 301}, policy).required, 12);
    EXPECT_EQ(RequiredRegionReplicas({}, policy).required, 1);
    EXPECT_EQ(RequiredRegionReplicas({0, 0}, policy).required, 1);
    policy.extra_replicas = 2;
    EXPECT_EQ(RequiredRegionReplicas({3000}, policy).required, 12);
    EXPECT_EQ(RequiredRegionReplicas({0}, policy).required, 2);
    policy.extra_replicas = 0;
    auto capped = RequiredRegionReplicas({30001}, policy);
    EXPECT_EQ(capped.required, 100);
    EXPECT_EQ(capped.demand, 101);
    EXPECT_TRUE(capped.capped);
    policy.max_replicas_per_region = 5;
    capped = RequiredRegionReplicas({1000, 1000}, policy);  // 4 + 4 = 8 > 5
    EXPECT_EQ(capped.required, 5);
    EXPECT_TRUE(capped.capped);
    policy.vms_per_replica = 1000;
    EXPECT_EQ(RequiredRegionReplicas({2500}, policy).required, 3);
}

TEST(PlannerRules, WindowsAgentsAndOwnership) {
    EXPECT_TRUE(IsWindowsAgent("batch.node.windows amd64"));
    EXPECT_TRUE(IsWindowsAgent("Batch.Node.Windows amd64"));
    EXPECT_FALSE(IsWindowsAgent("batch.node.ubuntu 22.04"));
    EXPECT_FALSE(IsWindowsAgent("batch.node.win"));
    model::ObservedPool pool;
    EXPECT_FALSE(IsOwned(pool));
    pool.metadata[model::kManagedByKey] = "someone-else";
    EXPECT_FALSE(IsOwned(pool));
    pool.metadata[model::kManagedByKey] = model::kManagedByValue;
    EXPECT_TRUE(IsOwned(pool));
    pool.metadata["team"] = "vfx";
    pool.metadata[model::kSpecHashKey] = "abc";
    EXPECT_EQ(UserMetadata(pool.metadata), (std::map<std::string, std::string>{{"team", "vfx"}}));
}

TEST(PlannerRules, ReplicasReadyNeedsCountCompletionAndNoUpdate) {
    model::ObservedImageVersion v;
    v.provisioning_state = "Succeeded";
    v.target_regions = {{"East US", 10, "Standard_LRS", ""}};
    v.summary = {{"East US", "Completed", 100}};
    std::string why;
    EXPECT_TRUE(ReplicasReady(v, "eastus", 10, &why));
    EXPECT_FALSE(ReplicasReady(v, "eastus", 11, &why));
    EXPECT_EQ(why, "10 of 11 replicas in eastus");
    EXPECT_FALSE(ReplicasReady(v, "westus", 1, &why));
    v.summary[0].state = "Replicating";
    v.summary[0].progress = 40;
    EXPECT_FALSE(ReplicasReady(v, "eastus", 10, &why));
    EXPECT_EQ(why, "replication in eastus is Replicating 40%");
    v.summary[0].state = "Completed";
    v.provisioning_state = "Updating";
    EXPECT_FALSE(ReplicasReady(v, "eastus", 10, &why));
    v.provisioning_state = "Succeeded";
    v.summary.clear();
    v.aggregated_state = "Completed";
    EXPECT_TRUE(ReplicasReady(v, "EastUS", 10));
    v.aggregated_state = "InProgress";
    EXPECT_FALSE(ReplicasReady(v, "eastus", 10));
}

}  // namespace
}  // namespace pw::planner
