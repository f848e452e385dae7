#include "planner/planner.hpp"

#include <algorithm>
#include <tuple>

#include "model/latest.hpp"
#include "model/spec_hash.hpp"
#include "planner/plan_builder.hpp"

namespace pw::planner::detail {

namespace {

std::vector<std::string_view> Split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0;;) {
        const auto end = text.find(sep, start);
        out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

/// The secret files of the table-declared properties whose digest differs from the one the
/// pool was created with (model::kPropertySecretDigestKey; Batch never returns a secret, so a
/// rotated file is seen only there). Empty-only: a PATCH cannot send them. A pool without the
/// record (created before it existed, or adopted) shows none.
std::vector<model::PropertyDrift> RotatedPropertySecrets(const model::PoolSpec& spec,
                                                         const model::ObservedPool& pool) {
    std::vector<model::PropertyDrift> out;
    auto it = pool.metadata.find(model::kPropertySecretDigestKey);
    if (spec.property_secret_digest.empty() || it == pool.metadata.end() ||
        it->second == spec.property_secret_digest)
        return out;
    const auto paths = model::SecretFilePaths(spec.properties);
    const auto want = Split(spec.property_secret_digest, '.');
    const auto have = Split(it->second, '.');
    for (std::size_t i = 0; i < paths.size(); ++i) {
        if (i < want.size() && i < have.size() && want[i] == have[i]) continue;
        out.push_back({paths[i], model::UpdateClass::EmptyOnly, "(rotated file)",
                       "(the secret it was created with)"});
    }
    return out;
}

}  // namespace

model::Plan PlanBuilder::Run() {
    std::vector<std::pair<std::string, const model::PoolSpec*>> specs;
    specs.reserve(desired_.pools.size());
    for (const auto& p : desired_.pools) specs.emplace_back(Lower(p.id), &p);
    std::sort(specs.begin(), specs.end(), [](const auto& a, const auto& b) {
        return std::tie(a.second->account, a.first) < std::tie(b.second->account, b.first);
    });
    work_.reserve(specs.size());  // at 10 000 pools, regrowing it peaked at 3.5 MB
    for (const auto& [key, spec] : specs) Examine(*spec);
    FindOrphans(specs);
    Preflight();
    ComputeDemand();
    PlanReplicas();
    PlanRollouts();
    for (const auto& w : work_) PlanPoolActions(w);
    if (!deletions_.empty()) {
        plan_.actions.insert(plan_.actions.begin(), std::make_move_iterator(deletions_.begin()),
                             std::make_move_iterator(deletions_.end()));
        Requeue(kRequeueWhileDeleting);
    }
    return std::move(plan_);
}

void PlanBuilder::Find(Severity severity, std::string code, const model::PoolSpec& spec,
                       std::string message) {
    Finding f;
    f.severity = severity;
    f.code = std::move(code);
    f.account = spec.account;
    f.pool = spec.id;
    f.image_version = spec.image.version.empty() ? spec.image_reference() : spec.image.str();
    f.message = std::move(message);
    plan_.findings.push_back(std::move(f));
}

const model::ObservedPool* PlanBuilder::FindPool(const model::ObservedAccount& account,
                                                 std::string_view id) {
    auto [it, added] = pool_index_.try_emplace(&account);
    if (added) {
        it->second.reserve(account.pools.size());
        for (const auto& p : account.pools) it->second.emplace(Lower(p.id), &p);
    }
    auto found = it->second.find(Lower(id));
    return found == it->second.end() ? nullptr : found->second;
}

void PlanBuilder::Examine(const model::PoolSpec& spec) {
    PoolWork w;
    w.spec = &spec;
    const model::AccountSpec* account_spec = desired_.find_account(spec.account);
    auto acc_it = observed_.accounts.find(spec.account);
    const model::ObservedAccount* account =
        acc_it == observed_.accounts.end() ? nullptr : &acc_it->second;
    if (account && !account->location.empty())
        w.region = account->location;
    else if (account_spec && account_spec->location)
        w.region = *account_spec->location;
    if (!account_spec) {
        Find(Severity::Error, "AccountNotFound", spec,
             "account '" + spec.account + "' is not declared in the daemon file");
        return;
    }
    if (w.region.empty()) {
        Find(Severity::Error, "AccountLocationUnknown", spec,
             "the location of account '" + spec.account + "' is not known");
        return;
    }
    w.pool = account ? FindPool(*account, spec.id) : nullptr;
    KeepLiveImage(spec, w);

    if (w.pool && w.pool->state == "deleting") {
        Find(Severity::Info, "PoolDeleting", spec,
             "pool is being deleted; it is created again once the deletion completes");
        Requeue(kRequeueWhileDeleting);
        w.contributes = ImageUsable(spec, w, /*report=*/true);
        work_.push_back(std::move(w));
        return;
    }
    bool owned = w.pool && IsOwned(*w.pool);
    if (w.pool && !owned && !spec.adopt) {
        Find(Severity::Warning, "NotOwned", spec,
             "pool exists without metadata " + std::string(model::kManagedByKey) + "=" +
                 model::kManagedByValue + "; it is left alone (set adopt: true to take it over)");
        return;
    }
    bool usable = ImageUsable(spec, w, /*report=*/true);
    if (!w.pool) {
        w.create = usable;
        w.contributes = usable;
        work_.push_back(std::move(w));
        return;
    }
    ExamineExisting(spec, w, owned, usable);
    work_.push_back(std::move(w));
}

void PlanBuilder::ExamineExisting(const model::PoolSpec& spec, PoolWork& w, bool owned,
                                  bool usable) {
    const model::ObservedPool& pool = *w.pool;
    // Update classes: BatchPoolUpdateOptions (2025-06-01.21.0 BatchService.json; see
    // model/pool_fields.cpp and azure-contract.md section 7).
    std::vector<model::PropertyDrift> patchable, empty_only, fixed;
    if (pool.properties) {
        for (auto& d : model::PoolPropertyDrift(spec, *pool.properties)) {
            auto& to = d.update == model::UpdateClass::Patchable ? patchable
                       : d.update == model::UpdateClass::Fixed   ? fixed
                                                                 : empty_only;
            to.push_back(std::move(d));
        }
    }
    for (auto& d : RotatedPropertySecrets(spec, pool)) empty_only.push_back(std::move(d));
    if (pool.properties_unread)
        Find(Severity::Info, "PropertiesUnread", spec,
             "the pool's spec hash is not the pool file's and its properties could not be "
             "read; they are compared on the next pass");
    if (!fixed.empty())
        Find(Severity::Warning, "FixedDrift", spec,
             DescribeAll(fixed) +
                 ": Batch never changes these after the pool is created; recreate the pool "
                 "to apply them");
    if (auto identity = IdentityDrift(spec, pool))
        Find(Severity::Warning, "IdentityDrift", spec,
             DescribeAll({*identity}) +
                 ": ARM gives changed identities only to VMs created after the pool has "
                 "shrunk to 0, and poolwarden does not change a live pool's identities. Fix: "
                 "PATCH the pool's identity through ARM and scale the pool to 0 and back, or "
                 "delete the pool so that poolwarden creates it with the file's identities");
    const model::UpdatePolicy* up = spec.update_policy ? &*spec.update_policy : nullptr;
    if (up && up->strategy == model::UpdatePolicy::Strategy::DrainAndSwap) {
        auto immutable = ImmutableDrift(spec, pool);
        immutable.insert(immutable.end(), empty_only.begin(), empty_only.end());
        if (spec.autoscale) {
            if (!immutable.empty())
                Find(Severity::Warning, "RolloutNeedsFixedScale", spec,
                     DescribeAll(immutable) +
                         ": updatePolicy drainAndSwap rolls fixed-size pools only. Fix: give "
                         "the pool a fixed size for the rollout, or apply the change yourself");
        } else if (ExamineRollout(spec, w, immutable, usable)) {
            return;
        }
    }
    if (!empty_only.empty())
        Find(Severity::Warning, "EmptyOnlyDrift", spec,
             DescribeAll(empty_only) +
                 ": Batch changes these only while the pool has no nodes, and poolwarden "
                 "does not apply them (updatePolicy strategy manual); to apply them, set "
                 "updatePolicy.strategy: drainAndSwap, or scale the pool to 0 nodes and "
                 "change them yourself");
    if (!empty_only.empty() || !fixed.empty() || pool.properties_unread) {
        auto it = pool.metadata.find(model::kSpecHashKey);
        w.keep_spec_hash = it == pool.metadata.end() ? std::string() : it->second;
    }
    auto drift = w.rollout ? std::vector<model::PropertyDrift>() : ImmutableDrift(spec, pool);
    if (!drift.empty()) {
        Find(Severity::Warning, "ImmutableDrift", spec,
             DescribeAll(drift) +
                 ": poolwarden never changes these on a live pool (Batch only while it is "
                 "empty); the pool is left as is (no resize or patch). Fix: set "
                 "updatePolicy.strategy: drainAndSwap to roll the change out, or delete the "
                 "pool so that poolwarden creates it again");
        return;
    }
    w.contributes = usable;
    w.usable = usable;
    if (!owned) w.patch_reasons.push_back("adopt: add the ownership marker");
    if (spec.start_task &&
        (!pool.start_task || !model::SameStartTask(*spec.start_task, *pool.start_task)))
        w.patch_reasons.push_back("startTask differs");
    if (spec.metadata != UserMetadata(pool.metadata)) w.patch_reasons.push_back("metadata differs");
    // Batch never returns secrets: a rotated secret file shows as another digest.
    if (!spec.secret_digest.empty()) {
        auto it = pool.metadata.find(model::kSecretDigestKey);
        if (it == pool.metadata.end() || it->second != spec.secret_digest)
            w.patch_reasons.push_back("a secret file of startTask changed");
    }
    if (!patchable.empty()) w.patch_reasons.push_back("patchable " + DescribeAll(patchable));

    bool steady = pool.allocation_state == "steady";
    if (spec.autoscale) {
        // The formula Batch holds is the pool file's with the maxNodes cap
        // (model::CappedFormula); an interval Batch does not return is not compared.
        const bool formula_differs =
            pool.auto_scale_formula != model::CappedFormula(*spec.autoscale);
        const bool interval_differs =
            pool.auto_scale_evaluation_interval &&
            *pool.auto_scale_evaluation_interval != spec.autoscale->evaluation_interval;
        if (!pool.enable_auto_scale || formula_differs || interval_differs) {
            w.autoscale_reason =
                !pool.enable_auto_scale
                    ? "switch from a fixed size to autoscale (maxNodes " +
                          std::to_string(spec.autoscale->max_nodes) + ")"
                    : std::string(formula_differs ? "autoscale formula" : "evaluation interval") +
                          " differs from the pool file";
            // Batch refuses enableautoscale while a resize is in progress (contract 1.4).
            if (!steady) {
                Find(Severity::Info, "PoolResizing", spec,
                     "allocationState is " + pool.allocation_state + "; " + w.autoscale_reason +
                         ": enableautoscale waits until it is steady");
                Requeue(kRequeueWhileResizing);
                return;
            }
            // Enabling may grow the pool up to maxNodes: the image checks gate it as a growth.
            if (!usable) return;
            w.enable_autoscale = true;
            return;
        }
        if (steady) ReportResizeErrors(spec, pool);
        return;
    }
    if (pool.enable_auto_scale) {
        // disableautoscale leaves the pool at its current targets; the next pass resizes it
        // to the pool file's size with the resizeTimeout rule (and replicas first).
        w.disable_autoscale = true;
        w.autoscale_reason =
            "switch from autoscale to a fixed size: disable autoscale, then "
            "resize";
        return;
    }
    int want_d = spec.fixed ? spec.fixed->target_dedicated_nodes : 0;
    int want_l = spec.fixed ? spec.fixed->target_low_priority_nodes : 0;
    bool differs =
        want_d != pool.target_dedicated_nodes || want_l != pool.target_low_priority_nodes;
    if (!differs) {
        if (steady) ReportResizeErrors(spec, pool);
        return;
    }
    if (!steady) {
        Find(Severity::Info, "PoolResizing", spec,
             "allocationState is " + pool.allocation_state + "; the resize to " +
                 Nodes(want_d, want_l) + " nodes waits until it is steady");
        Requeue(kRequeueWhileResizing);
        return;
    }
    w.grow = want_d > pool.target_dedicated_nodes || want_l > pool.target_low_priority_nodes;
    if (w.grow && !usable) return;  // the image errors say why
    w.resize = true;
}

void PlanBuilder::ReportResizeErrors(const model::PoolSpec& spec, const model::ObservedPool& pool) {
    for (const auto& e : pool.resize_errors) {
        std::string text = e.code + ": " + e.message;
        auto ends_with = [&](std::string_view suffix) {
            return e.code.size() >= suffix.size() &&
                   e.code.compare(e.code.size() - suffix.size(), suffix.size(), suffix) == 0;
        };
        if (IEquals(e.code, "AllocationTimedout"))
            Find(Severity::Warning, "AllocationTimedout", spec,
                 "the last resize timed out before reaching its target (" + text + ")");
        else if (ends_with("CoreQuotaReached"))
            Find(Severity::Error, "CoreQuotaReached", spec,
                 "the account's core quota stopped the last resize (" + text + ")");
        else
            Find(Severity::Warning, "ResizeError", spec, "the last resize failed (" + text + ")");
    }
}

}  // namespace pw::planner::detail

namespace pw::planner {

model::Plan MakePlan(const model::DesiredState& desired, const model::ObservedState& observed,
                     std::chrono::system_clock::time_point now) {
    if (model::NeedsLatestResolution(desired)) {
        const model::DesiredState resolved = model::ResolveLatest(desired, observed);
        return detail::PlanBuilder(resolved, observed, now).Run();
    }
    return detail::PlanBuilder(desired, observed, now).Run();
}

std::vector<std::string> PendingDeletions(const model::DesiredState& desired,
                                          const model::Plan& plan) {
    std::vector<std::string> out;
    if (desired.policy.prune_mode != model::Policy::PruneMode::Delete || !desired.pool_files_clean)
        return out;
    for (const auto& f : plan.findings)
        if (f.code == "Orphaned") out.push_back(f.account + "/" + f.pool);
    return out;
}

}  // namespace pw::planner
