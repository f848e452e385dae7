#include "planner/planner.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>
#include <unordered_map>

#include "model/latest.hpp"
#include "model/pool_drift.hpp"
#include "model/resource_id.hpp"
#include "model/spec_hash.hpp"
#include "planner/preflight.hpp"
#include "planner/rollout.hpp"
#include "planner/rules.hpp"

namespace pw::planner {
namespace {

using model::Action;
using model::ActionKind;
using model::Finding;
using model::Severity;

using model::Lower;

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

std::string Nodes(int dedicated, int low) {
    return std::to_string(dedicated) + " dedicated + " + std::to_string(low) + " low-priority";
}

std::string LimitText(std::string_view what) {
    return "Azure allows " + std::to_string(kMaxReplicasPerVersion) +
           " replicas per image version over all its regions, and " + std::string(what) + " " +
           std::to_string(kMaxReplicasPerVersion);
}

/// What pass one decided for one desired pool.
struct PoolWork {
    const model::PoolSpec* spec = nullptr;
    std::string region;  ///< The account's location as written (ARM or the daemon file).
    const model::ObservedPool* pool = nullptr;
    const model::ObservedImageVersion* version = nullptr;
    bool contributes = false;  ///< Counts toward the version's replica demand in `region`.
    bool create = false;
    bool resize = false;
    bool grow = false;  ///< The resize adds nodes: gated on replicas.
    /// `enableautoscale` (gated on replicas for maxNodes, as a growth) or `disableautoscale`.
    bool enable_autoscale = false;
    bool disable_autoscale = false;
    std::string autoscale_reason;
    std::vector<std::string> patch_reasons;
    std::optional<std::string> keep_spec_hash;  ///< Action::keep_spec_hash of the PatchPool.
    /// quota.partialGrowth: the targets that fit the account's quotas (preflight.hpp).
    std::optional<int> quota_dedicated, quota_low;
    /// The image (version or definition) answered 403: ImageAccessDenied holds every write.
    bool image_denied = false;
    /// A pre-flight finding holds every write of the pool.
    bool held = false;
    bool usable = false;  ///< The image checks passed (creates and growth may proceed).

    /// updatePolicy drainAndSwap (fixed scale): the pool takes part in a rollout.
    bool rollout = false;
    model::RolloutStatus::Step step = model::RolloutStatus::Step::Idle;
    std::string drift_text;  ///< The empty-only differences, `path old -> new, ...`.
    std::optional<model::RolloutMarker> marker;
    std::string target;  ///< model::RolloutTarget of the spec.
    bool drain = false;  ///< Shrink to 0 nodes with `drain_option`.
    std::string drain_option;
    bool swap = false;       ///< The PATCH of every empty-only property, with `new_marker`.
    std::string new_marker;  ///< Written under kRolloutKey by this pass's PatchPool.
    std::string detail;      ///< RolloutStatus::detail.
    std::optional<std::chrono::system_clock::time_point> next_window;
};

std::string DescribeAll(const std::vector<model::PropertyDrift>& drift) {
    std::vector<std::string> parts;
    parts.reserve(drift.size());
    for (const auto& d : drift) parts.push_back(model::DescribeDrift(d));
    return Join(parts, ", ");
}

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

/// Demand of one (version, region): the pools that use it there.
struct Demand {
    std::string version_key;
    std::string region;  ///< As the first account wrote it.
    std::vector<const PoolWork*> pools;
    RegionRequirement requirement;
    int wanted = 0;  ///< requirement.required before the version-wide limit.
    /// Lowered to fit kMaxReplicasPerVersion.
    bool version_limited() const { return requirement.required < wanted; }
};

class Planner {
    using Step = model::RolloutStatus::Step;

  public:
    Planner(const model::DesiredState& desired, const model::ObservedState& observed,
            std::chrono::system_clock::time_point now)
        : desired_(desired), observed_(observed), now_(now) {}

