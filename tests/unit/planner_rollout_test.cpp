// Rollouts (updatePolicy drainAndSwap): maintenance windows, the rollout marker, the step a pool
// is at, the health gate, and a group's waves planned pass by pass from Azure's state alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "model/rollout.hpp"
#include "model/spec_hash.hpp"
#include "planner/planner.hpp"
#include "planner/rollout.hpp"

namespace pw::planner {
namespace rollout_test {

using model::ActionKind;
using Step = model::RolloutStatus::Step;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

Clock::time_point At(int year, unsigned month, unsigned day, int hour, int minute, int second = 0) {
    return Clock::time_point(
               std::chrono::sys_days(std::chrono::year(year) / std::chrono::month(month) /
                                     std::chrono::day(day))
                   .time_since_epoch()) +
           std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
}

model::MaintenanceWindow Window(std::vector<int> days, int start_minute, model::Seconds duration) {
    model::MaintenanceWindow w;
    w.days = 0;
    for (int d : days) w.days |= 1u << d;
    w.start_minute = start_minute;
    w.duration = duration;
    return w;
}

// 2026-12-05 is a Saturday, 2026-12-07 a Monday.
TEST(MaintenanceWindow, EdgesOfASaturdayWindow) {
    const std::vector<model::MaintenanceWindow> sat = {Window({5}, 60, 6h)};
    struct Case {
        Clock::time_point at;
        bool inside;
    } cases[] = {
        {At(2026, 12, 5, 0, 59, 59), false}, {At(2026, 12, 5, 1, 0), true},
        {At(2026, 12, 5, 6, 59, 59), true},  {At(2026, 12, 5, 7, 0), false},
        {At(2026, 12, 6, 1, 0), false},      {At(2026, 12, 12, 1, 30), true},
    };
    for (const auto& c : cases)
        EXPECT_EQ(model::InMaintenanceWindow(sat, c.at), c.inside)
            << std::chrono::duration_cast<std::chrono::seconds>(c.at.time_since_epoch()).count();
    EXPECT_TRUE(model::InMaintenanceWindow({}, At(2026, 12, 7, 12, 0)));  // no window: any time
}

TEST(MaintenanceWindow, AWindowCrossingMidnightBelongsToTheDayItStarts) {
    const std::vector<model::MaintenanceWindow> sun_night = {Window({6}, 23 * 60, 3h)};
    EXPECT_FALSE(model::InMaintenanceWindow(sun_night, At(2026, 12, 6, 22, 59, 59)));
    EXPECT_TRUE(model::InMaintenanceWindow(sun_night, At(2026, 12, 6, 23, 0)));
    EXPECT_TRUE(model::InMaintenanceWindow(sun_night, At(2026, 12, 7, 1, 59, 59)));
    EXPECT_FALSE(model::InMaintenanceWindow(sun_night, At(2026, 12, 7, 2, 0)));
    // Monday 23:00 is not a window: only Sunday's starts.
    EXPECT_FALSE(model::InMaintenanceWindow(sun_night, At(2026, 12, 7, 23, 30)));
}

TEST(MaintenanceWindow, NextWindowStart) {
    const std::vector<model::MaintenanceWindow> weekend = {Window({5, 6}, 60, 6h)};
    EXPECT_EQ(model::NextMaintenanceWindow(weekend, At(2026, 12, 7, 12, 0)),
              At(2026, 12, 12, 1, 0));
    EXPECT_EQ(model::NextMaintenanceWindow(weekend, At(2026, 12, 5, 1, 0)), At(2026, 12, 6, 1, 0));
    EXPECT_EQ(model::NextMaintenanceWindow(weekend, At(2026, 12, 5, 0, 59)), At(2026, 12, 5, 1, 0));
    EXPECT_FALSE(model::NextMaintenanceWindow({}, At(2026, 12, 5, 0, 59)));
}

TEST(MaintenanceWindow, ParsesDaysAndClock) {
    EXPECT_EQ(model::ParseWeekday("Mon"), 0);
    EXPECT_EQ(model::ParseWeekday("sun"), 6);
    EXPECT_EQ(model::ParseWeekday("Sunday"), -1);
    EXPECT_EQ(model::ParseClock("00:00"), 0);
    EXPECT_EQ(model::ParseClock("23:59"), 23 * 60 + 59);
    EXPECT_FALSE(model::ParseClock("24:00"));
    EXPECT_FALSE(model::ParseClock("1:00"));
    EXPECT_FALSE(model::ParseClock("01:60"));
}

TEST(RolloutMarker, RoundTripsAndRejectsOtherText) {
    model::RolloutMarker m{model::RolloutMarker::Step::Halted, "0123abcd", 1796000000,
                           "3 of 10 nodes ready; gate"};
    auto text = model::FormatRolloutMarker(m);
    EXPECT_EQ(text, "halted;target=0123abcd;since=1796000000;reason=3 of 10 nodes ready, gate");
    auto back = model::ParseRolloutMarker(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->step, m.step);
    EXPECT_EQ(back->target, m.target);
    EXPECT_EQ(back->since, m.since);
    EXPECT_FALSE(model::ParseRolloutMarker("draining;target=x;since=1"));
    EXPECT_FALSE(model::ParseRolloutMarker("swapped;target=x"));
    EXPECT_FALSE(model::ParseRolloutMarker("swapped;since=12"));
    EXPECT_FALSE(model::ParseRolloutMarker("swapped;target=x;since=1x"));
}

TEST(RolloutStep, FromAzureAlone) {
    const model::RolloutMarker swapped{model::RolloutMarker::Step::Swapped, "T", 1, {}};
    const model::RolloutMarker done{model::RolloutMarker::Step::Done, "T", 1, {}};
    const model::RolloutMarker old{model::RolloutMarker::Step::Halted, "OLD", 1, {}};
    struct Case {
        RolloutFacts f;
        Step want;
    } cases[] = {
        {{false, 10, 10, true, 10, std::nullopt, "T"}, Step::Idle},
        {{true, 10, 10, true, 10, std::nullopt, "T"}, Step::Pending},
        {{true, 10, 10, true, 10, old, "T"}, Step::Pending},  // halted on another target
        {{true, 0, 4, false, 10, std::nullopt, "T"}, Step::Draining},
        {{true, 0, 4, true, 10, std::nullopt, "T"}, Step::Draining},  // timed out: drain again
        {{true, 0, 0, false, 10, std::nullopt, "T"}, Step::Draining},
        {{true, 0, 0, true, 10, std::nullopt, "T"}, Step::Swapping},
        {{true, 0, 0, true, 10, swapped, "T"}, Step::Halted},  // the swap did not take
        {{false, 0, 0, true, 10, swapped, "T"}, Step::Regrowing},
        {{false, 10, 3, false, 10, swapped, "T"}, Step::Regrowing},
        {{false, 10, 10, true, 10, swapped, "T"}, Step::Gating},
        {{false, 10, 10, true, 10, done, "T"}, Step::Done},
        {{false, 10, 10, true, 10, old, "T"}, Step::Idle},
    };
    int i = 0;
    for (const auto& c : cases) EXPECT_EQ(DeriveRolloutStep(c.f), c.want) << "case " << i++;
}

TEST(HealthGate, Boundaries) {
    model::HealthGate gate;  // 95% ready, 2% failed, 45 min
    using R = GateVerdict::Result;
    auto judge = [&](int total, int ready, int failed, int starting, model::Seconds elapsed) {
        model::NodeCounts n;
        n.total = total;
        n.ready = ready;
        n.start_task_failed = failed;
        n.starting = starting;
        return EvaluateHealthGate(gate, &n, elapsed).result;
    };
    EXPECT_EQ(judge(100, 98, 2, 0, 1min), R::Pass);   // exactly 2% failed: allowed
    EXPECT_EQ(judge(100, 97, 3, 0, 1min), R::Fail);   // 3% > 2%
    EXPECT_EQ(judge(10, 8, 2, 0, 1min), R::Fail);     // 20% start tasks failed
    EXPECT_EQ(judge(100, 95, 0, 5, 1min), R::Wait);   // some still starting
    EXPECT_EQ(judge(100, 95, 0, 0, 1min), R::Pass);   // exactly 95% ready
    EXPECT_EQ(judge(100, 94, 0, 6, 44min), R::Wait);  // within the timeout
    EXPECT_EQ(judge(100, 94, 0, 6, 45min), R::Fail);  // at the timeout
    EXPECT_EQ(judge(0, 0, 0, 0, 1min), R::Pass);
    EXPECT_EQ(EvaluateHealthGate(gate, nullptr, 1min).result, R::Wait);
    EXPECT_EQ(EvaluateHealthGate(gate, nullptr, 45min).result, R::Fail);
}

// --- a group of three pools rolled pass by pass ------------------------------------------------

const char* kV1 =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.0.0";
const char* kV2 =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/2.0.0";

model::ObservedImageVersion VersionOf(const char* id, int replicas, const std::string& state) {
    model::ObservedImageVersion v;
    v.id = id;
    v.location = "eastus";
    v.provisioning_state = "Succeeded";
    v.storage_account_type = "Standard_LRS";
    v.target_regions = {{"East US", replicas, "Standard_LRS", ""}};
    v.aggregated_state = state;
    v.summary = {{"East US", state, 100}};
    return v;
}

struct Group {
    model::DesiredState desired;
    model::ObservedState observed;
    std::map<std::string, int> drains, swaps;
    int max_below_size = 0;
    std::vector<std::string> order;  ///< Pools in the order they were drained.
    int failing_percent = 0;         ///< Of the nodes of pools swapped to 2.0.0.

