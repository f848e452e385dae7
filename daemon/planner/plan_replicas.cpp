// PlanBuilder: replica demand per (version, region), the version-wide limit and replica writes.

#include <algorithm>

#include "planner/plan_builder.hpp"

namespace pw::planner::detail {

namespace {

std::string LimitText(std::string_view what) {
    return "Azure allows " + std::to_string(kMaxReplicasPerVersion) +
           " replicas per image version over all its regions, and " + std::string(what) + " " +
           std::to_string(kMaxReplicasPerVersion);
}

}  // namespace

void PlanBuilder::ComputeDemand() {
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

void PlanBuilder::FitVersion(std::map<std::pair<std::string, std::string>, Demand>::iterator first,
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
    f.message = LimitText("the rules ask for more than") + "; shared out as " + Join(cuts, ", ");
    plan_.findings.push_back(std::move(f));
}

const Demand* PlanBuilder::DemandFor(const PoolWork& w) const {
    auto it = demand_.find(std::pair(w.spec->image.key(), model::NormalizeRegion(w.region)));
    return it == demand_.end() ? nullptr : &it->second;
}

std::string PlanBuilder::NeedFor(const Demand& d) const {
    if (!d.version_limited()) return Need(d, d.requirement.required);
    return Need(d, d.wanted) + ", limited to " + std::to_string(d.requirement.required) +
           " by the version's " + std::to_string(kMaxReplicasPerVersion) + "-replica limit";
}

std::string PlanBuilder::Need(const Demand& d, int replicas) const {
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

void PlanBuilder::PlanReplicas() {
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
            added.storage_account_type = !version.storage_account_type.empty()
                                             ? version.storage_account_type
                                         : !regions.empty() ? regions.front().storage_account_type
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

}  // namespace pw::planner::detail