    model::Plan Run() {
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

  private:
    void Find(Severity severity, std::string code, const model::PoolSpec& spec,
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

    /// ObservedAccount::find_pool through a per-account hash index built on first use: a
    /// linear scan per desired pool is quadratic in the number of pools.
    const model::ObservedPool* FindPool(const model::ObservedAccount& account,
                                        std::string_view id) {
        auto [it, added] = pool_index_.try_emplace(&account);
        if (added) {
            it->second.reserve(account.pools.size());
            for (const auto& p : account.pools) it->second.emplace(Lower(p.id), &p);
        }
        auto found = it->second.find(Lower(id));
        return found == it->second.end() ? nullptr : found->second;
    }

    void Requeue(model::Seconds after) {
        if (!plan_.requeue_after || after < *plan_.requeue_after) plan_.requeue_after = after;
    }

    /// Pools that carry poolwarden's marker in an observed account but that no pool file
    /// declares (`specs`: every declared pool, lower-cased id, sorted by account and id): a
    /// warning each; they are left as they are, and replicas their image has in their region
    /// are kept (never lowered).
    void FindOrphans(const std::vector<std::pair<std::string, const model::PoolSpec*>>& specs) {
        const model::Policy& policy = desired_.policy;
        const bool deleting = policy.prune_mode == model::Policy::PruneMode::Delete;
        for (const auto& [name, account] : observed_.accounts) {
            for (const auto& pool : account.pools) {
                if (!IsOwned(pool)) continue;
                const auto id = Lower(pool.id);
                auto it = std::lower_bound(specs.begin(), specs.end(), std::tie(name, id),
                                           [](const auto& e, const auto& k) {
                                               return std::tie(e.second->account, e.first) < k;
                                           });
                if (it != specs.end() && it->second->account == name && it->first == id) continue;
                const std::string key = model::OrphanKey(name, pool.id);
                if (std::find(desired_.withheld.begin(), desired_.withheld.end(), key) !=
                    desired_.withheld.end())
                    continue;
                if (!pool.virtual_machine_image_id.empty())
                    kept_images_.emplace(model::ResourceKey(pool.virtual_machine_image_id),
                                         model::NormalizeRegion(account.location));
                Finding f;
                f.severity = Severity::Warning;
                f.code = "Orphaned";
                f.account = name;
                f.pool = pool.id;
                f.message = "pool carries " + std::string(model::kManagedByKey) + "=" +
                            model::kManagedByValue + " but no pool file declares it; ";
                if (!deleting) {
                    f.message +=
                        "it is left as it is, with the replicas of its image (" +
                        std::to_string(model::AddNodeCounts(pool.target_dedicated_nodes,
                                                            pool.target_low_priority_nodes)) +
                        " target nodes). Fix: declare it again in a pool file, or delete it "
                        "(az batch pool delete --pool-id " +
                        pool.id + ", or prune.mode: delete)";
                    plan_.findings.push_back(std::move(f));
                    continue;
                }
                auto seen = observed_.orphan_history.find(key);
                const model::OrphanHistory h =
                    seen == observed_.orphan_history.end() ? model::OrphanHistory{} : seen->second;
                if (pool.state == "deleting") {
                    f.message += "it is being deleted";
                } else if (!desired_.pool_files_clean) {
                    f.message +=
                        "prune.mode is delete, but it is not deleted while a pool file "
                        "has errors. Fix: correct the pool file, or declare the pool "
                        "again";
                } else if (h.passes >= policy.prune_passes && h.absent_for >= policy.prune_grace) {
                    Action a;
                    a.kind = ActionKind::DeletePool;
                    a.account = name;
                    a.pool = pool.id;
                    a.if_match = pool.e_tag;
                    a.reason = "prune.mode delete: no pool file has declared it for " +
                               std::to_string(h.passes) + " passes (" +
                               model::FormatShortDuration(h.absent_for) + ")";
                    deletions_.push_back(std::move(a));
                    f.message += "it is deleted (prune.mode delete)";
                } else {
                    f.message +=
                        "prune.mode is delete: it is deleted once no pool file has "
                        "declared it for " +
                        std::to_string(policy.prune_passes) + " passes and " +
                        model::FormatShortDuration(policy.prune_grace) + " (so far " +
                        std::to_string(h.passes) + " passes, " +
                        model::FormatShortDuration(h.absent_for) +
                        "). Fix: declare it again in a pool file to keep it";
                }
                plan_.findings.push_back(std::move(f));
            }
        }
    }

    /// A pool still running another image than its file names (a rollout not yet swapped, a
    /// manual update policy, drift): that image's replicas in its region are kept, as for an
    /// orphan, until the pool moves.
    void KeepLiveImage(const model::PoolSpec& spec, const PoolWork& w) {
        if (!w.pool || w.pool->virtual_machine_image_id.empty() ||
            (!IsOwned(*w.pool) && !spec.adopt))
            return;
        const auto live = model::ResourceKey(w.pool->virtual_machine_image_id);
        if (live == model::ResourceKey(spec.image.str()) ||
            live == model::ResourceKey(spec.image.image_definition_id()))
            return;
        kept_images_.emplace(live, model::NormalizeRegion(w.region));
    }

    bool KeptInUse(const model::PoolSpec& spec, const std::string& region) const {
        if (kept_images_.empty()) return false;
        const auto r = model::NormalizeRegion(region);
        return kept_images_.count({model::ResourceKey(spec.image.str()), r}) > 0 ||
               kept_images_.count({model::ResourceKey(spec.image.image_definition_id()), r}) > 0;
    }

    /// Pass one: findings and intent of one desired pool.
    void Examine(const model::PoolSpec& spec) {
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
                     model::kManagedByValue +
                     "; it is left alone (set adopt: true to take it over)");
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

    void ExamineExisting(const model::PoolSpec& spec, PoolWork& w, bool owned, bool usable) {
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
        if (spec.metadata != UserMetadata(pool.metadata))
            w.patch_reasons.push_back("metadata differs");
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
                w.autoscale_reason = !pool.enable_auto_scale
                                         ? "switch from a fixed size to autoscale (maxNodes " +
                                               std::to_string(spec.autoscale->max_nodes) + ")"
                                         : std::string(formula_differs ? "autoscale formula"
                                                                       : "evaluation interval") +
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

    /// A drainAndSwap pool: its rollout step from Azure alone (DeriveRolloutStep). True when
    /// the step holds the pool's usual writes (a difference to roll out: pending, draining,
    /// swapping, or halted on it); its demand for the new image still counts, so that replicas
    /// are raised before any node is removed.
    bool ExamineRollout(const model::PoolSpec& spec, PoolWork& w,
                        const std::vector<model::PropertyDrift>& drift, bool usable) {
        const model::ObservedPool& pool = *w.pool;
        RolloutFacts f;
        f.drift = !drift.empty();
        f.targets =
            model::AddNodeCounts(pool.target_dedicated_nodes, pool.target_low_priority_nodes);
        f.current =
            model::AddNodeCounts(pool.current_dedicated_nodes, pool.current_low_priority_nodes);
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

    /// Decides, per rollout group, which pools move on this pass: the canary alone first, then
    /// at most maxUnavailable pools below size at a time, drains only inside a maintenance
    /// window and after the new image's replicas, nothing new while the group is halted or a
    /// pool is paused.
    /// The pools of one rollout group: the canary first, then by account and id.
    struct RolloutGroup {
        std::vector<PoolWork*> pools;
        const PoolWork* canary = nullptr;
        const model::RolloutGroupPolicy* policy = nullptr;
        bool solo = false;  ///< A pool without rolloutGroup (the defaults apply).
    };

    std::map<std::string, RolloutGroup> RolloutGroups() {
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
                if (!g.policy->canary.empty() && IEquals(w->spec->id, g.policy->canary))
                    g.canary = w;
            std::stable_sort(g.pools.begin(), g.pools.end(), [&](const auto* a, const auto* b) {
                return (a == g.canary) > (b == g.canary);
            });
        }
        return groups;
    }

    /// Below size while it rolls: counts toward maxUnavailable.
    static bool Busy(Step s) {
        return s == Step::Draining || s == Step::Swapping || s == Step::Regrowing ||
               s == Step::Gating;
    }

    void PlanRollouts() {
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
                const std::string held_why = up.paused
                                                 ? "updatePolicy.paused: the current step holds"
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
                                     "drain.timeout (" +
                                     model::FormatShortDuration(up.drain_timeout) +
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
                            w->detail =
                                "regrowing to " + std::to_string(spec.sized_nodes()) + " nodes";
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
                                : EvaluateHealthGate(gp.gate,
                                                     w->pool->nodes ? &*w->pool->nodes : nullptr,
                                                     elapsed);
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
                            w->patch_reasons.push_back("rollout health gate passed: " +
                                                       verdict.reason);
                            w->new_marker = Marker(model::RolloutMarker::Step::Done, *w, now_s);
                            Requeue(kRequeueWhileResizing);
                        } else {
                            w->patch_reasons.push_back("rollout health gate failed: " +
                                                       verdict.reason);
                            w->new_marker = Marker(model::RolloutMarker::Step::Halted, *w, now_s,
                                                   verdict.reason);
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
                    st.since = std::chrono::system_clock::time_point(
                        std::chrono::seconds(w->marker->since));
                st.next_window = w->next_window;
                st.detail = w->detail;
                plan_.rollouts.push_back(std::move(st));
            }
        }
    }

    /// The gate through ARM, which lists no nodes: the pool regrew without resize errors.
    static GateVerdict ArmGate(const model::ObservedPool& pool) {
        if (pool.resize_errors.empty())
            return {GateVerdict::Result::Pass, "regrew to its size without resize errors"};
        return {GateVerdict::Result::Fail, "the regrowth reported " +
                                               pool.resize_errors.front().code + ": " +
                                               pool.resize_errors.front().message};
    }

    static std::string Marker(model::RolloutMarker::Step step, const PoolWork& w,
                              std::int64_t since, std::string reason = {}) {
        model::RolloutMarker m;
        m.step = step;
        m.target = w.target;
        m.since = since;
        m.reason = std::move(reason);
        return model::FormatRolloutMarker(m);
    }

    void RolloutHalted(const std::string& group, const model::PoolSpec& spec,
                       const std::string& why) {
        Find(Severity::Error, "RolloutHalted", spec,
             "rollout group " + group + " halted at pool " + spec.id + ": " + why +
                 ". No other pool of the group is drained. Fix: correct the image (a new "
                 "version) or the pool file; the rollout starts again from the changed spec");
    }

    void ReportResizeErrors(const model::PoolSpec& spec, const model::ObservedPool& pool) {
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
                Find(Severity::Warning, "ResizeError", spec,
                     "the last resize failed (" + text + ")");
        }
    }

