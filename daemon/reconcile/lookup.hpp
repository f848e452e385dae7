#pragma once
// Internal to pw_reconcile: lookups and keys shared by the pass (reconciler.cpp) and status
// publishing (publish.cpp).

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <unordered_map>

#include "log/log.hpp"
#include "model/desired.hpp"
#include "model/observed.hpp"
#include "model/plan.hpp"
#include "model/resource_id.hpp"

namespace pw::reconcile::detail {

using model::ActionKind;

inline constexpr const char* kAllocationTimedout = "AllocationTimedout";
inline constexpr const char* kRetryReason = "retry after AllocationTimedout";

inline log::RateLimiter& Limiter() {
    static log::RateLimiter limiter;
    return limiter;
}

inline bool IsReplicaAction(ActionKind k) {
    return k == ActionKind::AddTargetRegion || k == ActionKind::SetRegionalReplicas;
}

inline bool IsPoolAction(ActionKind k) {
    return k == ActionKind::CreatePool || k == ActionKind::ResizePool ||
           k == ActionKind::PatchPool || k == ActionKind::EnableAutoScale ||
           k == ActionKind::DisableAutoScale || k == ActionKind::DeletePool;
}

inline bool EndsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

inline std::string PoolKey(std::string_view account, std::string_view id) {
    return "pool:" + std::string(account) + "/" + model::ResourceKey(id);
}

inline std::string VersionKey(std::string_view id) { return "version:" + model::ResourceKey(id); }

inline const model::PoolSpec* FindSpec(const model::DesiredState& d, std::string_view account,
                                       std::string_view id) {
    for (const auto& p : d.pools)
        if (p.account == account && model::ResourceKey(p.id) == model::ResourceKey(id)) return &p;
    return nullptr;
}

inline const model::ObservedPool* FindPool(const model::ObservedState& o,
                                           const std::string& account, std::string_view id) {
    auto it = o.accounts.find(account);
    return it == o.accounts.end() ? nullptr : it->second.find_pool(id);
}

/// The observed pools by (account, case-insensitive id): one hash lookup per desired pool
/// instead of a scan of the account's pools (which made a cycle quadratic in the pools). Keys
/// are views of the observation (no key string per pool); ids compare as ResourceKey() does
/// (ASCII case-insensitive), so the observation must outlive the index.
///
/// Thread safety: read-only after construction; concurrent find() calls are safe.
class PoolIndex {
  public:
    explicit PoolIndex(const model::ObservedState& o) {
        std::size_t n = 0;
        for (const auto& [name, account] : o.accounts) n += account.pools.size();
        index_.reserve(n);
        for (const auto& [name, account] : o.accounts)
            for (const auto& p : account.pools) index_.emplace(Key{name, p.id}, &p);
    }
    const model::ObservedPool* find(std::string_view account, std::string_view id) const {
        auto it = index_.find(Key{account, id});
        return it == index_.end() ? nullptr : it->second;
    }

  private:
    struct Key {
        std::string_view account;
        std::string_view id;
    };
    static char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
    struct Hash {
        std::size_t operator()(const Key& k) const {
            std::size_t h = 14695981039346656037ULL;  // FNV-1a
            auto mix = [&h](char c) { h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL; };
            for (char c : k.account) mix(c);
            mix('/');
            for (char c : k.id) mix(Lower(c));
            return h;
        }
    };
    struct Equal {
        bool operator()(const Key& a, const Key& b) const {
            if (a.account != b.account || a.id.size() != b.id.size()) return false;
            for (std::size_t i = 0; i < a.id.size(); ++i)
                if (Lower(a.id[i]) != Lower(b.id[i])) return false;
            return true;
        }
    };
    std::unordered_map<Key, const model::ObservedPool*, Hash, Equal> index_;
};

inline const model::ObservedImageVersion* FindVersion(const model::ObservedState& o,
                                                      std::string_view id) {
    auto it = o.image_versions.find(model::ResourceKey(id));
    return it == o.image_versions.end() ? nullptr : &it->second;
}

inline std::string AccountRegion(const model::DesiredState& d, const model::ObservedState& o,
                                 const std::string& account) {
    auto it = o.accounts.find(account);
    if (it != o.accounts.end() && !it->second.location.empty()) return it->second.location;
    if (const auto* spec = d.find_account(account); spec && spec->location) return *spec->location;
    return "";
}

inline std::string VersionFingerprint(const model::ObservedImageVersion* v) {
    if (!v) return "absent";
    std::string out = v->provisioning_state + "|" + v->aggregated_state;
    for (const auto& r : v->target_regions)
        out += fmt::format("|{}={}", model::NormalizeRegion(r.name), r.regional_replica_count);
    for (const auto& r : v->summary)
        out += fmt::format("|{}:{}", model::NormalizeRegion(r.region), r.state);
    return out;
}

inline bool Converged(const model::ObservedPool& p) {
    if (p.state != "active" || p.allocation_state != "steady") return false;
    if (p.enable_auto_scale) return true;
    return p.current_dedicated_nodes == p.target_dedicated_nodes &&
           p.current_low_priority_nodes == p.target_low_priority_nodes;
}

inline std::string ActionSubject(const model::Action& a) {
    if (!a.pool.empty()) return a.account + "/" + a.pool;
    return a.image_version;
}

}  // namespace pw::reconcile::detail
