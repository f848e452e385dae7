// PlanBuilder: orphaned pools, prune (prune.mode delete) and the images whose replicas are kept.

#include <algorithm>
#include <tuple>

#include "model/duration.hpp"
#include "planner/plan_builder.hpp"

namespace pw::planner::detail {

void PlanBuilder::FindOrphans(
    const std::vector<std::pair<std::string, const model::PoolSpec*>>& specs) {
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
                f.message += "it is left as it is, with the replicas of its image (" +
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

void PlanBuilder::KeepLiveImage(const model::PoolSpec& spec, const PoolWork& w) {
    if (!w.pool || w.pool->virtual_machine_image_id.empty() || (!IsOwned(*w.pool) && !spec.adopt))
        return;
    const auto live = model::ResourceKey(w.pool->virtual_machine_image_id);
    if (live == model::ResourceKey(spec.image.str()) ||
        live == model::ResourceKey(spec.image.image_definition_id()))
        return;
    kept_images_.emplace(live, model::NormalizeRegion(w.region));
}

bool PlanBuilder::KeptInUse(const model::PoolSpec& spec, const std::string& region) const {
    if (kept_images_.empty()) return false;
    const auto r = model::NormalizeRegion(region);
    return kept_images_.count({model::ResourceKey(spec.image.str()), r}) > 0 ||
           kept_images_.count({model::ResourceKey(spec.image.image_definition_id()), r}) > 0;
}

}  // namespace pw::planner::detail
