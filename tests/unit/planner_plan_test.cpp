#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

#include "planner/planner.hpp"
#include "planner/rules.hpp"

namespace pw::planner {
namespace {

using model::ActionKind;
using model::Severity;
using std::chrono::minutes;
using std::chrono::seconds;

const char* kVersionId =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0";

model::ImageVersionId Version(const char* id = kVersionId) {
    return *model::ParseImageVersionId(id);
}

model::PoolSpec Spec(std::string id, int dedicated, int low = 0,
                     std::string account = "render-eus") {
    model::PoolSpec s;
    s.id = std::move(id);
    s.account = std::move(account);
    s.vm_size = "Standard_D4s_v3";
    s.image = Version();
    s.node_agent_sku_id = "batch.node.ubuntu 22.04";
    s.fixed = model::FixedScale{dedicated, low};
    s.task_slots_per_node = 4;
    s.start_task = model::StartTask{"/bin/sh -c 'echo ready'", true, true, 0, {}, {}};
    s.metadata = {{"team", "vfx"}};
    return s;
}

model::DesiredState Desired(std::vector<model::PoolSpec> pools) {
    model::DesiredState d;
    d.accounts.push_back({"render-eus", "sub", "rg-batch", "renderbatch", {}, {}});
    d.accounts.push_back({"render-wus", "sub", "rg-batch", "renderwest", {}, {}});
    d.pools = std::move(pools);
    return d;
}

/// The example world: render-eus in eastus with no pools, render/1.4.0 with `replicas` in
/// East US in `state`, image render Linux Generalized.
model::ObservedState World(int replicas, std::string state = "Completed") {
    model::ObservedState o;
    o.accounts["render-eus"].location = "eastus";
    o.accounts["render-wus"].location = "westus";
    model::ObservedImageVersion v;
    v.id = kVersionId;
    v.location = "eastus";
    v.provisioning_state = "Succeeded";
    v.storage_account_type = "Standard_LRS";
    v.target_regions = {{"East US", replicas, "Standard_LRS", ""}};
    v.aggregated_state = state;
    v.summary = {{"East US", state, state == "Completed" ? 100 : 40}};
    o.image_versions[model::ResourceKey(kVersionId)] = v;
    model::ObservedImage img{Version().image_definition_id(), "Linux", "Generalized", "V2"};
    o.images[model::ResourceKey(img.id)] = img;
    return o;
}

/// A live pool exactly as the spec asks for, owned by poolwarden.
model::ObservedPool Live(const model::PoolSpec& s) {
    model::ObservedPool p;
    p.id = s.id;
    p.e_tag = "0x1";
    p.vm_size = "standard_d4s_v3";  // Batch lower-cases vmSize
    p.virtual_machine_image_id = s.image_reference();
    p.node_agent_sku_id = s.node_agent_sku_id;
    if (s.fixed) {
        p.target_dedicated_nodes = p.current_dedicated_nodes = s.fixed->target_dedicated_nodes;
        p.target_low_priority_nodes = p.current_low_priority_nodes =
            s.fixed->target_low_priority_nodes;
    } else {
        p.enable_auto_scale = true;
        p.auto_scale_formula = model::CappedFormula(*s.autoscale);  // as poolwarden creates it
        p.auto_scale_evaluation_interval = s.autoscale->evaluation_interval;
    }
    p.task_slots_per_node = s.task_slots_per_node;
    p.start_task = s.start_task;
    p.metadata = s.metadata;
    p.metadata[model::kManagedByKey] = model::kManagedByValue;
    p.metadata[model::kSpecHashKey] = "h";
    return p;
}

std::vector<std::string> Kinds(const model::Plan& plan) {
    std::vector<std::string> out;
    for (const auto& a : plan.actions) out.emplace_back(model::ToString(a.kind));
    return out;
}

std::vector<std::string> Codes(const model::Plan& plan) {
    std::vector<std::string> out;
    for (const auto& f : plan.findings)
        out.push_back(std::string(model::ToString(f.severity)) + ":" + f.code);
    return out;
}

model::Plan Plan(const model::DesiredState& d, const model::ObservedState& o) {
    return MakePlan(d, o, std::chrono::system_clock::time_point{});
}

/// What the executor and Azure would make of the plan (replication completes at once).
void Apply(const model::Plan& plan, model::ObservedState& o) {
    std::set<std::string> patched;
    for (const auto& a : plan.actions) {
        auto pool_of = [&]() -> model::ObservedPool& {
            auto& pools = o.accounts.at(a.account).pools;
            return *std::find_if(pools.begin(), pools.end(),
                                 [&](const auto& p) { return p.id == a.pool; });
        };
        switch (a.kind) {
            case ActionKind::AddTargetRegion:
            case ActionKind::SetRegionalReplicas: {
                auto& v = o.image_versions.at(model::ResourceKey(a.image_version));
                if (!patched.insert(a.image_version).second) break;  // one PATCH per version
                v.target_regions = a.target_regions;
                v.summary.clear();
                for (const auto& r : v.target_regions)
                    v.summary.push_back({r.name, "Completed", 100});
                break;
            }
            case ActionKind::WaitForReplication:
                break;
            case ActionKind::CreatePool:
                o.accounts.at(a.account).pools.push_back(Live(*a.spec));
                break;
            case ActionKind::ResizePool:
                pool_of().target_dedicated_nodes = *a.target_dedicated_nodes;
                pool_of().target_low_priority_nodes = *a.target_low_priority_nodes;
                break;
            case ActionKind::PatchPool:
                pool_of().start_task = a.spec->start_task;
                pool_of().metadata = a.spec->metadata;
                pool_of().metadata[model::kManagedByKey] = model::kManagedByValue;
                break;
            case ActionKind::EnableAutoScale:
                pool_of().enable_auto_scale = true;
                pool_of().auto_scale_formula = model::CappedFormula(*a.spec->autoscale);
                pool_of().auto_scale_evaluation_interval = a.spec->autoscale->evaluation_interval;
                break;
            case ActionKind::DisableAutoScale:
                pool_of().enable_auto_scale = false;
                pool_of().auto_scale_formula.clear();
                break;
            case ActionKind::DeletePool:
                pool_of().state = "deleting";
                break;
        }
    }
}

/// Plans and applies until the plan is empty; returns the number of rounds with actions.
int Converge(const model::DesiredState& d, model::ObservedState& o) {
    for (int round = 0; round < 6; ++round) {
        auto plan = Plan(d, o);
        if (plan.actions.empty()) {
            EXPECT_FALSE(plan.requeue_after.has_value());
            return round;
        }
        Apply(plan, o);
    }
    ADD_FAILURE() << "did not converge";
    return -1;
}

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

TEST(Planner, IdentityDriftIsAWarningWhenTheLivePoolReportsOtherIdentities) {
    const std::string ids =
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-id/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/";
    auto spec = Spec("render-linux", 300);
    spec.identities = {ids + "render-a", ids + "render-b"};
    auto o = World(1);
    auto live = Live(spec);
    auto findings = [&](std::vector<std::string> live_ids) {
        live.identities = std::move(live_ids);
        o.accounts["render-eus"].pools = {live};
        return Plan(Desired({spec}), o);
    };
    // The same identities, in another order and case: no drift.
    EXPECT_TRUE(findings({ids + "RENDER-B", ids + "render-a"}).findings.empty());
    // One replaced: a warning with both lists and the fix; nothing is written for it.
    auto plan = findings({ids + "render-a", ids + "render-c"});
    ASSERT_THAT(Codes(plan), testing::ElementsAre("warning:IdentityDrift"));
    EXPECT_THAT(
        plan.findings[0].message,
        testing::StartsWith("identity.userAssignedIdentities [\"" + ids + "render-a\", \"" + ids +
                            "render-c\"] -> [\"" + ids + "render-a\", \"" + ids + "render-b\"]: "));
    EXPECT_THAT(plan.findings[0].message, testing::HasSubstr("Fix: "));
    EXPECT_TRUE(plan.actions.empty());
    // A pool that reports no identity is not compared (the list may leave the envelope out).
    EXPECT_TRUE(findings({}).findings.empty());
    // The file dropped every identity while the pool has one: drift.
    spec.identities.clear();
    EXPECT_THAT(Codes(findings({ids + "render-a"})), testing::ElementsAre("warning:IdentityDrift"));
}

TEST(Planner, ImmutableDriftIsReportedAndNothingDestructiveHappens) {
    auto spec = Spec("render-linux", 3000);
    auto o = World(10);
    auto live = Live(Spec("render-linux", 300));
    live.vm_size = "standard_d8s_v3";
    live.task_slots_per_node = 1;
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({spec}), o);
    EXPECT_TRUE(plan.actions.empty());
    ASSERT_THAT(Codes(plan), testing::ElementsAre("warning:ImmutableDrift"));
    // Each field with its live and its pool-file value (old -> new).
    EXPECT_THAT(
        plan.findings[0].message,
        testing::StartsWith(
            "vmSize \"standard_d8s_v3\" -> \"Standard_D4s_v3\", taskSlotsPerNode 1 -> 4: "));
    // Ids and sizes compare case-insensitively: no drift.
    live = Live(spec);
    live.virtual_machine_image_id = model::ResourceKey(kVersionId);
    live.vm_size = "STANDARD_D4S_V3";
    o.accounts["render-eus"].pools = {live};
    EXPECT_TRUE(Plan(Desired({spec}), o).findings.empty());
}

TEST(Planner, AStartTaskWithTableMembersMatchesWhatBatchReturns) {
    // A spec start task running as the admin auto user through userIdentity, with resource
    // files; Batch returns it decoded as elevated, without the members the decoder skips.
    auto spec = Spec("render-linux", 300);
    spec.start_task->elevated = false;
    model::PropValue level;
    level.kind = model::PropValue::Kind::String;
    level.text = "admin";
    model::PropValue auto_user;
    auto_user.members.push_back({"elevationLevel", level});
    model::PropValue identity;
    identity.members.push_back({"autoUser", auto_user});
    model::PropValue files;
    files.kind = model::PropValue::Kind::List;
    files.items.emplace_back();
    spec.start_task->properties.members = {{"resourceFiles", files}, {"userIdentity", identity}};
    auto o = World(10);
    auto live = Live(spec);
    live.start_task->properties = {};
    live.start_task->elevated = true;
    o.accounts["render-eus"].pools.push_back(live);
    EXPECT_TRUE(Plan(Desired({spec}), o).actions.empty());
    // A non-admin identity against an elevated live task is a difference.
    level.text = "nonadmin";
    auto_user.members = {{"elevationLevel", level}};
    identity.members = {{"autoUser", auto_user}};
    spec.start_task->properties.members = {{"userIdentity", identity}};
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].reason, "startTask differs");
}

