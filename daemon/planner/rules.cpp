#include "planner/rules.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "model/resource_id.hpp"

namespace pw::planner {

int RequiredReplicas(int nodes, const model::Policy& policy) {
    if (nodes <= 0) return 0;
    int per = std::max(1, policy.vms_per_replica);
    return nodes / per + (nodes % per != 0 ? 1 : 0);
}

RegionRequirement RequiredRegionReplicas(const std::vector<int>& pool_nodes,
                                         const model::Policy& policy) {
    std::int64_t demand = std::max(0, policy.extra_replicas);
    for (int n : pool_nodes) demand += RequiredReplicas(n, policy);
    RegionRequirement r;
    const std::int64_t cap = std::max(1, policy.max_replicas_per_region);
    r.demand = static_cast<int>(std::min<std::int64_t>(demand, INT32_MAX));
    r.capped = demand > cap;
    r.required = static_cast<int>(std::clamp<std::int64_t>(demand, 1, cap));
    return r;
}

VersionFit FitVersionReplicas(const std::vector<RegionShare>& regions, bool lower, int limit) {
    VersionFit fit;
    fit.counts.resize(regions.size());
    std::int64_t total = 0;
    for (std::size_t i = 0; i < regions.size(); ++i) {
        const auto& r = regions[i];
        fit.counts[i] = !r.wanted ? r.current : lower ? *r.wanted : std::max(*r.wanted, r.current);
        total += fit.counts[i];
    }
    if (total <= limit) return fit;

    std::int64_t budget = limit;
    std::vector<int> floor(regions.size()), extra(regions.size());
    std::int64_t total_extra = 0;
    for (std::size_t i = 0; i < regions.size(); ++i) {
        const auto& r = regions[i];
        if (!r.wanted) {
            budget -= r.current;
            continue;
        }
        floor[i] = std::min(fit.counts[i], lower ? 1 : std::max(1, r.current));
        extra[i] = fit.counts[i] - floor[i];
        budget -= floor[i];
        total_extra += extra[i];
    }
    fit.squeezed = true;
    if (budget <= 0) {
        fit.over = budget < 0;
        for (std::size_t i = 0; i < regions.size(); ++i)
            if (regions[i].wanted) fit.counts[i] = floor[i];
        return fit;
    }
    // budget < total_extra here: share it by largest remainder.
    std::vector<std::pair<std::int64_t, std::size_t>> remainders;
    std::int64_t given = 0;
    for (std::size_t i = 0; i < regions.size(); ++i) {
        if (!regions[i].wanted) continue;
        const std::int64_t scaled = budget * extra[i];
        const std::int64_t share = scaled / total_extra;
        fit.counts[i] = floor[i] + static_cast<int>(share);
        given += share;
        remainders.emplace_back(-(scaled % total_extra), i);
    }
    std::sort(remainders.begin(), remainders.end());
    for (std::size_t k = 0; given < budget && k < remainders.size(); ++k, ++given)
        ++fit.counts[remainders[k].second];
    return fit;
}

model::Seconds ResizeTimeoutFor(int nodes, std::optional<model::Seconds> floor,
                                const model::Policy& policy) {
    std::int64_t thousands = nodes <= 0 ? 0 : nodes / 1000 + (nodes % 1000 != 0 ? 1 : 0);
    model::Seconds by_size{thousands * policy.resize_timeout_per_1000_vms.count()};
    model::Seconds out = std::max(kMinResizeTimeout, by_size);
    if (floor) out = std::max(out, *floor);
    return out;
}

bool IsWindowsAgent(std::string_view sku) {
    constexpr std::string_view kPrefix = "batch.node.windows";
    return sku.size() >= kPrefix.size() && IEquals(sku.substr(0, kPrefix.size()), kPrefix);
}

std::map<std::string, std::string> UserMetadata(const std::map<std::string, std::string>& m) {
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : m)
        if (k.rfind("poolwarden.io/", 0) != 0) out.emplace(k, v);
    return out;
}

bool IsOwned(const model::ObservedPool& pool) {
    auto it = pool.metadata.find(model::kManagedByKey);
    return it != pool.metadata.end() && it->second == model::kManagedByValue;
}

std::vector<model::PropertyDrift> ImmutableDrift(const model::PoolSpec& spec,
                                                 const model::ObservedPool& pool) {
    std::vector<model::PropertyDrift> out;
    const auto quoted = [](const std::string& s) { return "\"" + s + "\""; };
    const auto text = [&](std::string_view path, const std::string& want, const std::string& have) {
        if (!IEquals(want, have))
            out.push_back({std::string(path), model::UpdateClass::EmptyOnly, quoted(want),
                           have.empty() ? std::string("(absent)") : quoted(have)});
    };
    text("vmSize", spec.vm_size, pool.vm_size);
    text("image", spec.image_reference(), pool.virtual_machine_image_id);
    text("nodeAgentSkuId", spec.node_agent_sku_id, pool.node_agent_sku_id);
    if (spec.task_slots_per_node != pool.task_slots_per_node)
        out.push_back({"taskSlotsPerNode", model::UpdateClass::EmptyOnly,
                       std::to_string(spec.task_slots_per_node),
                       std::to_string(pool.task_slots_per_node)});
    return out;
}

std::optional<model::PropertyDrift> IdentityDrift(const model::PoolSpec& spec,
                                                  const model::ObservedPool& pool) {
    if (pool.identities.empty()) return std::nullopt;
    const auto keys = [](const std::vector<std::string>& ids) {
        std::vector<std::string> out;
        for (const auto& id : ids) out.push_back(model::ResourceKey(id));
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    };
    if (keys(spec.identities) == keys(pool.identities)) return std::nullopt;
    const auto text = [](const std::vector<std::string>& ids) {
        std::string out = "[";
        for (const auto& id : ids) out += (out.size() > 1 ? ", \"" : "\"") + id + "\"";
        return out + "]";
    };
    return model::PropertyDrift{"identity.userAssignedIdentities", model::UpdateClass::EmptyOnly,
                                text(spec.identities), text(pool.identities)};
}

bool ReplicasReady(const model::ObservedImageVersion& version, std::string_view region,
                   int required, std::string* why) {
    auto fail = [&](std::string reason) {
        if (why) *why = std::move(reason);
        return false;
    };
    const model::TargetRegion* target = version.find_region(region);
    if (!target) return fail("region " + std::string(region) + " is not a target region");
    if (target->regional_replica_count < required)
        return fail(std::to_string(target->regional_replica_count) + " of " +
                    std::to_string(required) + " replicas in " + std::string(region));
    if (IEquals(version.provisioning_state, "Creating") ||
        IEquals(version.provisioning_state, "Updating"))
        return fail("version provisioningState is " + version.provisioning_state);
    const model::RegionReplication* rep = version.find_replication(region);
    std::string state =
        rep ? rep->state : (version.summary.empty() ? version.aggregated_state : "Unknown");
    if (!IEquals(state, "Completed")) {
        std::string shown = state.empty() ? "unknown" : state;
        if (rep && IEquals(state, "Replicating"))
            shown += " " + std::to_string(rep->progress) + "%";
        return fail("replication in " + std::string(region) + " is " + shown);
    }
    return true;
}

}  // namespace pw::planner
