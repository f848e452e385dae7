#include "planner/preflight.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>

#include "model/resource_id.hpp"

namespace pw::planner {
namespace {

using model::Finding;
using model::Severity;

using model::Lower;

/// Pools using one quota: (pool id, vCPUs), in the order they were counted.
using Users = std::vector<std::pair<std::string, std::int64_t>>;

/// One quota as the rule counts it.
struct Counter {
    std::int64_t used = 0;
    Users users;
    void add(const std::string& pool, std::int64_t vcpus) {
        if (vcpus <= 0) return;
        used += vcpus;
        users.emplace_back(pool, vcpus);
    }
};

/// A quota that applies to one kind of node of one pool.
struct Limit {
    std::string what;     ///< "dedicated vCPUs of family standardDSv3Family"
    std::string field;    ///< The account property: "dedicatedCoreQuotaPerVMFamily".
    std::string request;  ///< What to request: "a standardDSv3Family dedicated core quota".
    Counter* counter = nullptr;
    std::int64_t quota = 0;
};

std::string UsersText(const Users& users, const std::string& pool, std::int64_t vcpus) {
    std::string out;
    auto add = [&](const std::string& id, std::int64_t v) {
        if (!out.empty()) out += ", ";
        out += id + " " + std::to_string(v);
    };
    for (const auto& [id, v] : users) add(id, v);
    add(pool, vcpus);
    return out;
}

class QuotaRule {
  public:
    QuotaRule(std::string_view account, std::string_view batch_account,
              const model::ObservedAccount& facts, bool partial)
        : account_(account),
          batch_account_(batch_account.empty() ? account : batch_account),
          facts_(facts),
          partial_(partial) {}

    QuotaCheck Run(const std::vector<QuotaPool>& pools) {
        for (const auto& p : pools) {
            if (p.exists) ++pool_count_;
            const model::VmSku* sku = Sku(p);
            if (!sku) continue;
            bool changes = p.creates || p.grows;
            int d = p.current_dedicated, l = p.current_low;
            if (!changes && p.declared) {
                d = std::max(d, p.want_dedicated);
                l = std::max(l, p.want_low);
            }
            Count(p.id, *sku, d, l);
        }
        for (const auto& p : pools)
            if (p.creates || p.grows) Decide(p);
        return std::move(out_);
    }

  private:
    const model::VmSku* Sku(const QuotaPool& p) const {
        if (!facts_.vm_skus) return nullptr;
        auto it = facts_.vm_skus->find(Lower(p.vm_size));
        if (it == facts_.vm_skus->end() || it->second.vcpus <= 0) return nullptr;
        return &it->second;
    }

    void Count(const std::string& pool, const model::VmSku& sku, std::int64_t d, std::int64_t l) {
        dedicated_.add(pool, d * sku.vcpus);
        family_[Lower(sku.family)].add(pool, d * sku.vcpus);
        low_.add(pool, l * sku.vcpus);
    }

    std::vector<Limit> DedicatedLimits(const model::VmSku& sku) {
        std::vector<Limit> out;
        if (facts_.dedicated_core_quota)
            out.push_back({"dedicated vCPUs", "dedicatedCoreQuota", "a dedicated core quota",
                           &dedicated_, *facts_.dedicated_core_quota});
        // dedicatedCoreQuotaPerVMFamilyEnforced: "true → dedicated cores are limited by both the
        // per-family list and the account total" [BM, contract §9]. A family missing from the
        // list gets no cores (guess: the API lists every family, most with 0).
        if (facts_.family_quota_enforced && facts_.dedicated_core_quota) {
            auto it = facts_.family_core_quota.find(Lower(sku.family));
            out.push_back({"dedicated vCPUs of family " + sku.family,
                           "dedicatedCoreQuotaPerVMFamily", "a " + sku.family + " core quota",
                           &family_[Lower(sku.family)],
                           it == facts_.family_core_quota.end() ? 0 : it->second});
        }
        return out;
    }