    /// Image checks for creating or growing; reports error findings when `report`.
    bool ImageUsable(const model::PoolSpec& spec, PoolWork& w, bool report) {
        if (!observed_.denied_images.empty()) {
            const std::string definition = spec.image.image_definition_id();
            auto denied = observed_.denied_images.find(spec.image.key());
            std::string what = "image version " + spec.image.str();
            if (denied == observed_.denied_images.end()) {
                denied = observed_.denied_images.find(model::ResourceKey(definition));
                what = "image definition " + definition;
            }
            if (denied != observed_.denied_images.end()) {
                if (report) {
                    auto f = ImageAccessDenied(spec, what, denied->second);
                    Find(f.severity, f.code, spec, std::move(f.message));
                }
                w.image_denied = true;
                return false;
            }
        }
        if (spec.image_follows_latest && spec.image.version.empty()) {
            if (report)
                Find(Severity::Error, "ImageNotFound", spec,
                     "image definition " + spec.image.image_definition_id() +
                         " has no version Batch would take as latest (provisioningState "
                         "Succeeded, excludeFromLatest not set)");
            return false;
        }
        auto vit = observed_.image_versions.find(spec.image.key());
        if (vit == observed_.image_versions.end()) {
            if (report)
                Find(Severity::Error, "ImageNotFound", spec,
                     "image version " + spec.image.str() + " does not exist");
            return false;
        }
        w.version = &vit->second;
        auto iit = observed_.images.find(model::ResourceKey(spec.image.image_definition_id()));
        if (iit == observed_.images.end()) {
            if (report)
                Find(Severity::Error, "ImageNotFound", spec,
                     "image definition " + spec.image.image_definition_id() + " does not exist");
            return false;
        }
        const model::ObservedImage& image = iit->second;
        bool ok = true;
        if (IEquals(w.version->provisioning_state, "Failed")) {
            if (report)
                Find(Severity::Error, "ImageVersionFailed", spec,
                     "image version " + spec.image.str() + " has provisioningState Failed");
            ok = false;
        }
        if (!IEquals(image.os_state, "Generalized")) {
            if (report)
                Find(
                    Severity::Error, "SpecializedImage", spec,
                    "image " + spec.image.image + " is " +
                        (image.os_state.empty() ? std::string("not Generalized") : image.os_state) +
                        "; Batch only creates pools from Generalized images");
            ok = false;
        }
        // With the account's supported images list read, pre-flight's OsTypeMismatch checks
        // the SKU's listed osType instead of this guess from its name.
        auto acc = observed_.accounts.find(spec.account);
        const bool listed = acc != observed_.accounts.end() && acc->second.node_agent_skus;
        bool windows_agent = IsWindowsAgent(spec.node_agent_sku_id);
        if (!listed && ((windows_agent && IEquals(image.os_type, "Linux")) ||
                        (!windows_agent && IEquals(image.os_type, "Windows")))) {
            if (report)
                Find(Severity::Error, "OsMismatch", spec,
                     "nodeAgentSkuId '" + spec.node_agent_sku_id + "' does not fit the " +
                         image.os_type + " image " + spec.image.image);
            ok = false;
        }
        return ok;
    }

