#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

/// Which members of a response body each api-version defines: a request at an api-version gets
/// the members that version defines and no others, as Azure answers older clients.
namespace pw::sim {

/// A response member that not every api-version defines: from `since` (the first api-version
/// defining it) up to, not including, `until` (empty: every later version defines it too).
/// `path` is dotted from the body's root; `[]` steps into the items of an array
/// ("properties.publishingProfile.targetRegions[].excludeFromLatest").
///
/// Thread safety: a value type.
struct VersionedMember {
    std::string_view path;
    std::string_view since;
    std::string_view until = {};
};

/// True when api-version `a` is older than `b`, compared by their YYYY-MM-DD prefix (a Batch
/// version's ".20.0" and a "-preview" suffix do not change the order).
///
/// Thread safety: reentrant.
bool ApiVersionBefore(std::string_view a, std::string_view b);

/// Removes from `body` each member of `table` that `api_version` does not define.
///
/// Thread safety: reentrant.
void DropUndefinedMembers(nlohmann::json& body, std::span<const VersionedMember> table,
                          std::string_view api_version);

/// Members of a GalleryImageVersion (ARM Microsoft.Compute) newer or older than some api-versions.
///
/// Thread safety: immutable.
std::span<const VersionedMember> GalleryImageVersionMembers();

/// Members of a GalleryImage (image definition) newer than some api-versions.
///
/// Thread safety: immutable.
std::span<const VersionedMember> GalleryImageMembers();

/// Members of a Batch pool (data plane GET) newer or older than some api-versions.
///
/// Thread safety: immutable.
std::span<const VersionedMember> BatchPoolMembers();

}  // namespace pw::sim
