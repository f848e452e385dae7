// PlanBuilder: drainAndSwap rollouts (updatePolicy), per rollout group.

#include <algorithm>

#include "model/duration.hpp"
#include "model/spec_hash.hpp"
#include "planner/plan_builder.hpp"

namespace pw::planner::detail {

bool PlanBuilder::ExamineRollout(const model::PoolSpec& spec, PoolWork& w,
                                 const std::vector<model::PropertyDrift>& drift, bool usable) {
    const model::ObservedPool& pool = *w.pool;
    RolloutFacts f;
    f.drift = !drift.empty();
    f.targets = model::AddNodeCounts(pool.target_dedicated_nodes, pool.target_low_priority_nodes);
    f.current = model::AddNodeCounts(pool.current_dedicated_nodes, pool.current_low_priority_nodes);
    f.steady = pool.allocation_state == "steady";
    f.want = spec.sized_nodes();
    if (auto it = pool.metadata.find(model::kRolloutKey); it != pool.metadata.end())
        f.marker = model::ParseRolloutMarker(it->second);
    f.target = model::RolloutTarget(spec);
    w.rollout = true;
    w.marker = f.marker;
    w.target = f.target;
    w.step = DeriveRolloutStep(f);
    w.drift_text = DescribeAll(drift);
    if (!f.drift) return false;
    w.contributes = usable;
    w.usable = usable;
    return true;
}

std::map<std::string, PlanBuilder::RolloutGroup> PlanBuilder::RolloutGroups() {
    std::map<std::string, RolloutGroup> groups;
    for (auto& w : work_) {
        if (!w.rollout) continue;
        const std::string& g = w.spec->update_policy->group;
        groups[g.empty() ? w.spec->account + "/" + w.spec->id : g].pools.push_back(&w);
    }
    for (auto& entry : groups) {
        RolloutGroup& g = entry.second;
        const std::string& name = entry.first;
        g.solo = g.pools.front()->spec->update_policy->group.empty();
        g.policy = &desired_.policy.rollout_group(g.solo ? std::string() : name);
        for (const auto* w : g.pools)
            if (!g.policy->canary.empty() && IEquals(w->spec->id, g.policy->canary)) g.canary = w;
        std::stable_sort(g.pools.begin(), g.pools.end(), [&](const auto* a, const auto* b) {
            return (a == g.canary) > (b == g.canary);
        });
    }
    return groups;
}

void PlanBuilder::PlanRollouts() {
    const std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(now_.time_since_epoch()).count();
    for (auto& [name, group] : RolloutGroups()) {
        const bool solo = group.solo;
        const model::RolloutGroupPolicy& gp = *group.policy;
        const PoolWork* canary = group.canary;
        auto& members = group.pools;
        int unavailable = 0;
        const PoolWork* halted = nullptr;
        for (const auto* w : members) {
            if (Busy(w->step)) ++unavailable;
            if (w->step == Step::Halted && !halted) halted = w;
        }
        for (PoolWork* w : members) {
            const model::UpdatePolicy& up = *w->spec->update_policy;
            const model::PoolSpec& spec = *w->spec;
            const bool hold = up.paused || w->held;
            const std::string held_why = up.paused ? "updatePolicy.paused: the current step holds"
                                                   : "held by a pre-flight finding";
            switch (w->step) {
                case Step::Pending:
                    if (halted) {
                        w->detail = "the group is halted (" + halted->spec->id + ")";
                    } else if (hold || !w->usable) {
                        w->detail = w->usable ? held_why : "the new image is not usable";
                    } else if (canary && canary != w && canary->step != Step::Idle &&
                               canary->step != Step::Done) {
                        w->detail = "waits for the canary " + canary->spec->id;
                    } else if (unavailable >= gp.max_unavailable) {
                        w->detail = "waits for the next wave (" + std::to_string(unavailable) +
                                    " of at most " + std::to_string(gp.max_unavailable) +
                                    " pools below size)";
                    } else if (!model::InMaintenanceWindow(up.windows, now_)) {
                        w->next_window = model::NextMaintenanceWindow(up.windows, now_);
                        w->detail = "waits for a maintenance window";
                        if (w->next_window)
                            Requeue(std::max(model::Seconds(1),
                                             std::chrono::duration_cast<model::Seconds>(
                                                 *w->next_window - now_)));
                    } else {
                        w->drain = true;
                        w->drain_option = up.drain_option;
                        ++unavailable;
                        w->detail =
                            "drain to 0 nodes (" + up.drain_option + ") for " + w->drift_text;
                    }
                    break;
                case Step::Draining: {
                    const auto& p = *w->pool;
                    const int current = model::AddNodeCounts(p.current_dedicated_nodes,
                                                             p.current_low_priority_nodes);
                    if (hold) {
                        w->detail = held_why;
                    } else if (p.allocation_state == "steady" && current > 0) {
                        // The drain's resize ended (its resizeTimeout is drain.timeout) with
                        // nodes left: onTimeout decides what happens to their tasks.
                        w->drain = true;
                        w->drain_option = up.on_timeout;
                        Find(Severity::Warning, "DrainTimedOut", spec,
                             std::to_string(current) + " nodes were still busy after " +
                                 "drain.timeout (" + model::FormatShortDuration(up.drain_timeout) +
                                 "); drained again with onTimeout " + up.on_timeout);
                    } else {
                        w->detail = std::to_string(current) + " nodes still to leave";
                        Requeue(kRequeueWhileResizing);
                    }
                    break;
                }
                case Step::Swapping:
                    if (hold) {
                        w->detail = held_why;
                        break;
                    }
                    w->swap = true;
                    w->new_marker = Marker(model::RolloutMarker::Step::Swapped, *w, now_s);
                    w->detail = "empty: one PATCH of " + w->drift_text;
                    Requeue(kRequeueWhileResizing);
                    break;
                case Step::Regrowing:
                    if (hold) {
                        w->resize = false;
                        w->detail = held_why;
                    } else {
                        w->detail = "regrowing to " + std::to_string(spec.sized_nodes()) + " nodes";
                    }
                    Requeue(kRequeueWhileResizing);
                    break;
                case Step::Gating: {
                    if (hold) {
                        w->detail = held_why;
                        break;
                    }
                    const auto elapsed =
                        model::Seconds(std::max<std::int64_t>(0, now_s - w->marker->since));
                    const model::AccountSpec* account = desired_.find_account(spec.account);
                    const bool arm =
                        account && account->pool_api == model::AccountSpec::PoolApi::Arm;
                    const auto verdict =
                        arm ? ArmGate(*w->pool)
                            : EvaluateHealthGate(
                                  gp.gate, w->pool->nodes ? &*w->pool->nodes : nullptr, elapsed);
                    if (arm)
                        Find(Severity::Warning, "RolloutGateWithoutNodes", spec,
                             "the account's poolApi is arm and Microsoft.Batch lists no "
                             "compute nodes: the health gate judged only that the pool "
                             "regrew to its size without resize errors. Fix: poolApi batch "
                             "for a gate on the nodes' states");
                    w->detail = "health gate: " + verdict.reason;
                    if (verdict.result == GateVerdict::Result::Wait) {
                        Requeue(kRequeueWhileResizing);
                    } else if (verdict.result == GateVerdict::Result::Pass) {
                        w->patch_reasons.push_back("rollout health gate passed: " + verdict.reason);
                        w->new_marker = Marker(model::RolloutMarker::Step::Done, *w, now_s);
                        Requeue(kRequeueWhileResizing);
                    } else {
                        w->patch_reasons.push_back("rollout health gate failed: " + verdict.reason);
                        w->new_marker =
                            Marker(model::RolloutMarker::Step::Halted, *w, now_s, verdict.reason);
                        RolloutHalted(name, spec, verdict.reason);
                    }
                    break;
                }
                case Step::Halted:
                    w->detail = w->marker && !w->marker->reason.empty()
                                    ? w->marker->reason
                                    : "the swap PATCH did not apply " + w->drift_text;
                    RolloutHalted(name, spec, w->detail);
                    break;
                case Step::Idle:
                case Step::Done:
                    break;
            }
            model::RolloutStatus st;
            st.group = solo ? spec.id : name;
            st.account = spec.account;
            st.pool = spec.id;
            st.step = w->step;
            if (w->marker && w->marker->target == w->target)
                st.since =
                    std::chrono::system_clock::time_point(std::chrono::seconds(w->marker->since));
            st.next_window = w->next_window;
            st.detail = w->detail;
            plan_.rollouts.push_back(std::move(st));
        }
    }
}

GateVerdict PlanBuilder::ArmGate(const model::ObservedPool& pool) {
    if (pool.resize_errors.empty())
        return {GateVerdict::Result::Pass, "regrew to its size without resize errors"};
    return {GateVerdict::Result::Fail, "the regrowth reported " + pool.resize_errors.front().code +
                                           ": " + pool.resize_errors.front().message};
}

std::string PlanBuilder::Marker(model::RolloutMarker::Step step, const PoolWork& w,
                                std::int64_t since, std::string reason) {
    model::RolloutMarker m;
    m.step = step;
    m.target = w.target;
    m.since = since;
    m.reason = std::move(reason);
    return model::FormatRolloutMarker(m);
}

void PlanBuilder::RolloutHalted(const std::string& group, const model::PoolSpec& spec,
                                const std::string& why) {
    Find(Severity::Error, "RolloutHalted", spec,
         "rollout group " + group + " halted at pool " + spec.id + ": " + why +
             ". No other pool of the group is drained. Fix: correct the image (a new "
             "version) or the pool file; the rollout starts again from the changed spec");
}

}  // namespace pw::planner::detail