    Group() {
        desired.accounts.push_back({"render-eus", "sub", "rg-batch", "renderbatch", {}, {}});
        model::RolloutGroupPolicy gp;
        gp.canary = "canary";
        gp.max_unavailable = 1;
        desired.policy.rollout_groups["render"] = gp;
        observed.accounts["render-eus"].location = "eastus";
        observed.image_versions[model::ResourceKey(kV1)] = VersionOf(kV1, 1, "Completed");
        observed.image_versions[model::ResourceKey(kV2)] = VersionOf(kV2, 1, "Completed");
        model::ObservedImage img{model::ParseImageVersionId(kV1)->image_definition_id(), "Linux",
                                 "Generalized", "V2"};
        observed.images[model::ResourceKey(img.id)] = img;
        for (const char* id : {"b-pool", "canary", "a-pool"}) {
            model::PoolSpec s;
            s.id = id;
            s.account = "render-eus";
            s.vm_size = "Standard_D4s_v3";
            s.image = *model::ParseImageVersionId(kV2);
            s.node_agent_sku_id = "batch.node.ubuntu 22.04";
            s.fixed = model::FixedScale{600, 0};
            model::UpdatePolicy up;
            up.strategy = model::UpdatePolicy::Strategy::DrainAndSwap;
            up.group = "render";
            s.update_policy = up;
            desired.pools.push_back(s);
            model::ObservedPool p;
            p.id = id;
            p.e_tag = "0x1";
            p.vm_size = "standard_d4s_v3";
            p.virtual_machine_image_id = kV1;
            p.node_agent_sku_id = s.node_agent_sku_id;
            p.target_dedicated_nodes = p.current_dedicated_nodes = 600;
            p.metadata[model::kManagedByKey] = model::kManagedByValue;
            p.metadata[model::kSpecHashKey] = "old";
            observed.accounts["render-eus"].pools.push_back(p);
        }
    }