    /// Pre-flight (preflight.hpp): of every pool, its image's readability, nodeAgentSkuId and
    /// image subscription (a pool that fails gets no write at all); of the pools that create or
    /// grow, compatibility of VM size, image and security profile, then each account's quotas
    /// (a pool that fails is held).
    void Preflight() {
        std::map<std::string, std::vector<PoolWork*>> by_account;
        for (auto& w : work_) {
            by_account[w.spec->account].push_back(&w);
            auto acc = observed_.accounts.find(w.spec->account);
            auto img =
                observed_.images.find(model::ResourceKey(w.spec->image.image_definition_id()));
            const model::ObservedImage* image =
                img == observed_.images.end() ? nullptr : &img->second;
            if (w.image_denied) {
                HoldAll(w);
                continue;
            }
            auto prerequisites = CheckNodeAgentSku(
                *w.spec, image,
                acc == observed_.accounts.end() ? nullptr : acc->second.node_agent_skus.get());
            if (const model::AccountSpec* a = desired_.find_account(w.spec->account))
                for (auto& f :
                     CheckImageSubscription(*w.spec, a->subscription_id, observed_.subscriptions))
                    prerequisites.push_back(std::move(f));
            for (auto& f : prerequisites) Find(f.severity, f.code, *w.spec, f.message);
            if (!prerequisites.empty()) {
                HoldAll(w);
                continue;
            }
            const bool rolls = w.rollout && w.step == model::RolloutStatus::Step::Pending;
            if (!w.create && !(w.resize && w.grow) && !rolls) continue;
            const model::VmSkuTable* skus =
                acc == observed_.accounts.end() ? nullptr : acc->second.vm_skus.get();
            const model::VmSku* sku = nullptr;
            if (skus) {
                auto it = skus->find(Lower(w.spec->vm_size));
                if (it != skus->end()) sku = &it->second;
            }
            auto found = CheckCompatibility(*w.spec, image, sku, skus != nullptr);
            for (auto& f : found) Find(f.severity, f.code, *w.spec, f.message);
            if (!found.empty()) Hold(w);
            if (!found.empty() && rolls) w.held = true;
        }
        std::set<const PoolWork*> next_drains;
        for (auto& [name, members] : RolloutGroups()) {
            int room = members.policy->max_unavailable;
            for (const auto* w : members.pools)
                if (Busy(w->step)) --room;
            const bool canary_first = members.canary && members.canary->step != Step::Idle &&
                                      members.canary->step != Step::Done;
            for (const auto* w : members.pools) {
                if (room <= 0 || (canary_first && w != members.canary)) break;
                if (w->step != Step::Pending) continue;
                next_drains.insert(w);
                --room;
            }
        }
        for (const auto& [name, works] : by_account) {
            auto acc = observed_.accounts.find(name);
            if (acc == observed_.accounts.end()) continue;
            std::vector<QuotaPool> pools;
            std::unordered_map<std::string, PoolWork*> owner;
            for (auto* w : works) {
                const model::PoolSpec& spec = *w->spec;
                QuotaPool q;
                q.id = spec.id;
                q.vm_size = w->pool ? w->pool->vm_size : spec.vm_size;
                q.declared = true;
                q.exists = w->pool != nullptr;
                q.creates = w->create;
                q.grows = w->resize && w->grow;
                q.fixed = spec.fixed.has_value();
                q.current_dedicated = w->pool ? w->pool->target_dedicated_nodes : 0;
                q.current_low = w->pool ? w->pool->target_low_priority_nodes : 0;
                if (next_drains.count(w)) {
                    // Checked before the drain: the pool regrows in the spec's vmSize, and a
                    // quota that holds the regrowth must not leave it drained.
                    q.vm_size = spec.vm_size;
                    q.current_dedicated = q.current_low = 0;
                    q.grows = true;
                }
                q.want_dedicated =
                    spec.fixed ? spec.fixed->target_dedicated_nodes : spec.sized_nodes();
                q.want_low = spec.fixed ? spec.fixed->target_low_priority_nodes : 0;
                pools.push_back(std::move(q));
                owner.emplace(Lower(spec.id), w);
            }
            for (const auto& p : acc->second.pools) {
                if (owner.count(Lower(p.id))) continue;
                QuotaPool q;
                q.id = p.id;
                q.vm_size = p.vm_size;
                q.exists = true;
                q.current_dedicated = p.target_dedicated_nodes;
                q.current_low = p.target_low_priority_nodes;
                pools.push_back(std::move(q));
            }
            const model::AccountSpec* account_spec = desired_.find_account(name);
            auto check =
                CheckQuota(name, acc->second, pools, desired_.policy.quota_partial_growth,
                           account_spec ? std::string_view(account_spec->account_name) : "");
            for (auto& f : check.findings)
                Find(f.severity, f.code, *owner.at(Lower(f.pool))->spec, std::move(f.message));
            for (const auto& d : check.decisions) {
                PoolWork& w = *owner.at(Lower(d.id));
                if (d.held) Hold(w);
                if (d.held && w.rollout) w.held = true;
                w.quota_dedicated = d.dedicated;
                w.quota_low = d.low;
            }
        }
    }

