// Planner table tests: autoscale changes, orphaned pools and prune.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "planner_test_world.hpp"

namespace pw::planner::plan_test {
namespace {

TEST(Planner, AutoscaleSizesReplicasForMaxNodesAndSendsNoResizeTimeout) {
    auto spec = Spec("auto", 0);
    spec.fixed.reset();
    spec.autoscale = model::AutoScale{"$TargetDedicatedNodes=1;", minutes(15), 3000};
    auto plan = Plan(Desired({spec}), World(1));
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "WaitForReplication"));
    EXPECT_EQ(plan.actions[0].to, 10);
    plan = Plan(Desired({spec}), World(10));
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("CreatePool"));
    EXPECT_FALSE(plan.actions[0].resize_timeout.has_value());
    EXPECT_FALSE(plan.actions[0].target_dedicated_nodes.has_value());

    auto o = World(10);
    auto live = Live(spec);
    live.target_dedicated_nodes = 5;
    o.accounts["render-eus"].pools.push_back(live);
    plan = Plan(Desired({spec}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_TRUE(Codes(plan).empty());
}

/// An owned pool in a world with replicas for 3000 nodes, as `mutate` leaves it.
model::Plan AutoscalePlan(const model::PoolSpec& spec,
                          const std::function<void(model::ObservedPool&)>& mutate) {
    auto o = World(10);
    auto live = Live(spec);
    mutate(live);
    o.accounts["render-eus"].pools.push_back(live);
    return Plan(Desired({spec}), o);
}

TEST(Planner, AutoscaleChangesAreOneEnableOrDisable) {
    auto spec = Spec("auto", 0);
    spec.fixed.reset();
    spec.autoscale = model::AutoScale{"$TargetDedicatedNodes=1;", minutes(15), 3000};
    const std::string capped = model::CappedFormula(*spec.autoscale);
    struct AutoscaleRow {
        const char* name;
        std::function<void(model::ObservedPool&)> mutate;
        std::vector<std::string> kinds;
    };
    const std::vector<AutoscaleRow> rows = {
        {"same formula and interval", [](auto&) {}, {}},
        {"interval not returned", [](auto& p) { p.auto_scale_evaluation_interval.reset(); }, {}},
        {"formula changed",
         [](auto& p) { p.auto_scale_formula = "$TargetDedicatedNodes=5;"; },
         {"EnableAutoScale"}},
        {"created before the cap",
         [](auto& p) { p.auto_scale_formula = "$TargetDedicatedNodes=1;"; },
         {"EnableAutoScale"}},
        {"interval changed",
         [](auto& p) { p.auto_scale_evaluation_interval = minutes(5); },
         {"EnableAutoScale"}},
        {"fixed size, steady",
         [](auto& p) {
             p.enable_auto_scale = false;
             p.auto_scale_formula.clear();
             p.target_dedicated_nodes = 4;
         },
         {"EnableAutoScale"}},
        {"fixed size, resizing",
         [](auto& p) {
             p.enable_auto_scale = false;
             p.auto_scale_formula.clear();
             p.allocation_state = "resizing";
         },
         {}},
        {"formula changed, not owned",
         [](auto& p) {
             p.auto_scale_formula = "x";
             p.metadata.clear();
         },
         {}},
    };
    for (const auto& row : rows) {
        auto plan = AutoscalePlan(spec, row.mutate);
        EXPECT_EQ(Kinds(plan), row.kinds) << row.name;
        for (const auto& a : plan.actions) {
            EXPECT_EQ(a.if_match, "0x1") << row.name;
            EXPECT_EQ(model::CappedFormula(*a.spec->autoscale), capped) << row.name;
        }
    }
    // The pool file gives a fixed size to a pool that autoscales: disable, then (next pass,
    // the pool fixed at what autoscale left) resize with the rule.
    auto fixed = Spec("auto", 20);
    auto plan = AutoscalePlan(fixed, [&](auto& p) {
        p.enable_auto_scale = true;
        p.auto_scale_formula = capped;
        p.target_dedicated_nodes = 3;
    });
    EXPECT_EQ(Kinds(plan), std::vector<std::string>{"DisableAutoScale"});
    plan = AutoscalePlan(fixed, [&](auto& p) { p.target_dedicated_nodes = 3; });
    EXPECT_EQ(Kinds(plan), std::vector<std::string>{"ResizePool"});
}

TEST(Planner, EnablingAutoscaleWaitsForReplicasOfMaxNodes) {
    auto spec = Spec("auto", 0);
    spec.fixed.reset();
    spec.autoscale = model::AutoScale{"$TargetDedicatedNodes=1;", minutes(15), 3000};
    auto o = World(1);  // 1 replica: 3000 nodes need 10
    auto live = Live(spec);
    live.enable_auto_scale = false;
    live.auto_scale_formula.clear();
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({spec}), o);
    EXPECT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "WaitForReplication"));
    EXPECT_THAT(plan.actions[1].reason, testing::HasSubstr("enabling autoscale"));
}

