#include <gtest/gtest.h>

#include <climits>

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

TEST(PlannerRules, NodeCountSumsSaturateInsteadOfOverflowing) {
    EXPECT_EQ(model::AddNodeCounts(2000, 1000), 3000);
    EXPECT_EQ(model::AddNodeCounts(INT_MAX, 1), INT_MAX);
    EXPECT_EQ(model::AddNodeCounts(INT_MAX, INT_MAX), INT_MAX);
    EXPECT_EQ(model::AddNodeCounts(INT_MIN, -1), INT_MIN);
    model::PoolSpec spec;
    spec.fixed = model::FixedScale{INT_MAX, INT_MAX};
    EXPECT_EQ(spec.sized_nodes(), INT_MAX);
    model::Policy policy;
    // The largest pool still gets the capped replica count and the longest resizeTimeout.
    auto req = RequiredRegionReplicas({spec.sized_nodes(), spec.sized_nodes()}, policy);
    EXPECT_EQ(req.required, 100);
    EXPECT_TRUE(req.capped);
    EXPECT_EQ(ResizeTimeoutFor(spec.sized_nodes(), std::nullopt, policy),
              minutes(15) * ((static_cast<long long>(INT_MAX) + 999) / 1000));
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

struct FitRow {
    const char* what;
    std::vector<RegionShare> regions;
    bool lower;
    std::vector<int> counts;
    bool squeezed;
    bool over;
};

// Azure's 100 replicas per version over all regions, worked out by hand (largest remainders).
const FitRow kFitRows[] = {
    {"fits", {{1, 10}}, false, {10}, false, false},
    {"exactly 100 in total", {{1, 50}, {0, 50}}, false, {50, 50}, false, false},
    // 101: floors 1+1, 98 shared over extras 50 and 49: 49.49 and 48.51 -> 49+1 and 48+1.
    {"101 in total", {{1, 51}, {0, 50}}, false, {50, 50}, true, false},
    // 150: floors 1+1, 98 over extras 99 and 49: 65.55 -> 66, 32.45 -> 32.
    {"150 in total", {{1, 100}, {0, 50}}, false, {67, 33}, true, false},
    {"a region without demand keeps its count",
     {{30, std::nullopt}, {1, 100}},
     false,
     {30, 70},
     true,
     false},
    {"not lowering: the current count is a floor",
     {{60, 10}, {0, 60}},
     false,
     {60, 40},
     true,
     false},
    {"lowering allowed: the same regions fit", {{60, 10}, {0, 60}}, true, {10, 60}, false, false},
    {"lowering allowed: floors of 1", {{90, 100}, {0, 100}}, true, {50, 50}, true, false},
    {"no room even for the floors", {{100, std::nullopt}, {0, 5}}, false, {100, 1}, true, true},
    {"no room left, floors fit exactly", {{99, std::nullopt}, {0, 5}}, false, {99, 1}, true, false},
};

TEST(PlannerRules, VersionReplicasFitAzuresLimitAtBoundaries) {
    for (const auto& r : kFitRows) {
        auto fit = FitVersionReplicas(r.regions, r.lower);
        EXPECT_EQ(fit.counts, r.counts) << r.what;
        EXPECT_EQ(fit.squeezed, r.squeezed) << r.what;
        EXPECT_EQ(fit.over, r.over) << r.what;
        int total = 0;
        for (int c : fit.counts) total += c;
        if (!r.over) {
            EXPECT_LE(total, kMaxReplicasPerVersion) << r.what;
        }
        for (std::size_t i = 0; i < r.regions.size(); ++i) {
            if (r.regions[i].wanted && !r.lower) {
                EXPECT_GE(fit.counts[i], r.regions[i].current) << r.what << ": lowered";
            }
        }
    }
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