    static void Hold(PoolWork& w) {
        if (w.create) w.contributes = false;
        w.create = false;
        w.resize = false;
        w.enable_autoscale = false;
    }

    /// No create, resize, autoscale change or patch for the pool.
    static void HoldAll(PoolWork& w) {
        Hold(w);
        w.held = true;
        w.disable_autoscale = false;
        w.patch_reasons.clear();
    }

    void ComputeDemand() {
        std::map<std::pair<std::string, std::string>, Demand> by_key;
        for (const auto& w : work_) {
            if (!w.contributes || !w.version) continue;
            auto key = std::pair(w.spec->image.key(), model::NormalizeRegion(w.region));
            auto& d = by_key[key];
            if (d.pools.empty()) {
                d.version_key = key.first;
                d.region = w.region;
            }
            d.pools.push_back(&w);
        }
        for (auto& [key, d] : by_key) {
            std::vector<int> nodes;
            for (const auto* w : d.pools) nodes.push_back(w->spec->sized_nodes());
            d.requirement = RequiredRegionReplicas(nodes, desired_.policy);
            d.wanted = d.requirement.required;
            demand_.emplace(key, std::move(d));
        }
        for (auto it = demand_.begin(); it != demand_.end();) {
            auto end = it;
            while (end != demand_.end() && end->first.first == it->first.first) ++end;
            FitVersion(it, end);
            it = end;
        }
        for (const auto& [key, d] : demand_)
            plan_.requirements.push_back(
                {d.pools.front()->spec->image.str(), key.second, d.requirement.required});
    }