TEST(Planner, OwnedPoolsNoFileDeclaresAreOrphanedAndLeftAsTheyAre) {
    auto kept = Spec("kept", 300);
    auto o = World(1);
    auto& pools = o.accounts["render-eus"].pools;
    pools.push_back(Live(kept));
    pools.push_back(Live(Spec("Gone", 600)));  // owned, no longer declared
    auto foreign = Live(Spec("foreign", 5));
    foreign.metadata.clear();  // not poolwarden's
    pools.push_back(foreign);
    o.accounts["render-wus"].pools.push_back(Live(Spec("kept", 3)));  // same id, other account
    auto plan = Plan(Desired({kept}), o);
    EXPECT_TRUE(plan.actions.empty());
    std::vector<std::string> orphans;
    for (const auto& f : plan.findings)
        if (f.code == "Orphaned") {
            orphans.push_back(f.account + "/" + f.pool);
            EXPECT_EQ(f.severity, model::Severity::Warning);
            EXPECT_THAT(f.message, testing::HasSubstr("Fix: declare it again"));
        }
    EXPECT_THAT(orphans, testing::UnorderedElementsAre("render-eus/Gone", "render-wus/kept"));
    // Declared again, with another case: the pool is its own again.
    auto back = Spec("gone", 600);
    EXPECT_THAT(Codes(Plan(Desired({kept, back}), World(1))), testing::IsEmpty());
}

TEST(Planner, ReplicasAnOrphanedPoolUsesAreNeverLowered) {
    auto small = Spec("small", 300);  // needs 1 replica
    auto d = Desired({small});
    d.policy.lower_replicas = true;
    auto o = World(10);
    o.accounts["render-eus"].pools.push_back(Live(small));
    EXPECT_THAT(Kinds(Plan(d, o)), testing::ElementsAre("SetRegionalReplicas"))
        << "without an orphan, lowerReplicas lowers 10 -> 1";
    o.accounts["render-eus"].pools.push_back(Live(Spec("gone", 3000)));
    EXPECT_TRUE(Plan(d, o).actions.empty()) << "the orphan's 3000 nodes keep their replicas";
}

TEST(Planner, PruneDeleteWaitsForPassesGraceAndCleanFiles) {
    auto kept = Spec("kept", 10);
    auto d = Desired({kept});
    d.policy.prune_mode = model::Policy::PruneMode::Delete;
    d.policy.prune_grace = minutes(30);
    auto world = [&](int passes, model::Seconds absent) {
        auto o = World(10);
        o.accounts["render-eus"].pools.push_back(Live(kept));
        auto gone = Live(Spec("Gone", 600));
        gone.e_tag = "0xGONE";
        o.accounts["render-eus"].pools.push_back(gone);
        if (passes > 0) o.orphan_history["render-eus/gone"] = {passes, absent};
        return o;
    };
    struct PruneRow {
        const char* name;
        int passes;
        model::Seconds absent;
        bool clean;
        bool deletes;
    };
    const std::vector<PruneRow> rows = {
        {"first sight", 0, model::Seconds(0), true, false},
        {"2 passes, past the grace", 2, minutes(60), true, false},
        {"3 passes, grace not over", 3, minutes(29), true, false},
        {"3 passes, exactly the grace", 3, minutes(30), true, true},
        {"10 passes, a pool file has errors", 10, minutes(90), false, false},
    };
    for (const auto& row : rows) {
        d.pool_files_clean = row.clean;
        auto plan = Plan(d, world(row.passes, row.absent));
        if (row.deletes) {
            ASSERT_THAT(Kinds(plan), testing::ElementsAre("DeletePool")) << row.name;
            EXPECT_EQ(plan.actions[0].pool, "Gone");
            EXPECT_EQ(plan.actions[0].if_match, "0xGONE");
        } else {
            EXPECT_THAT(Kinds(plan), testing::IsEmpty()) << row.name;
        }
        if (row.clean)
            EXPECT_THAT(PendingDeletions(d, plan), testing::ElementsAre("render-eus/Gone"))
                << row.name;
        else
            EXPECT_THAT(PendingDeletions(d, plan), testing::IsEmpty()) << row.name;
    }
    // Deletions come first in the plan.
    d.pool_files_clean = true;
    auto o = world(3, minutes(30));
    o.accounts["render-eus"].pools[0].target_dedicated_nodes = 5;
    EXPECT_THAT(Kinds(Plan(d, o)), testing::ElementsAre("DeletePool", "ResizePool"));
    // A pool withheld from this pass (its image could not be read) is declared all the same.
    d.withheld = {"render-eus/gone"};
    EXPECT_THAT(Codes(Plan(d, world(3, minutes(30)))), testing::IsEmpty());
    // orphan mode: nothing is pending.
    d.withheld.clear();
    d.policy.prune_mode = model::Policy::PruneMode::Orphan;
    auto plan = Plan(d, world(30, minutes(300)));
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_TRUE(PendingDeletions(d, plan).empty());
}

}  // namespace
}  // namespace pw::planner::plan_test
