#pragma once

// The planner table tests' world (planner_*_test.cpp): specs, the observed example world, live
// pools as poolwarden creates them, and a plan/apply loop.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

#include "planner/planner.hpp"
#include "planner/rules.hpp"

namespace pw::planner::plan_test {

using model::ActionKind;
using model::Severity;
using std::chrono::minutes;
using std::chrono::seconds;

inline constexpr const char* kVersionId =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0";

inline model::ImageVersionId Version(const char* id = kVersionId) {
    return *model::ParseImageVersionId(id);
}

inline model::PoolSpec Spec(std::string id, int dedicated, int low = 0,
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

inline model::DesiredState Desired(std::vector<model::PoolSpec> pools) {
    model::DesiredState d;
    d.accounts.push_back({"render-eus", "sub", "rg-batch", "renderbatch", {}, {}});
    d.accounts.push_back({"render-wus", "sub", "rg-batch", "renderwest", {}, {}});
    d.pools = std::move(pools);
    return d;
}

/// The example world: render-eus in eastus with no pools, render/1.4.0 with `replicas` in
/// East US in `state`, image render Linux Generalized.
inline model::ObservedState World(int replicas, std::string state = "Completed") {
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
inline model::ObservedPool Live(const model::PoolSpec& s) {
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

inline std::vector<std::string> Kinds(const model::Plan& plan) {
    std::vector<std::string> out;
    for (const auto& a : plan.actions) out.emplace_back(model::ToString(a.kind));
    return out;
}

inline std::vector<std::string> Codes(const model::Plan& plan) {
    std::vector<std::string> out;
    for (const auto& f : plan.findings)
        out.push_back(std::string(model::ToString(f.severity)) + ":" + f.code);
    return out;
}

inline model::Plan Plan(const model::DesiredState& d, const model::ObservedState& o) {
    return MakePlan(d, o, std::chrono::system_clock::time_point{});
}

/// What the executor and Azure would make of the plan (replication completes at once).
inline void Apply(const model::Plan& plan, model::ObservedState& o) {
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
inline int Converge(const model::DesiredState& d, model::ObservedState& o) {
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

}  // namespace pw::planner::plan_test