    /// Azure holds at most kMaxReplicasPerVersion replicas of a version over all its regions:
    /// the regions' requirements [first, last) of one version are fitted into that.
    void FitVersion(std::map<std::pair<std::string, std::string>, Demand>::iterator first,
                    std::map<std::pair<std::string, std::string>, Demand>::iterator last) {
        const model::ObservedImageVersion& version = *first->second.pools.front()->version;
        std::vector<RegionShare> shares;
        std::vector<Demand*> owner;
        for (const auto& t : version.target_regions) {
            auto it = std::find_if(first, last, [&](const auto& e) {
                return e.first.second == model::NormalizeRegion(t.name);
            });
            shares.push_back({t.regional_replica_count,
                              it == last ? std::nullopt : std::optional(it->second.wanted)});
            owner.push_back(it == last ? nullptr : &it->second);
        }
        for (auto it = first; it != last; ++it) {
            if (std::find(owner.begin(), owner.end(), &it->second) != owner.end()) continue;
            shares.push_back({0, it->second.wanted});
            owner.push_back(&it->second);
        }
        const VersionFit fit = FitVersionReplicas(shares, desired_.policy.lower_replicas);
        if (!fit.squeezed) return;
        const Demand& any = first->second;
        if (fit.over) {
            blocked_versions_.insert(any.version_key);
            Finding f;
            f.severity = Severity::Error;
            f.code = "VersionReplicaLimit";
            f.image_version = any.pools.front()->spec->image.str();
            f.message = LimitText("the regions where pools use it need more than") +
                        "; no replica change is planned (set policy.lowerReplicas, or use "
                        "another version for some regions)";
            plan_.findings.push_back(std::move(f));
            return;
        }
        std::vector<std::string> cuts;
        for (std::size_t i = 0; i < owner.size(); ++i) {
            Demand* d = owner[i];
            if (!d || fit.counts[i] >= d->wanted) continue;
            d->requirement.required = fit.counts[i];
            cuts.push_back(d->region + " " + std::to_string(d->wanted) + " -> " +
                           std::to_string(fit.counts[i]));
        }
        Finding f;
        f.severity = Severity::Warning;
        f.code = "ReplicaCapReached";
        f.image_version = any.pools.front()->spec->image.str();
        f.message =
            LimitText("the rules ask for more than") + "; shared out as " + Join(cuts, ", ");
        plan_.findings.push_back(std::move(f));
    }

