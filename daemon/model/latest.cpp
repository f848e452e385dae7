#include "model/latest.hpp"

#include <algorithm>
#include <set>

#include "model/resource_id.hpp"

namespace pw::model {

std::optional<std::string> ResolveLatestVersion(const std::vector<ImageVersionListing>& versions,
                                                std::string_view region) {
    const std::string where = region.empty() ? std::string() : NormalizeRegion(region);
    const ImageVersionListing* best = nullptr;
    for (const auto& v : versions) {
        if (v.exclude_from_latest || v.provisioning_state != "Succeeded") continue;
        if (!where.empty() &&
            std::find(v.regions_excluded_from_latest.begin(), v.regions_excluded_from_latest.end(),
                      where) != v.regions_excluded_from_latest.end())
            continue;
        if (CompareVersionNames(v.name, "0.0.0") < 0) continue;  // not <major>.<minor>.<patch>
        if (!best || CompareVersionNames(v.name, best->name) > 0) best = &v;
    }
    if (!best) return std::nullopt;
    return best->name;
}

std::vector<std::string> LatestVersionsInAnyRegion(
    const std::vector<ImageVersionListing>& versions) {
    std::set<std::string> regions = {""};
    for (const auto& v : versions)
        regions.insert(v.regions_excluded_from_latest.begin(),
                       v.regions_excluded_from_latest.end());
    std::vector<std::string> out;
    for (const auto& r : regions) {
        auto latest = ResolveLatestVersion(versions, r);
        if (latest && std::find(out.begin(), out.end(), *latest) == out.end())
            out.push_back(*latest);
    }
    return out;
}

std::optional<ImageVersionId> ResolvedImage(const PoolSpec& spec, const ObservedState& observed,
                                            std::string_view region) {
    if (!spec.image_follows_latest) return spec.image;
    auto it = observed.image_version_lists.find(ResourceKey(spec.image.image_definition_id()));
    if (it == observed.image_version_lists.end()) return std::nullopt;
    auto version = ResolveLatestVersion(it->second, region);
    if (!version) return std::nullopt;
    ImageVersionId out = spec.image;
    out.version = *version;
    return out;
}

bool NeedsLatestResolution(const DesiredState& desired) {
    for (const auto& p : desired.pools)
        if (p.image_follows_latest && p.image.version.empty()) return true;
    return false;
}

DesiredState ResolveLatest(const DesiredState& desired, const ObservedState& observed) {
    DesiredState out = desired;
    for (auto& p : out.pools) {
        if (!p.image_follows_latest) continue;
        p.image.version.clear();
        std::string region;
        if (auto a = observed.accounts.find(p.account); a != observed.accounts.end())
            region = a->second.location;
        if (const AccountSpec* spec = desired.find_account(p.account);
            region.empty() && spec && spec->location)
            region = *spec->location;
        if (auto resolved = ResolvedImage(p, observed, region)) p.image = *resolved;
    }
    return out;
}

}  // namespace pw::model