TEST(Planner, MutableDifferencesArePatched) {
    auto spec = Spec("render-linux", 300);
    auto o = World(10);
    auto live = Live(spec);
    live.metadata["team"] = "fx";
    live.start_task->command_line = "old";
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].reason, "startTask differs; metadata differs");
    EXPECT_EQ(plan.actions[0].if_match, "0x1");
}

// Table-declared properties, as a GET of the pool returns them (ObservedPool::properties).
model::PropValue Str(std::string text) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::String;
    v.text = std::move(text);
    return v;
}
model::PropValue Int(std::int64_t n) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::Int;
    v.integer = n;
    return v;
}
model::PropValue Bool(bool b) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::Bool;
    v.boolean = b;
    return v;
}
model::PropValue List(std::vector<model::PropValue> items) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::List;
    v.items = std::move(items);
    return v;
}
model::PropValue Obj(std::vector<model::PropMember> members) {
    model::PropValue v;
    v.members = std::move(members);
    return v;
}
model::PropValue Disk(int lun, int gb) { return Obj({{"lun", Int(lun)}, {"diskSizeGB", Int(gb)}}); }

/// A spec with table properties of each update class, and the live pool that matches it
/// (hash stale, so that its properties were read).
struct PropsCase {
    model::PoolSpec spec = Spec("render-linux", 300);
    model::ObservedPool live;
    PropsCase() {
        spec.start_task->elevated = false;
        spec.properties = Obj({
            {"displayName", Str("Render")},
            {"virtualMachineConfiguration",
             Obj({{"dataDisks", List({Disk(0, 64), Disk(1, 128)})},
                  {"containerConfiguration",
                   Obj({{"type", Str("dockerCompatible")},
                        {"containerImageNames", List({Str("a:1"), Str("b:2")})}})}})},
            {"applicationPackageReferences",
             List({Obj({{"applicationId", Str("blender")}, {"version", Str("4.1")}})})},
            {"targetNodeCommunicationMode", Str("simplified")},
        });
        live = Live(spec);
        live.properties = model::ObservedProperties{spec.properties, {}};
    }
    model::PropValue& have(std::string_view key) {
        for (auto& m : live.properties->pool.members)
            if (m.key == key) return m.value;
        live.properties->pool.members.push_back({std::string(key), {}});
        return live.properties->pool.members.back().value;
    }
    model::Plan plan() {
        auto o = World(10);
        o.accounts["render-eus"].pools = {live};
        return Plan(Desired({spec}), o);
    }
};