    const Demand* DemandFor(const PoolWork& w) const {
        auto it = demand_.find(std::pair(w.spec->image.key(), model::NormalizeRegion(w.region)));
        return it == demand_.end() ? nullptr : &it->second;
    }

    /// Need(d, required), and when the version-wide limit lowered it, what was wanted.
    std::string NeedFor(const Demand& d) const {
        if (!d.version_limited()) return Need(d, d.requirement.required);
        return Need(d, d.wanted) + ", limited to " + std::to_string(d.requirement.required) +
               " by the version's " + std::to_string(kMaxReplicasPerVersion) + "-replica limit";
    }

    /// "a (3000 VMs), b (301 VMs) need 12 replicas in eastus (1 per 300 VMs + 0 extra)".
    std::string Need(const Demand& d, int replicas) const {
        std::vector<std::string> pools;
        for (const auto* w : d.pools)
            pools.push_back(w->spec->id + " (" + std::to_string(w->spec->sized_nodes()) + " VMs)");
        std::string out = Join(pools, ", ") + (pools.size() == 1 ? " needs " : " need ") +
                          std::to_string(replicas) + " replicas in " + d.region + " (1 per " +
                          std::to_string(std::max(1, desired_.policy.vms_per_replica)) + " VMs";
        if (desired_.policy.extra_replicas > 0)
            out += " + " + std::to_string(desired_.policy.extra_replicas) + " extra";
        return out + ")";
    }