    model::ObservedPool& Pool(const std::string& id) {
        auto& pools = observed.accounts["render-eus"].pools;
        return *std::find_if(pools.begin(), pools.end(), [&](const auto& p) { return p.id == id; });
    }

    /// Azure's side of the plan's writes, completed at once (drains, regrowth, replication).
    void Apply(const model::Plan& plan) {
        for (const auto& a : plan.actions) {
            if (a.kind == ActionKind::SetRegionalReplicas ||
                a.kind == ActionKind::AddTargetRegion) {
                auto& v = observed.image_versions[model::ResourceKey(a.image_version)];
                v.target_regions = a.target_regions;
                continue;
            }
            if (a.pool.empty()) continue;
            auto& p = Pool(a.pool);
            p.e_tag += "1";
            if (a.kind == ActionKind::ResizePool) {
                if (*a.target_dedicated_nodes == 0) {
                    ++drains[a.pool];
                    order.push_back(a.pool);
                    EXPECT_EQ(a.node_deallocation_option, "taskcompletion");
                }
                p.target_dedicated_nodes = p.current_dedicated_nodes = *a.target_dedicated_nodes;
                const int failing = p.current_dedicated_nodes * failing_percent / 100;
                model::NodeCounts n;
                n.total = p.current_dedicated_nodes;
                n.start_task_failed = p.virtual_machine_image_id == kV2 ? failing : 0;
                n.ready = n.total - n.start_task_failed;
                p.nodes = n;
            } else if (a.kind == ActionKind::PatchPool) {
                if (a.swap) {
                    ++swaps[a.pool];
                    EXPECT_EQ(p.current_dedicated_nodes, 0) << "swap of a pool with nodes";
                    p.virtual_machine_image_id = a.spec->image_reference();
                }
                if (!a.rollout_marker.empty()) p.metadata[model::kRolloutKey] = a.rollout_marker;
            }
        }
        int below = 0;
        for (const auto& p : observed.accounts["render-eus"].pools)
            if (p.current_dedicated_nodes < 600) ++below;
        max_below_size = std::max(max_below_size, below);
    }