    std::vector<Limit> LowLimits() {
        std::vector<Limit> out;
        if (facts_.low_priority_core_quota)
            out.push_back({"low-priority vCPUs", "lowPriorityCoreQuota",
                           "a low-priority core quota", &low_, *facts_.low_priority_core_quota});
        return out;
    }

    /// Nodes (beyond `current`) that `limits` leave room for; `added` wanted.
    static std::int64_t Room(const std::vector<Limit>& limits, std::int64_t vcpus,
                             std::int64_t added) {
        std::int64_t room = added;
        for (const auto& l : limits)
            room = std::min(room, std::max<std::int64_t>(0, (l.quota - l.counter->used) / vcpus));
        return room;
    }

    void Decide(const QuotaPool& p) {
        QuotaDecision decision;
        decision.id = p.id;
        if (p.creates && facts_.pool_quota && pool_count_ + 1 > *facts_.pool_quota) {
            Fail(p, "the account holds " + std::to_string(pool_count_) +
                        " pools and its poolQuota is " + std::to_string(*facts_.pool_quota) +
                        "; the pool is not created. Fix: request a pool quota of at least " +
                        std::to_string(pool_count_ + 1) + " for Batch account " +
                        std::string(batch_account_) +
                        " (a support request: Azure portal, Batch account, Quotas), or delete "
                        "an unused pool");
            decision.held = true;
            out_.decisions.push_back(std::move(decision));
            return;
        }
        const model::VmSku* sku = Sku(p);
        if (!sku) {
            Admit(p);
            out_.decisions.push_back(std::move(decision));
            return;
        }
        const std::int64_t v = sku->vcpus;
        const std::int64_t add_d = std::max(0, p.want_dedicated - p.current_dedicated);
        const std::int64_t add_l = std::max(0, p.want_low - p.current_low);
        auto dlimits = DedicatedLimits(*sku);
        auto llimits = LowLimits();
        const std::int64_t room_d = Room(dlimits, v, add_d);
        const std::int64_t room_l = Room(llimits, v, add_l);
        if (room_d == add_d && room_l == add_l) {
            Count(p.id, *sku, add_d, add_l);
            Admit(p);
            out_.decisions.push_back(std::move(decision));
            return;
        }
        const bool partial = partial_ && p.fixed && (room_d > 0 || room_l > 0);
        const int new_d = p.current_dedicated + static_cast<int>(room_d);
        const int new_l = p.current_low + static_cast<int>(room_l);
        std::string outcome =
            partial ? "quota.partialGrowth: the pool goes to " + std::to_string(new_d) +
                          " dedicated + " + std::to_string(new_l) + " low-priority nodes only"
                    : std::string(p.creates ? "the pool is not created" : "the pool is not grown");
        auto report = [&](const std::vector<Limit>& limits, std::int64_t added) {
            for (const auto& l : limits) {
                const std::int64_t needed = l.counter->used + added * v;
                if (needed <= l.quota) continue;
                std::string text =
                    l.what + ": the pools need " + std::to_string(needed) + " (" +
                    UsersText(l.counter->users, p.id, added * v) + ") but " + l.field + " is " +
                    std::to_string(l.quota) + " (" + p.vm_size + " has " + std::to_string(v) +
                    " vCPUs); " + outcome + ". Fix: request " + l.request + " of at least " +
                    std::to_string(needed) + " for Batch account " + std::string(batch_account_) +
                    " (a support request: Azure portal, Batch account, Quotas), "
                    "or make pools smaller";
                Finding f;
                f.severity = partial ? Severity::Warning : Severity::Error;
                f.code = "QuotaExceeded";
                f.account = std::string(account_);
                f.pool = p.id;
                f.message = std::move(text);
                out_.findings.push_back(std::move(f));
            }
        };
        report(dlimits, add_d);
        report(llimits, add_l);
        if (!partial) {
            decision.held = true;
            out_.decisions.push_back(std::move(decision));
            return;
        }
        Count(p.id, *sku, room_d, room_l);
        Admit(p);
        decision.dedicated = new_d;
        decision.low = new_l;
        out_.decisions.push_back(std::move(decision));
    }

