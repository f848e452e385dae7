// PlanBuilder: each pool's own actions (wait, create, resize, autoscale, drain, patch).

#include <algorithm>

#include "model/duration.hpp"
#include "planner/plan_builder.hpp"

namespace pw::planner::detail {

void PlanBuilder::PlanPoolActions(const PoolWork& w) {
    const model::PoolSpec& spec = *w.spec;
    bool waiting = false;
    if (w.create || (w.resize && w.grow) || w.enable_autoscale || w.drain) {
        const Demand* d = DemandFor(w);
        int required = d ? d->requirement.required : 1;
        std::string why = "no replica demand recorded";
        if (!d || !ReplicasReady(*w.version, w.region, required, &why)) {
            Action a = Base(ActionKind::WaitForReplication, spec);
            a.image_version = spec.image.str();
            a.region = w.region;
            if (const auto* t = w.version->find_region(w.region))
                a.from = t->regional_replica_count;
            a.to = required;
            a.reason = std::string(w.create             ? "creating"
                                   : w.enable_autoscale ? "enabling autoscale on"
                                   : w.drain            ? "draining (rollout)"
                                                        : "growing") +
                       " the pool waits for " + std::to_string(required) +
                       " Completed replicas in " + w.region + ": " + why;
            plan_.actions.push_back(std::move(a));
            Requeue(kRequeueWhileReplicating);
            waiting = true;
        }
    }
    if (w.create && !waiting) {
        plan_.actions.push_back(CreateAction(w));
        Requeue(kRequeueWhileResizing);
    }
    if (w.resize && !waiting) {
        const auto& pool = *w.pool;
        Action a = Base(ActionKind::ResizePool, spec);
        int d = w.quota_dedicated.value_or(spec.fixed->target_dedicated_nodes);
        int l = w.quota_low.value_or(spec.fixed->target_low_priority_nodes);
        a.target_dedicated_nodes = d;
        a.target_low_priority_nodes = l;
        a.resize_timeout =
            ResizeTimeoutFor(model::AddNodeCounts(d, l), spec.resize_timeout, desired_.policy);
        a.if_match = pool.e_tag;
        a.reason = (w.grow ? "grow " : "shrink ") +
                   Nodes(pool.target_dedicated_nodes, pool.target_low_priority_nodes) + " -> " +
                   Nodes(d, l) + " nodes, resizeTimeout " +
                   model::FormatShortDuration(*a.resize_timeout);
        plan_.actions.push_back(std::move(a));
        Requeue(kRequeueWhileResizing);
    }
    if (w.enable_autoscale && !waiting) {
        Action a = Base(ActionKind::EnableAutoScale, spec);
        a.if_match = w.pool->e_tag;
        a.reason = w.autoscale_reason;
        plan_.actions.push_back(std::move(a));
        Requeue(kRequeueWhileResizing);
    }
    if (w.disable_autoscale) {
        Action a = Base(ActionKind::DisableAutoScale, spec);
        a.reason = w.autoscale_reason;
        plan_.actions.push_back(std::move(a));
        Requeue(kRequeueWhileResizing);
    }
    if (w.drain && !waiting) {
        const auto& pool = *w.pool;
        Action a = Base(ActionKind::ResizePool, spec);
        a.target_dedicated_nodes = 0;
        a.target_low_priority_nodes = 0;
        // Batch ends the drain after its resizeTimeout: drain.timeout, at least the rule's.
        a.resize_timeout = std::max(
            ResizeTimeoutFor(
                model::AddNodeCounts(pool.current_dedicated_nodes, pool.current_low_priority_nodes),
                spec.resize_timeout, desired_.policy),
            spec.update_policy->drain_timeout);
        a.node_deallocation_option = w.drain_option;
        a.if_match = pool.e_tag;
        a.reason = "rollout: drain " +
                   Nodes(pool.target_dedicated_nodes, pool.target_low_priority_nodes) +
                   " -> 0 nodes (" + w.drain_option + ", resizeTimeout " +
                   model::FormatShortDuration(*a.resize_timeout) + ") to apply " + w.drift_text;
        plan_.actions.push_back(std::move(a));
        Requeue(kRequeueWhileResizing);
    }
    if (w.swap) {
        Action a = Base(ActionKind::PatchPool, spec);
        a.if_match = w.pool->e_tag;
        a.swap = true;
        a.rollout_marker = w.new_marker;
        a.reason = "rollout: the pool is empty; one PATCH of " + w.drift_text;
        plan_.actions.push_back(std::move(a));
    }
    if (!w.patch_reasons.empty() && w.pool && !w.swap) {
        Action a = Base(ActionKind::PatchPool, spec);
        a.if_match = w.pool->e_tag;
        a.reason = Join(w.patch_reasons, "; ");
        a.rollout_marker = w.new_marker;
        if (a.rollout_marker.empty())
            if (auto m = w.pool->metadata.find(model::kRolloutKey); m != w.pool->metadata.end())
                a.rollout_marker = m->second;
        a.keep_spec_hash = w.keep_spec_hash;
        auto digest = w.pool->metadata.find(model::kPropertySecretDigestKey);
        if (digest != w.pool->metadata.end()) a.keep_property_secret_digest = digest->second;
        plan_.actions.push_back(std::move(a));
    }
}

Action PlanBuilder::Base(ActionKind kind, const model::PoolSpec& spec) const {
    Action a;
    a.kind = kind;
    a.account = spec.account;
    a.pool = spec.id;
    a.spec = spec;
    return a;
}

Action PlanBuilder::CreateAction(const PoolWork& w) const {
    const model::PoolSpec& spec = *w.spec;
    Action a = Base(ActionKind::CreatePool, spec);
    a.image_version = spec.image.str();
    a.region = w.region;
    if (spec.fixed) {
        a.target_dedicated_nodes = w.quota_dedicated.value_or(spec.fixed->target_dedicated_nodes);
        a.target_low_priority_nodes = w.quota_low.value_or(spec.fixed->target_low_priority_nodes);
        int n = model::AddNodeCounts(*a.target_dedicated_nodes, *a.target_low_priority_nodes);
        a.resize_timeout = ResizeTimeoutFor(n, spec.resize_timeout, desired_.policy);
        a.reason = "pool does not exist; create with " +
                   Nodes(*a.target_dedicated_nodes, *a.target_low_priority_nodes) +
                   " nodes, resizeTimeout " + model::FormatShortDuration(*a.resize_timeout) +
                   " for " + std::to_string(n) + " VMs";
    } else {
        a.reason = "pool does not exist; create with autoscale up to " +
                   std::to_string(spec.sized_nodes()) + " nodes";
    }
    return a;
}

}  // namespace pw::planner::detail
