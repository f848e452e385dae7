#include "model/latest.hpp"

#include "model/resource_id.hpp"

namespace pw::model {

std::optional<std::string> ResolveLatestVersion(const std::vector<ImageVersionListing>& versions) {
    const ImageVersionListing* best = nullptr;
    for (const auto& v : versions) {
        if (v.exclude_from_latest || v.provisioning_state != "Succeeded") continue;
        if (CompareVersionNames(v.name, "0.0.0") < 0) continue;  // not <major>.<minor>.<patch>
        if (!best || CompareVersionNames(v.name, best->name) > 0) best = &v;
    }
    if (!best) return std::nullopt;
    return best->name;
}

std::optional<ImageVersionId> ResolvedImage(const PoolSpec& spec, const ObservedState& observed) {
    if (!spec.image_follows_latest) return spec.image;
    auto it = observed.image_version_lists.find(ResourceKey(spec.image.image_definition_id()));
    if (it == observed.image_version_lists.end()) return std::nullopt;
    auto version = ResolveLatestVersion(it->second);
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
        if (auto resolved = ResolvedImage(p, observed)) p.image = *resolved;
    }
    return out;
}

}  // namespace pw::model