    void Admit(const QuotaPool& p) {
        if (p.creates) ++pool_count_;
    }

    void Fail(const QuotaPool& p, std::string text) {
        Finding f;
        f.severity = Severity::Error;
        f.code = "QuotaExceeded";
        f.account = std::string(account_);
        f.pool = p.id;
        f.message = std::move(text);
        out_.findings.push_back(std::move(f));
    }

    std::string_view account_;
    std::string_view batch_account_;
    const model::ObservedAccount& facts_;
    bool partial_;
    int pool_count_ = 0;
    Counter dedicated_, low_;
    std::map<std::string, Counter> family_;  ///< By lower-cased family name.
    QuotaCheck out_;
};

bool Has(const std::vector<std::string>& list, std::string_view value) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& s) { return model::IEquals(s, value); });
}

}  // namespace

QuotaCheck CheckQuota(std::string_view account, const model::ObservedAccount& facts,
                      const std::vector<QuotaPool>& pools, bool partial_growth,
                      std::string_view batch_account) {
    return QuotaRule(account, batch_account, facts, partial_growth).Run(pools);
}

std::string PoolSecurityType(const model::PoolSpec& spec) {
    const model::PropValue* vmc = spec.properties.find("virtualMachineConfiguration");
    const model::PropValue* sp = vmc ? vmc->find("securityProfile") : nullptr;
    const model::PropValue* st = sp ? sp->find("securityType") : nullptr;
    return st ? st->text : std::string();
}

