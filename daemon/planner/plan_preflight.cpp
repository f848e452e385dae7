// PlanBuilder: image checks and pre-flight (preflight.hpp), which hold pools.

#include <algorithm>

#include "planner/plan_builder.hpp"
#include "planner/preflight.hpp"

namespace pw::planner::detail {

bool PlanBuilder::ImageUsable(const model::PoolSpec& spec, PoolWork& w, bool report) {
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
            Find(Severity::Error, "SpecializedImage", spec,
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

void PlanBuilder::Preflight() {
    std::map<std::string, std::vector<PoolWork*>> by_account;
    for (auto& w : work_) {
        by_account[w.spec->account].push_back(&w);
        auto acc = observed_.accounts.find(w.spec->account);
        auto img = observed_.images.find(model::ResourceKey(w.spec->image.image_definition_id()));
        const model::ObservedImage* image = img == observed_.images.end() ? nullptr : &img->second;
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
            q.want_dedicated = spec.fixed ? spec.fixed->target_dedicated_nodes : spec.sized_nodes();
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
        auto check = CheckQuota(name, acc->second, pools, desired_.policy.quota_partial_growth,
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

void PlanBuilder::Hold(PoolWork& w) {
    if (w.create) w.contributes = false;
    w.create = false;
    w.resize = false;
    w.enable_autoscale = false;
}

void PlanBuilder::HoldAll(PoolWork& w) {
    Hold(w);
    w.held = true;
    w.disable_autoscale = false;
    w.patch_reasons.clear();
}

}  // namespace pw::planner::detail