TEST(PlannerProperties, WhatBatchReturnsForTheSameIntentIsNoDrift) {
    PropsCase c;
    // Server defaults Batch fills in, equal to the REST defaults; enum spelling; list order.
    c.have("enableInterNodeCommunication") = Bool(false);
    c.have("taskSchedulingPolicy") = Obj({{"nodeFillType", Str("Spread")}});
    c.have("targetNodeCommunicationMode") = Str("Simplified");
    auto& vm = c.have("virtualMachineConfiguration");
    vm.members[0].value = List({Disk(1, 128), Disk(0, 64)});
    vm.members[1].value.members[0].value = Str("DockerCompatible");
    vm.members[1].value.members[1].value = List({Str("b:2"), Str("a:1")});
    // The spec names a registry password file: never compared (Batch never returns it).
    model::PropValue secret;
    secret.kind = model::PropValue::Kind::SecretFile;
    secret.text = "secrets/registry";
    c.spec.properties.members[1].value.members[1].value.members.push_back(
        {"containerRegistries", List({Obj({{"username", Str("u")}, {"passwordFile", secret}})})});
    vm.members[1].value.members.push_back(
        {"containerRegistries", List({Obj({{"username", Str("u")}})})});
    auto plan = c.plan();
    EXPECT_TRUE(plan.actions.empty()) << plan.actions[0].reason;
    EXPECT_TRUE(plan.findings.empty()) << plan.findings[0].message;
    // A property absent from the pool file is never drift, whatever the pool has.
    c.have("userAccounts") = List({Obj({{"name", Str("render")}})});
    c.have("displayName") = Str("Set by someone else");
    c.spec.properties.members.erase(c.spec.properties.members.begin());  // displayName
    EXPECT_TRUE(c.plan().findings.empty());
}