std::vector<model::Finding> CheckCompatibility(const model::PoolSpec& spec,
                                               const model::ObservedImage* image,
                                               const model::VmSku* sku, bool skus_known) {
    std::vector<Finding> out;
    auto find = [&](std::string code, std::string message) {
        Finding f;
        f.severity = Severity::Error;
        f.code = std::move(code);
        f.message = std::move(message);
        out.push_back(std::move(f));
    };
    // The list holds "the VM sizes Batch supports in the location"
    // [BM Location_ListSupportedVirtualMachineSkus].
    if (skus_known && !sku) {
        find("VmSizeNotSupported",
             "vmSize " + spec.vm_size +
                 " is not in Batch's list of supported VM sizes for the account's location. "
                 "Fix: choose a listed size (az batch location list-skus --location <region>)");
        return out;
    }
    const int low = spec.fixed ? spec.fixed->target_low_priority_nodes : 0;
    // LowPriorityCapable capability of SupportedSku [BMx/LocationListVirtualMachineSkus.json].
    if (sku && low > 0 && !sku->low_priority_capable)
        find("LowPriorityNotSupported",
             "vmSize " + spec.vm_size +
                 " cannot run low-priority (Spot) nodes (LowPriorityCapable False). Fix: set "
                 "scale.targetLowPriorityNodes to 0 or choose a size that is LowPriorityCapable");
    if (!image) return out;
    // HyperVGenerations capability [BMx/LocationListVirtualMachineSkus.json] vs the definition's
    // hyperVGeneration (V1|V2) [GAL GalleryImageProperties].
    if (sku && !image->hyper_v_generation.empty() && !sku->hyper_v_generations.empty() &&
        !Has(sku->hyper_v_generations, image->hyper_v_generation)) {
        std::string gens;
        for (const auto& g : sku->hyper_v_generations) gens += (gens.empty() ? "" : ", ") + g;
        find("HyperVGenerationMismatch",
             "image definition " + spec.image.image + " is Hyper-V generation " +
                 image->hyper_v_generation + " but vmSize " + spec.vm_size + " runs only " + gens +
                 ". Fix: choose a vmSize whose HyperVGenerations include " +
                 image->hyper_v_generation + ", or an image definition of generation " +
                 sku->hyper_v_generations.front());
    }
    // Trusted launch and confidential VM images: SecurityType feature values TrustedLaunch,
    // TrustedLaunchSupported, ConfidentialVM, ConfidentialVMSupported,
    // TrustedLaunchAndConfidentialVmSupported (Compute Gallery docs; not in /work/shared, so the
    // rules below are a guess): a "TrustedLaunch"/"ConfidentialVM" image deploys only as that
    // type, a "*Supported" one also as a standard VM.
    const std::string st = Lower(image->security_type);
    const std::string pt = Lower(PoolSecurityType(spec));
    const bool tl_ok = st == "trustedlaunch" || st == "trustedlaunchsupported" ||
                       st == "trustedlaunchandconfidentialvmsupported";
    const bool cvm_ok = st == "confidentialvm" || st == "confidentialvmsupported" ||
                        st == "trustedlaunchandconfidentialvmsupported";
    if (st == "trustedlaunch" && pt != "trustedlaunch")
        find("SecurityProfileRequired",
             "image definition " + spec.image.image +
                 " has SecurityType TrustedLaunch and the pool does not ask for it. Fix: set "
                 "virtualMachineConfiguration.securityProfile.securityType: trustedLaunch with "
                 "uefiSettings secureBootEnabled and vTpmEnabled true");
    else if (st == "confidentialvm" && pt != "confidentialvm")
        find("SecurityProfileRequired",
             "image definition " + spec.image.image +
                 " has SecurityType ConfidentialVM and the pool does not ask for it. Fix: set "
                 "virtualMachineConfiguration.securityProfile.securityType: confidentialVM");
    else if ((pt == "trustedlaunch" && !tl_ok) || (pt == "confidentialvm" && !cvm_ok))
        find("SecurityTypeMismatch",
             "the pool asks for securityType " + PoolSecurityType(spec) + " but image definition " +
                 spec.image.image + " has SecurityType " +
                 (image->security_type.empty() ? std::string("Standard (none)")
                                               : image->security_type) +
                 ". Fix: use an image definition whose SecurityType supports it, or remove "
                 "virtualMachineConfiguration.securityProfile");
    const bool trusted = pt == "trustedlaunch" || (pt.empty() && st == "trustedlaunch");
    // TrustedLaunchDisabled: the capability as Compute's resource SKU list names it (guess:
    // Batch's example list does not show it).
    if (sku && trusted && sku->trusted_launch_disabled)
        find("VmSizeSecurityMismatch",
             "vmSize " + spec.vm_size +
                 " does not support trusted launch (TrustedLaunchDisabled). Fix: choose a "
                 "vmSize that supports trusted launch");
    return out;
}

namespace {

Finding Error(std::string code, std::string message) {
    Finding f;
    f.severity = Severity::Error;
    f.code = std::move(code);
    f.message = std::move(message);
    return f;
}

/// The listed nodeAgentSKUIds whose osType is `os` (any case), comma-separated.
std::string SkusFor(const model::NodeAgentSkuTable& skus, std::string_view os) {
    std::string out;
    for (const auto& [id, type] : skus)
        if (model::IEquals(type, os)) out += (out.empty() ? "" : ", ") + id;
    return out.empty() ? std::string("(none listed)") : out;
}

}  // namespace