    /// Replica writes: per version, every region's change merged into one targetRegions list
    /// that each of the version's actions carries.
    void PlanReplicas() {
        std::string current_key;
        std::vector<Action> pending;
        std::vector<model::TargetRegion> regions;
        auto flush = [&] {
            for (auto& a : pending) {
                a.target_regions = regions;
                plan_.actions.push_back(std::move(a));
            }
            pending.clear();
        };
        for (const auto& [key, d] : demand_) {
            if (blocked_versions_.count(key.first)) continue;
            if (key.first != current_key) {
                flush();
                current_key = key.first;
                regions = d.pools.front()->version->target_regions;
            }
            const model::ObservedImageVersion& version = *d.pools.front()->version;
            const auto& req = d.requirement;
            const std::string version_id = d.pools.front()->spec->image.str();
            if (req.capped) {
                Finding f;
                f.severity = Severity::Warning;
                f.code = "ReplicaCapReached";
                f.image_version = version_id;
                f.account = d.pools.front()->spec->account;
                f.pool = d.pools.size() == 1 ? d.pools.front()->spec->id : "";
                f.message = Need(d, req.demand) + "; capped at " + std::to_string(req.required) +
                            " (maxReplicasPerRegion)";
                plan_.findings.push_back(std::move(f));
            }
            Action a;
            a.image_version = version_id;
            a.region = d.region;
            a.to = req.required;
            auto it = std::find_if(regions.begin(), regions.end(), [&key = key](const auto& r) {
                return model::NormalizeRegion(r.name) == key.second;
            });
            if (it == regions.end()) {
                model::TargetRegion added;
                added.name = d.region;
                added.regional_replica_count = req.required;
                added.storage_account_type =
                    !version.storage_account_type.empty() ? version.storage_account_type
                    : !regions.empty()                    ? regions.front().storage_account_type
                                                          : std::string();
                regions.push_back(added);
                a.kind = ActionKind::AddTargetRegion;
                a.reason = d.region + " is not a target region of the version; " + NeedFor(d);
                pending.push_back(std::move(a));
                continue;
            }
            int have = it->regional_replica_count;
            bool raise = have < req.required;
            bool lower = have > req.required && desired_.policy.lower_replicas &&
                         !KeptInUse(*d.pools.front()->spec, d.region);
            if (!raise && !lower) continue;
            it->regional_replica_count = req.required;
            a.kind = ActionKind::SetRegionalReplicas;
            a.from = have;
            a.region = it->name;
            a.reason = std::string(raise ? "" : "lowerReplicas: ") + NeedFor(d) + "; it has " +
                       std::to_string(have);
            pending.push_back(std::move(a));
        }
        flush();
    }

    /// Pass two: the pool's own actions, in order wait / create / resize / patch.
    void PlanPoolActions(const PoolWork& w) {
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
            a.resize_timeout =
                std::max(ResizeTimeoutFor(model::AddNodeCounts(pool.current_dedicated_nodes,
                                                               pool.current_low_priority_nodes),
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

    Action Base(ActionKind kind, const model::PoolSpec& spec) const {
        Action a;
        a.kind = kind;
        a.account = spec.account;
        a.pool = spec.id;
        a.spec = spec;
        return a;
    }

    Action CreateAction(const PoolWork& w) const {
        const model::PoolSpec& spec = *w.spec;
        Action a = Base(ActionKind::CreatePool, spec);
        a.image_version = spec.image.str();
        a.region = w.region;
        if (spec.fixed) {
            a.target_dedicated_nodes =
                w.quota_dedicated.value_or(spec.fixed->target_dedicated_nodes);
            a.target_low_priority_nodes =
                w.quota_low.value_or(spec.fixed->target_low_priority_nodes);
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

    const model::DesiredState& desired_;
    const model::ObservedState& observed_;
    std::chrono::system_clock::time_point now_;
    std::unordered_map<const model::ObservedAccount*,
                       std::unordered_map<std::string, const model::ObservedPool*>>
        pool_index_;
    std::vector<PoolWork> work_;
    std::map<std::pair<std::string, std::string>, Demand> demand_;
    std::set<std::string> blocked_versions_;  ///< Version keys whose regions cannot fit.
    /// (ResourceKey of the image id, normalized region) of every orphaned pool and of every
    /// declared pool still on another image than its file's: replicas there are never lowered.
    std::set<std::pair<std::string, std::string>> kept_images_;
    std::vector<Action> deletions_;  ///< DeletePool actions: first in the plan.
    model::Plan plan_;
};

}  // namespace

model::Plan MakePlan(const model::DesiredState& desired, const model::ObservedState& observed,
                     std::chrono::system_clock::time_point now) {
    if (model::NeedsLatestResolution(desired)) {
        const model::DesiredState resolved = model::ResolveLatest(desired, observed);
        return Planner(resolved, observed, now).Run();
    }
    return Planner(desired, observed, now).Run();
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