TEST(PlannerProperties, PatchableDifferencesArePatchedWithTheObservedETag) {
    PropsCase c;
    c.have("targetNodeCommunicationMode") = Str("classic");
    c.have("applicationPackageReferences") =
        List({Obj({{"applicationId", Str("blender")}, {"version", Str("4.0")}})});
    c.live.properties->start_task = Obj({{"resourceFiles", List({Obj({{"httpUrl", Str("u")}})})}});
    c.live.e_tag = "0x9";
    auto plan = c.plan();
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_TRUE(plan.findings.empty());
    EXPECT_EQ(plan.actions[0].if_match, "0x9");
    EXPECT_EQ(plan.actions[0].reason,
              "patchable applicationPackageReferences[0].version \"4.0\" -> \"4.1\", "
              "targetNodeCommunicationMode \"classic\" -> \"simplified\"");
    EXPECT_FALSE(plan.actions[0].keep_spec_hash.has_value()) << "the PATCH makes the pool match";
    // startTask members declared in the pool file are patchable too.
    c.spec.start_task->properties = Obj({{"resourceFiles", List({Obj({{"httpUrl", Str("v")}})})}});
    plan = c.plan();
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_THAT(plan.actions[0].reason,
                testing::HasSubstr("startTask.resourceFiles[0].httpUrl \"u\" -> \"v\""));
}

TEST(PlannerProperties, EmptyOnlyDifferencesAreOneFindingAndNeverVouchedFor) {
    PropsCase c;
    c.have("displayName") = Str("Old");
    c.have("virtualMachineConfiguration").members[0].value = List({Disk(0, 64), Disk(1, 32)});
    c.live.metadata["team"] = "fx";  // a patchable difference besides
    c.live.metadata[model::kSpecHashKey] = "old-hash";
    c.live.target_dedicated_nodes = 100;
    c.live.current_dedicated_nodes = 100;
    auto plan = c.plan();
    ASSERT_THAT(Codes(plan), testing::ElementsAre("warning:EmptyOnlyDrift"));
    EXPECT_EQ(plan.findings[0].message,
              "displayName \"Old\" -> \"Render\", virtualMachineConfiguration.dataDisks[1]."
              "diskSizeGB 32 -> 128: Batch changes these only while the pool has no nodes, and "
              "poolwarden does not apply them (updatePolicy strategy manual); to apply them, set "
              "updatePolicy.strategy: drainAndSwap, or scale the pool to 0 nodes and change them "
              "yourself");
    // Not held: the pool still grows and its patchable fields are patched, but the PATCH keeps
    // the pool's old spec hash, so that the next pass still compares the properties.
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("ResizePool", "PatchPool"));
    EXPECT_EQ(plan.actions[1].keep_spec_hash, std::optional<std::string>("old-hash"));
    c.live.metadata.erase(model::kSpecHashKey);
    EXPECT_EQ(c.plan().actions[1].keep_spec_hash, std::optional<std::string>(""));
}