std::vector<model::Finding> CheckNodeAgentSku(const model::PoolSpec& spec,
                                              const model::ObservedImage* image,
                                              const model::NodeAgentSkuTable* skus) {
    std::vector<Finding> out;
    if (!skus) return out;
    // ImageInformation.nodeAgentSKUId / osType (linux | windows) [BS, contract §1.8]; "You must
    // specify a Compute Node agent SKU which matches the selected Image reference" [BS, §5.4].
    auto it = skus->find(Lower(spec.node_agent_sku_id));
    const std::string os = image ? Lower(image->os_type) : std::string();
    if (it == skus->end()) {
        out.push_back(
            Error("NodeAgentSkuNotSupported",
                  "nodeAgentSkuId '" + spec.node_agent_sku_id +
                      "' is not in Batch's supported images list of the account. Fix: set "
                      "nodeAgentSkuId to a listed SKU" +
                      (os.empty() ? std::string(" (az batch pool supported-images list)")
                                  : " for " + os + " images: " + SkusFor(*skus, os))));
        return out;
    }
    if (!os.empty() && !it->second.empty() && !model::IEquals(it->second, os))
        out.push_back(
            Error("OsTypeMismatch", "nodeAgentSkuId '" + spec.node_agent_sku_id + "' runs " +
                                        Lower(it->second) + " nodes but image definition " +
                                        spec.image.image + " has osType " + image->os_type +
                                        ". Fix: set nodeAgentSkuId to a SKU Batch lists for " + os +
                                        " images (" + SkusFor(*skus, os) + "), or use a " +
                                        Lower(it->second) + " image definition"));
    return out;
}

std::vector<model::Finding> CheckImageSubscription(
    const model::PoolSpec& spec, std::string_view account_subscription,
    const std::map<std::string, model::SubscriptionFacts>& subscriptions) {
    std::vector<Finding> out;
    const std::string& image_sub = spec.image.subscription_id;
    if (model::IEquals(image_sub, account_subscription)) return out;
    auto image_it = subscriptions.find(Lower(image_sub));
    auto account_it = subscriptions.find(Lower(account_subscription));
    const model::SubscriptionFacts* image =
        image_it == subscriptions.end() ? nullptr : &image_it->second;
    const model::SubscriptionFacts* account =
        account_it == subscriptions.end() ? nullptr : &account_it->second;
    // registrationState: Registered | Registering | NotRegistered | ...; anything but
    // Registered is "not usable" [contract §12, RPx].
    if (image && !image->batch_registration_state.empty() &&
        !model::IEquals(image->batch_registration_state, "Registered"))
        out.push_back(Error(
            "ProviderNotRegistered",
            "image " + spec.image.image + " is in subscription " + image_sub +
                ", where resource provider Microsoft.Batch is " + image->batch_registration_state +
                "; Batch uses an image from another subscription only where Microsoft.Batch is "
                "registered. Fix: az provider register --namespace Microsoft.Batch "
                "--subscription " +
                image_sub));
    // tenantId of Subscriptions_Get [contract §12, SUBx]: both in one tenant [D-SIG].
    if (image && account && !image->tenant_id.empty() && !account->tenant_id.empty() &&
        !model::IEquals(image->tenant_id, account->tenant_id))
        out.push_back(
            Error("TenantMismatch",
                  "image " + spec.image.image + " is in subscription " + image_sub + " of tenant " +
                      image->tenant_id + " but the Batch account's subscription " +
                      std::string(account_subscription) + " is in tenant " + account->tenant_id +
                      "; Batch uses gallery images only from subscriptions of its own tenant. Fix: "
                      "copy the image version to a gallery in a subscription of tenant " +
                      account->tenant_id + " and point the pool's image there"));
    return out;
}

model::Finding ImageAccessDenied(const model::PoolSpec& spec, std::string_view what,
                                 std::string_view error) {
    // The gallery of the image: the resource the role is granted on.
    const std::string gallery = "/subscriptions/" + spec.image.subscription_id +
                                "/resourceGroups/" + spec.image.resource_group +
                                "/providers/Microsoft.Compute/galleries/" + spec.image.gallery;
    return Error("ImageAccessDenied",
                 "poolwarden's identity may not read " + std::string(what) + " (" +
                     std::string(error) +
                     "), so the pool is not written. Fix: grant the daemon's identity Reader "
                     "(or a role with Microsoft.Compute/galleries/images/versions/read) on "
                     "gallery " +
                     gallery +
                     " (az role assignment create --assignee <its client id> --role "
                     "Reader --scope " +
                     gallery + ")");
}

}  // namespace pw::planner
