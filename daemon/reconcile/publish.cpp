#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <utility>

#include "log/log.hpp"
#include "model/duration.hpp"
#include "model/resource_id.hpp"
#include "planner/rules.hpp"
#include "reconcile/lookup.hpp"
#include "reconcile/reconciler.hpp"

namespace pw::reconcile {

using model::ActionKind;
using namespace detail;  // this module's own helpers (lookup.hpp)

namespace {

void SetCondition(std::vector<Condition>& out, const std::vector<Condition>* prev,
                  std::string_view type, bool status, std::string reason, std::string message,
                  TimePoint now) {
    Condition c{type, status, std::move(reason), std::move(message), now};
    if (prev) {
        for (const auto& p : *prev)
            if (p.type == c.type && p.status == c.status) c.since = p.since;
    }
    out.push_back(std::move(c));
}

std::string ProgressReason(ActionKind k) {
    switch (k) {
        case ActionKind::AddTargetRegion:
        case ActionKind::SetRegionalReplicas:
            return "UpdatingReplicas";
        case ActionKind::WaitForReplication:
            return "WaitingForReplication";
        case ActionKind::CreatePool:
            return "Creating";
        case ActionKind::ResizePool:
            return "Resizing";
        case ActionKind::PatchPool:
            return "Patching";
        case ActionKind::EnableAutoScale:
            return "EnablingAutoScale";
        case ActionKind::DisableAutoScale:
            return "DisablingAutoScale";
        case ActionKind::DeletePool:
            return "Deleting";
    }
    return "Progressing";
}

std::string ConditionText(const PoolStatus& p, std::string_view type) {
    const auto* c = p.condition(type);
    if (!c) return "";
    return std::string(c->status ? "True" : "False") + "/" + c->reason;
}

bool SameCondition(const PoolStatus& a, const PoolStatus& b, std::string_view type) {
    const auto* x = a.condition(type);
    const auto* y = b.condition(type);
    if (!x || !y) return x == y;
    return x->status == y->status && x->reason == y->reason;
}

// One line whenever a pool's conditions or node counts change (not every cycle). The
// comparison builds no strings: it runs for every pool at every cycle.
void LogPoolChange(const PoolStatus* before, const PoolStatus& now) {
    auto nodes = [](const PoolStatus& p) {
        if (!p.current_nodes) return std::string("-");
        return fmt::format("{}/{}", *p.current_nodes, *p.target_nodes);
    };
    auto same_nodes = [](const PoolStatus& a, const PoolStatus& b) {
        if (!a.current_nodes || !b.current_nodes) return !a.current_nodes && !b.current_nodes;
        return *a.current_nodes == *b.current_nodes && a.target_nodes == b.target_nodes;
    };
    if (before && same_nodes(*before, now) && SameCondition(*before, now, "Ready") &&
        SameCondition(*before, now, "Progressing") && SameCondition(*before, now, "Degraded"))
        return;
    log::Write(spdlog::level::info, "pool",
               {{"pool", now.id},
                {"account", now.account},
                {"ready", ConditionText(now, "Ready")},
                {"progressing", ConditionText(now, "Progressing")},
                {"degraded", ConditionText(now, "Degraded")},
                {"allocationState", now.allocation_state},
                {"nodes", nodes(now)}});
}

void LogVersionChange(const ImageVersionStatus* before, const ImageVersionStatus& now) {
    for (const auto& r : now.regions) {
        bool same = false;
        if (before) {
            for (const auto& b : before->regions)
                if (b.region == r.region && b.required == r.required && b.current == r.current &&
                    b.replication_state == r.replication_state && b.progress == r.progress)
                    same = true;
        }
        if (same) continue;
        log::Write(spdlog::level::info, "image version",
                   {{"imageVersion", now.id},
                    {"region", r.region},
                    {"replicas", fmt::format("{}/{}", r.current, r.required)},
                    {"replication", r.replication_state},
                    {"progress", fmt::format("{}%", r.progress)},
                    {"provisioningState", now.provisioning_state}});
    }
}

}  // namespace

void Reconciler::publish(const CycleReport& report, const model::DesiredState& desired,
                         TimePoint now) {
    // The snapshot is edited in place (when no reader holds it) rather than rebuilt: at 10 000
    // pools a second snapshot was about 10 MB more at every cycle. Steady pools' status is
    // written over itself and allocates nothing.
    status_.update([&](StatusSnapshot& s) { publish_into(s, report, desired, now); });
}

void Reconciler::publish_into(StatusSnapshot& s, const CycleReport& report,
                              const model::DesiredState& desired, TimePoint now) {
    const auto& obs = report.observation;
    const auto& o = obs.state;

    // Hash indexes, built once: per-pool scans of the previous status, the findings and the
    // actions made publishing quadratic in the number of pools.
    const PoolIndex pools(o);
    std::unordered_map<std::string, std::vector<const model::Finding*>> findings_by_pool;
    for (const auto& f : report.plan.findings)
        if (!f.pool.empty()) findings_by_pool[model::ResourceKey(f.pool)].push_back(&f);
    std::unordered_map<std::string, std::vector<std::size_t>> pool_actions;
    std::unordered_map<std::string, std::vector<std::size_t>> version_actions;
    const auto& actions = report.plan.actions;
    for (std::size_t i = 0; i < actions.size(); ++i) {
        const auto& a = actions[i];
        if (!a.pool.empty())
            pool_actions[PoolKey(a.account, a.pool)].push_back(i);
        else
            version_actions[model::ResourceKey(a.image_version)].push_back(i);
    }

    // The region of each account, normalized, looked up once per account rather than per pool.
    struct Region {
        std::string name;        ///< As observed or configured.
        std::string normalized;  ///< model::NormalizeRegion(name).
    };
    std::unordered_map<std::string, Region> account_regions;
    const auto region_of = [&](const std::string& account) -> const Region& {
        auto it = account_regions.find(account);
        if (it == account_regions.end()) {
            auto name = AccountRegion(desired, o, account);
            auto normalized = model::NormalizeRegion(name);
            it = account_regions.emplace(account, Region{std::move(name), std::move(normalized)})
                     .first;
        }
        return it->second;
    };

    // Same pools in the same order as the last cycle (the usual case): each pool's status is
    // its own "before". Otherwise the new list is built beside the old one.
    bool aligned = s.pools.size() == desired.pools.size();
    for (std::size_t i = 0; aligned && i < s.pools.size(); ++i)
        aligned =
            s.pools[i].id == desired.pools[i].id && s.pools[i].account == desired.pools[i].account;
    std::unordered_map<std::string, const PoolStatus*> prev_pools;
    std::vector<PoolStatus> rebuilt;
    if (!aligned) {
        for (const auto& ps : s.pools) prev_pools.emplace(model::ResourceKey(ps.id), &ps);
        rebuilt.reserve(desired.pools.size());
    }

    PoolStatus ps;  // one pool's new status, reused: its buffers serve every pool
    std::vector<std::size_t> mine_at;
    std::vector<const model::Action*> mine;
    for (std::size_t index = 0; index < desired.pools.size(); ++index) {
        const auto& spec = desired.pools[index];
        ps.id = spec.id;
        ps.account = spec.account;
        ps.source_file = spec.source_file;
        ps.conditions.clear();
        ps.last_action.reset();
        ps.last_error.reset();
        ps.findings.clear();
        ps.target_nodes.reset();
        ps.current_nodes.reset();
        ps.allocation_state.clear();
        ps.observed_target.reset();
        ps.observed_current.reset();
        ps.desired_nodes.reset();
        ps.resize_errors.clear();
        const PoolStatus* before = nullptr;
        if (aligned) {
            before = &s.pools[index];
        } else if (auto it = prev_pools.find(model::ResourceKey(spec.id)); it != prev_pools.end()) {
            before = it->second;
        }
        const auto* prev_conditions = before ? &before->conditions : nullptr;
        const auto item_key = PoolKey(spec.account, spec.id);
        const auto* p = pools.find(spec.account, spec.id);
        if (p) {
            ps.allocation_state = p->allocation_state;
            ps.target_nodes =
                model::AddNodeCounts(p->target_dedicated_nodes, p->target_low_priority_nodes);
            ps.current_nodes =
                model::AddNodeCounts(p->current_dedicated_nodes, p->current_low_priority_nodes);
            ps.observed_target = {p->target_dedicated_nodes, p->target_low_priority_nodes};
            ps.observed_current = {p->current_dedicated_nodes, p->current_low_priority_nodes};
            for (const auto& e : p->resize_errors) ++ps.resize_errors[e.code];
        }
        if (spec.fixed)
            ps.desired_nodes = {spec.fixed->target_dedicated_nodes,
                                spec.fixed->target_low_priority_nodes};
        if (!findings_by_pool.empty())
            if (auto it = findings_by_pool.find(model::ResourceKey(spec.id));
                it != findings_by_pool.end())
                for (const auto* f : it->second)
                    if (f->account.empty() || f->account == spec.account) ps.findings.push_back(*f);
        mine_at.clear();
        mine.clear();
        if (auto it = pool_actions.find(item_key); it != pool_actions.end()) mine_at = it->second;
        if (!version_actions.empty()) {
            const auto& region = region_of(spec.account).normalized;
            if (auto it = version_actions.find(spec.image.key()); it != version_actions.end())
                for (auto i : it->second)
                    if (actions[i].region.empty() ||
                        model::NormalizeRegion(actions[i].region) == region)
                        mine_at.push_back(i);
        }
        std::sort(mine_at.begin(), mine_at.end());
        for (auto i : mine_at) mine.push_back(&actions[i]);
        ps.own_last_action = false;
        if (auto item_it = items_.find(item_key); item_it != items_.end()) {
            ps.last_action = item_it->second.last_action;
            ps.last_error = item_it->second.last_error;
            ps.own_last_action = ps.last_action.has_value();
        } else if (before && before->own_last_action && before->account == spec.account) {
            // The reconciler dropped its record of this pool (see prune()): the last action
            // lives on here.
            ps.last_action = before->last_action;
            ps.own_last_action = true;
        }
        if (!items_.empty()) {
            for (const auto* a : mine) {
                if (IsReplicaAction(a->kind) || a->kind == ActionKind::WaitForReplication) {
                    if (auto v = items_.find(VersionKey(a->image_version)); v != items_.end()) {
                        if (!ps.last_action) ps.last_action = v->second.last_action;
                        if (!ps.last_error) ps.last_error = v->second.last_error;
                    }
                }
            }
        }

        const auto health = obs.accounts.find(spec.account);
        bool account_ok = health != obs.accounts.end() && health->second.complete;
        const std::string* failed_version = nullptr;
        bool image_failed = false;
        if (!obs.failed_versions.empty()) {
            if (auto it = obs.failed_versions.find(spec.image.key());
                it != obs.failed_versions.end()) {
                failed_version = &it->second;
                image_failed = true;
            }
        }
        if (!image_failed && !obs.failed_images.empty())
            image_failed =
                obs.failed_images.count(model::ResourceKey(spec.image.image_definition_id())) > 0;
        const model::Finding* error_finding = nullptr;
        const model::Finding* warning_finding = nullptr;
        for (const auto& f : ps.findings) {
            if (f.severity == model::Severity::Error && !error_finding) error_finding = &f;
            if (f.severity == model::Severity::Warning && !warning_finding) warning_finding = &f;
        }

        // Degraded
        if (error_finding) {
            SetCondition(ps.conditions, prev_conditions, "Degraded", true, error_finding->code,
                         error_finding->message, now);
        } else if (!account_ok) {
            SetCondition(
                ps.conditions, prev_conditions, "Degraded", true, "ObservationFailed",
                health == obs.accounts.end() ? "account not configured" : health->second.error,
                now);
        } else if (image_failed) {
            SetCondition(ps.conditions, prev_conditions, "Degraded", true, "ObservationFailed",
                         failed_version ? "image version: " + *failed_version
                                        : "image definition could not be read",
                         now);
        } else if (const auto& error = std::as_const(ps.last_error); error) {
            SetCondition(ps.conditions, prev_conditions, "Degraded", true,
                         error->terminal ? "TerminalError" : "RetryingAfterError", error->message,
                         now);
        } else if (warning_finding) {
            SetCondition(ps.conditions, prev_conditions, "Degraded", true, warning_finding->code,
                         warning_finding->message, now);
        } else {
            SetCondition(ps.conditions, prev_conditions, "Degraded", false, "AsExpected", "", now);
        }

        // Progressing
        if (!mine.empty()) {
            const auto* a = mine.front();
            for (const auto* m : mine)
                if (!m->pool.empty()) {
                    a = m;
                    break;
                }
            std::string reason = ProgressReason(a->kind);
            SetCondition(ps.conditions, prev_conditions, "Progressing", true, reason, a->reason,
                         now);
        } else if (p && p->allocation_state != "steady") {
            SetCondition(ps.conditions, prev_conditions, "Progressing", true, "Resizing",
                         fmt::format("{} of {} nodes", *ps.current_nodes, *ps.target_nodes), now);
        } else {
            SetCondition(ps.conditions, prev_conditions, "Progressing", false, "Stable", "", now);
        }

        // Ready
        if (!account_ok && before && before->condition("Ready")) {
            ps.conditions.push_back(*before->condition("Ready"));
        } else if (!p) {
            SetCondition(ps.conditions, prev_conditions, "Ready", false, "NotCreated",
                         "the pool does not exist yet", now);
        } else if (p->state == "deleting") {
            SetCondition(ps.conditions, prev_conditions, "Ready", false, "Deleting",
                         "the pool is being deleted", now);
        } else if (!mine.empty() || !Converged(*p) || error_finding) {
            std::string reason = error_finding                     ? error_finding->code
                                 : p->allocation_state != "steady" ? "Resizing"
                                 : !mine.empty()                   ? "Progressing"
                                                                   : "NotAtTarget";
            SetCondition(ps.conditions, prev_conditions, "Ready", false, reason,
                         fmt::format("{} of {} nodes", *ps.current_nodes, *ps.target_nodes), now);
        } else {
            SetCondition(ps.conditions, prev_conditions, "Ready", true, "Converged",
                         fmt::format("{} nodes", *ps.current_nodes), now);
        }
        LogPoolChange(before, ps);
        if (aligned)
            s.pools[index] = ps;  // member-wise: the strings' and vectors' buffers are reused
        else
            rebuilt.push_back(ps);
    }
    if (!aligned) {
        prev_pools.clear();
        s.pools = std::move(rebuilt);
    }

    // Image versions: required vs current replicas per account region.
    struct RegionDemand {
        std::string name;
        std::vector<int> nodes;
    };
    std::map<std::string, std::map<std::string, RegionDemand>> required;
    std::map<std::string, std::string> version_ids;
    for (const auto& spec : desired.pools) {
        const auto& region = region_of(spec.account);
        auto key = spec.image.key();
        if (!version_ids.count(key)) version_ids.emplace(key, spec.image.str());
        if (region.name.empty()) continue;
        auto& entry = required[key][region.normalized];
        entry.name = region.name;
        entry.nodes.push_back(spec.sized_nodes());
    }
    std::vector<ImageVersionStatus> versions;
    for (const auto& [key, id] : version_ids) {
        ImageVersionStatus vs;
        vs.id = id;
        const auto* v = FindVersion(o, id);
        if (v) {
            vs.provisioning_state = v->provisioning_state;
            vs.aggregated_state = v->aggregated_state;
        }
        for (const auto& [norm, entry] : required[key]) {
            RegionReplicaStatus rs;
            rs.region = entry.name;
            rs.required = planner::RequiredRegionReplicas(entry.nodes, desired.policy).required;
            for (const auto& r : report.plan.requirements)
                if (model::ResourceKey(r.image_version) == key && r.region == norm)
                    rs.required = r.required;
            rs.replication_state = "Missing";
            if (v) {
                if (const auto* t = v->find_region(norm)) {
                    rs.current = t->regional_replica_count;
                    rs.replication_state = "Unknown";
                }
                if (const auto* r = v->find_replication(norm)) {
                    rs.replication_state = r->state;
                    rs.progress = r->progress;
                }
            }
            vs.regions.push_back(std::move(rs));
        }
        if (auto it = items_.find(VersionKey(id)); it != items_.end()) {
            vs.last_action = it->second.last_action;
            vs.last_error = it->second.last_error;
        }
        LogVersionChange(s.image_version(id), vs);
        versions.push_back(std::move(vs));
    }

    s.image_versions = std::move(versions);

    s.accounts.clear();
    for (const auto& [name, health] : obs.accounts) {
        AccountStatus as;
        as.name = name;
        as.observed = health.complete;
        as.error = health.error;
        if (auto it = o.accounts.find(name); it != o.accounts.end()) {
            as.location = it->second.location;
            as.pools_observed = static_cast<int>(it->second.pools.size());
        }
        s.accounts.push_back(std::move(as));
    }

    CycleSummary cs;
    cs.id = report.id;
    cs.started = report.started;
    cs.finished = report.finished;
    cs.actions = static_cast<int>(report.plan.actions.size());
    cs.writes = report.writes;
    cs.failed = report.failed;
    cs.converged = report.converged();
    cs.requeue_after = report.requeue_after;

    s.updated = now;
    s.last_cycle = cs;
    s.findings = report.plan.findings;
    s.rollouts.clear();
    for (const auto& r : report.plan.rollouts) {
        if (s.rollouts.empty() || s.rollouts.back().name != r.group)
            s.rollouts.push_back({r.group, false, {}});
        auto& g = s.rollouts.back();
        if (r.step == model::RolloutStatus::Step::Halted) g.halted = true;
        g.pools.push_back(r);
    }
}

}  // namespace pw::reconcile