TEST(PlannerProperties, ImmutableDriftStillFreezesAndEmptyOnlyDriftIsShownBeside) {
    PropsCase c;
    c.have("displayName") = Str("Old");
    c.live.vm_size = "standard_d8s_v3";
    c.live.metadata["team"] = "fx";
    auto plan = c.plan();
    EXPECT_THAT(Codes(plan),
                testing::ElementsAre("warning:EmptyOnlyDrift", "warning:ImmutableDrift"));
    EXPECT_TRUE(plan.actions.empty());
}

TEST(PlannerProperties, UnreadPropertiesAreNotVouchedFor) {
    PropsCase c;
    c.live.properties.reset();
    c.live.properties_unread = true;
    c.live.metadata["team"] = "fx";
    auto plan = c.plan();
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].keep_spec_hash, std::optional<std::string>("h"));
    EXPECT_THAT(Codes(plan), testing::ElementsAre("info:PropertiesUnread"));
    // Not read (the hash vouches for them): no comparison, the PATCH writes the new hash.
    c.live.properties_unread = false;
    plan = c.plan();
    EXPECT_FALSE(plan.actions[0].keep_spec_hash.has_value());
    EXPECT_TRUE(plan.findings.empty());
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
}  // namespace pw::planner

namespace pw::planner {
namespace {

const char* kNewVersionId =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.5.0";

/// A pool that follows the latest version of render.
model::PoolSpec FollowingSpec(std::string id, int dedicated, std::string account = "render-eus") {
    auto s = Spec(std::move(id), dedicated, 0, std::move(account));
    s.image.version.clear();
    s.image_follows_latest = true;
    return s;
}

/// World(replicas) plus render's version list and 1.5.0 published with `new_replicas` in East
/// US (Completed).
model::ObservedState WorldWithNewVersion(int replicas, int new_replicas) {
    auto o = World(replicas);
    model::ObservedImageVersion v = o.image_versions.begin()->second;
    v.id = kNewVersionId;
    v.target_regions = {{"East US", new_replicas, "Standard_LRS", ""}};
    o.image_versions[model::ResourceKey(kNewVersionId)] = v;
    o.image_version_lists[model::ResourceKey(Version().image_definition_id())] = {
        {"1.4.0", "Succeeded", false}, {"1.5.0", "Succeeded", false}};
    return o;
}

TEST(PlannerLatest, NewLatestVersionGetsReplicasBeforeTheFollowingPoolGrows) {
    auto o = WorldWithNewVersion(10, 1);
    auto live = FollowingSpec("render-latest", 300);
    o.accounts["render-eus"].pools.push_back(Live(live));
    auto spec = FollowingSpec("render-latest", 3000);
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "WaitForReplication"));
    EXPECT_EQ(plan.actions[0].image_version, kNewVersionId) << "the resolved version is raised";
    EXPECT_EQ(plan.actions[0].from, 1);
    EXPECT_EQ(plan.actions[0].to, 10);
    EXPECT_EQ(plan.actions[1].image_version, kNewVersionId);
    EXPECT_THAT(plan.actions[1].reason, testing::StartsWith("growing"));
    EXPECT_TRUE(Codes(plan).empty()) << "no ImmutableDrift: Batch reports the definition id";

    Apply(plan, o);
    plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("ResizePool"));
    Apply(plan, o);
    EXPECT_TRUE(Plan(Desired({spec}), o).actions.empty());
}