    model::Plan Pass(Clock::time_point now) {
        auto plan = MakePlan(desired, observed, now);
        Apply(plan);
        return plan;
    }
};

TEST(RolloutPlan, CanaryFirstThenOnePoolAtATimeEachSwappedOnce) {
    Group g;
    // 2.0.0 holds 1 replica; 600 VMs need 2 per pool, 6 for three: raised before any drain.
    auto first = g.Pass(At(2026, 12, 7, 12, 0));
    EXPECT_TRUE(g.drains.empty());
    EXPECT_THAT(first.actions, testing::Contains(testing::Field(&model::Action::kind,
                                                                ActionKind::SetRegionalReplicas)));
    for (int pass = 0; pass < 40; ++pass) g.Pass(At(2026, 12, 7, 12, pass + 1));
    EXPECT_EQ(g.order, (std::vector<std::string>{"canary", "a-pool", "b-pool"}));
    EXPECT_EQ(g.max_below_size, 1);
    for (const char* id : {"canary", "a-pool", "b-pool"}) {
        EXPECT_EQ(g.drains[id], 1) << id;
        EXPECT_EQ(g.swaps[id], 1) << id;
        EXPECT_EQ(g.Pool(id).virtual_machine_image_id, kV2) << id;
        EXPECT_EQ(g.Pool(id).current_dedicated_nodes, 600) << id;
        auto m = model::ParseRolloutMarker(g.Pool(id).metadata[model::kRolloutKey]);
        ASSERT_TRUE(m) << id;
        EXPECT_EQ(m->step, model::RolloutMarker::Step::Done) << id;
    }
    // Converged: nothing more to write.
    auto last = g.Pass(At(2026, 12, 7, 13, 0));
    EXPECT_TRUE(last.actions.empty());
}

TEST(RolloutPlan, AFailingCanaryHaltsTheGroup) {
    Group g;
    g.failing_percent = 20;
    for (int pass = 0; pass < 30; ++pass) g.Pass(At(2026, 12, 7, 12, pass));
    EXPECT_EQ(g.order, (std::vector<std::string>{"canary"}));
    auto m = model::ParseRolloutMarker(g.Pool("canary").metadata[model::kRolloutKey]);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->step, model::RolloutMarker::Step::Halted);
    auto plan = g.Pass(At(2026, 12, 7, 13, 0));
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(plan.findings,
                testing::Contains(testing::Field(&model::Finding::code, "RolloutHalted")));
    EXPECT_EQ(g.Pool("a-pool").current_dedicated_nodes, 600);
    EXPECT_EQ(g.Pool("b-pool").virtual_machine_image_id, kV1);
    auto halted = std::count_if(plan.rollouts.begin(), plan.rollouts.end(),
                                [](const auto& r) { return r.step == Step::Halted; });
    EXPECT_EQ(halted, 1);
}

TEST(RolloutPlan, DrainsStartOnlyInsideAWindow) {
    Group g;
    for (auto& s : g.desired.pools) s.update_policy->windows = {Window({5, 6}, 60, 6h)};
    for (int pass = 0; pass < 5; ++pass) g.Pass(At(2026, 12, 7, 12, pass));  // a Monday
    EXPECT_TRUE(g.drains.empty());
    auto plan = MakePlan(g.desired, g.observed, At(2026, 12, 7, 12, 10));
    ASSERT_TRUE(plan.requeue_after);
    ASSERT_FALSE(plan.rollouts.empty());
    EXPECT_EQ(plan.rollouts.front().next_window, At(2026, 12, 12, 1, 0));
    g.Pass(At(2026, 12, 12, 1, 0));  // Saturday 01:00
    EXPECT_EQ(g.order, (std::vector<std::string>{"canary"}));
}

TEST(RolloutPlan, PausedHoldsTheCurrentStep) {
    Group g;
    for (auto& s : g.desired.pools) s.update_policy->paused = true;
    for (int pass = 0; pass < 5; ++pass) g.Pass(At(2026, 12, 7, 12, pass));
    EXPECT_TRUE(g.drains.empty());
}

TEST(RolloutPlan, ManualStrategyOnlyReportsTheChange) {
    Group g;
    for (auto& s : g.desired.pools) s.update_policy = std::nullopt;
    auto plan = g.Pass(At(2026, 12, 7, 12, 0));
    EXPECT_TRUE(g.drains.empty());
    EXPECT_THAT(plan.findings,
                testing::Contains(testing::Field(&model::Finding::code, "ImmutableDrift")));
}

TEST(RolloutPlan, ThePlanIsAFunctionOfItsInputs) {
    Group g;
    for (int pass = 0; pass < 6; ++pass) g.Pass(At(2026, 12, 7, 12, pass));
    auto a = MakePlan(g.desired, g.observed, At(2026, 12, 7, 12, 30));
    auto b = MakePlan(g.desired, g.observed, At(2026, 12, 7, 12, 30));
    ASSERT_EQ(a.actions.size(), b.actions.size());
    for (std::size_t i = 0; i < a.actions.size(); ++i) {
        EXPECT_EQ(a.actions[i].reason, b.actions[i].reason);
        EXPECT_EQ(a.actions[i].rollout_marker, b.actions[i].rollout_marker);
    }
}

}  // namespace rollout_test
}  // namespace pw::planner