TEST(PlannerLatest, RaisesTheNewVersionInEveryRegionWithFollowingPools) {
    auto o = WorldWithNewVersion(10, 1);
    auto plan = Plan(Desired({FollowingSpec("east", 600), FollowingSpec("west", 900, "render-wus"),
                              Spec("pinned", 3000)}),
                     o);
    std::vector<std::string> writes;
    for (const auto& a : plan.actions)
        if (a.kind == ActionKind::SetRegionalReplicas || a.kind == ActionKind::AddTargetRegion)
            writes.push_back(std::string(model::ToString(a.kind)) + " " + a.region + " " +
                             a.image_version.substr(a.image_version.rfind('/') + 1) + " -> " +
                             std::to_string(*a.to));
    EXPECT_THAT(writes, testing::ElementsAre("SetRegionalReplicas East US 1.5.0 -> 2",
                                             "AddTargetRegion westus 1.5.0 -> 3"));
    for (const auto& a : plan.actions)
        if (a.kind == ActionKind::CreatePool && a.pool != "pinned")
            ADD_FAILURE() << a.pool << " is created before its replicas are ready";
}

TEST(PlannerLatest, ExcludedAndUnfinishedVersionsAreNotFollowed) {
    auto o = WorldWithNewVersion(10, 1);
    auto& list = o.image_version_lists.begin()->second;
    list[1].exclude_from_latest = true;
    auto plan = Plan(Desired({FollowingSpec("render-latest", 300)}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("CreatePool"));
    EXPECT_EQ(plan.actions[0].image_version, kVersionId);
    EXPECT_EQ(plan.actions[0].spec->image_reference(), Version().image_definition_id())
        << "Pool-Add names the definition";

    list[0].provisioning_state = "Failed";
    plan = Plan(Desired({FollowingSpec("render-latest", 300)}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan), testing::ElementsAre("error:ImageNotFound"));
    EXPECT_THAT(plan.findings[0].message, testing::HasSubstr("has no version Batch would take"));
}

TEST(PlannerSecrets, ARotatedPropertySecretIsAnEmptyOnlyFindingAndNoPatchRecordsIt) {
    auto spec = Spec("render-linux", 300);
    model::PropValue key;
    key.kind = model::PropValue::Kind::SecretFile;
    key.text = "secrets/storage-key";
    model::PropValue blob;
    blob.kind = model::PropValue::Kind::Object;
    blob.members.push_back({"accountKeyFile", key});
    model::PropValue mount;
    mount.kind = model::PropValue::Kind::Object;
    mount.members.push_back({"azureBlobFileSystemConfiguration", blob});
    model::PropValue mounts;
    mounts.kind = model::PropValue::Kind::List;
    mounts.items = {mount, mount};
    spec.properties.kind = model::PropValue::Kind::Object;
    spec.properties.members.push_back({"mountConfiguration", mounts});
    spec.property_secret_digest = "aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb";
    auto o = World(10);
    auto live = Live(spec);
    o.accounts["render-eus"].pools.push_back(live);
    EXPECT_TRUE(Plan(Desired({spec}), o).findings.empty()) << "no record (adopted): unknown";
    o.accounts["render-eus"].pools[0].metadata[model::kPropertySecretDigestKey] =
        spec.property_secret_digest;
    EXPECT_TRUE(Plan(Desired({spec}), o).findings.empty()) << "as created";

    spec.property_secret_digest = "aaaaaaaaaaaaaaaa.cccccccccccccccc";  // the second rotated
    spec.metadata["team"] = "fx";                                       // and a patchable change
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Codes(plan), testing::ElementsAre("warning:EmptyOnlyDrift"));
    EXPECT_THAT(plan.findings[0].message,
                testing::StartsWith("mountConfiguration[1].azureBlobFileSystemConfiguration."
                                    "accountKeyFile (the secret it was created with) -> "
                                    "(rotated file): Batch changes these only while"));
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].keep_property_secret_digest,
              std::optional<std::string>("aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb"))
        << "the PATCH cannot send the new key: the record stays";
}

TEST(PlannerSecrets, ARotatedStartTaskSecretPatchesThePoolOnce) {
    auto spec = Spec("render-linux", 300);
    spec.secret_digest = "0011223344556677";
    auto o = World(10);
    auto live = Live(spec);
    live.metadata[model::kSecretDigestKey] = "0011223344556677";
    o.accounts["render-eus"].pools.push_back(live);
    EXPECT_TRUE(Plan(Desired({spec}), o).actions.empty()) << "same digest: nothing to write";
    spec.secret_digest = "8899aabbccddeeff";
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].reason, "a secret file of startTask changed");
    EXPECT_EQ(plan.actions[0].spec->secret_digest, "8899aabbccddeeff");
}

}  // namespace
}  // namespace pw::planner
