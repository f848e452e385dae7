#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/desired.hpp"
#include "model/observed.hpp"

namespace pw::model {

/// The version Batch uses in `region` for an image reference without `/versions/...`: the
/// highest version name (numerically, major.minor.patch) whose `excludeFromLatest` is not set,
/// neither for the version nor for its `region` entry of targetRegions, and whose
/// provisioningState is Succeeded. An empty `region` checks the version-wide flag only.
/// nullopt when no version qualifies. Pure.
///
/// Azure states that a versionless `virtualMachineImageId` "always" takes the latest version
/// (BatchService.json 2025-06-01.21.0 `#/definitions/BatchVmImageReference/properties/
/// virtualMachineImageId`); that a version with `excludeFromLatest` is skipped: "If set to true,
/// Virtual Machines deployed from the latest version of the Image Definition won't use this
/// Image Version" (gallery.json 2023-07-03
/// `#/definitions/GalleryArtifactPublishingProfileBase/properties/excludeFromLatest`); and, per
/// region, "Contains the flag setting to hide an image when users specify version='latest'"
/// (`#/definitions/TargetRegion/properties/excludeFromLatest`, same file). The order is
/// Microsoft Learn's ("Store and share images in an Azure Compute Gallery",
/// learn.microsoft.com/azure/virtual-machines/shared-image-galleries, Image versions: "the
/// latest image is chosen based on the highest MajorVersion, then MinorVersion, then Patch");
/// the specs in ../shared do not state it (azure-contract.md section 8). Skipping versions not
/// (yet) provisioningState Succeeded is not stated anywhere: guess.
std::optional<std::string> ResolveLatestVersion(const std::vector<ImageVersionListing>& versions,
                                                std::string_view region = {});

/// Every version that is latest somewhere: ResolveLatestVersion() without a region and for each
/// region some version excludes. The versions an observation must read for pools that follow
/// the definition, whatever their region. Pure.
std::vector<std::string> LatestVersionsInAnyRegion(
    const std::vector<ImageVersionListing>& versions);

/// `spec` with image.version set to the version it uses this cycle: itself for a pinned
/// version; for a pool that follows "latest", the ResolveLatestVersion() of the definition's
/// list in `observed` for the pool's `region` (its account's location; nullopt when the list is
/// missing or no version qualifies). Pure.
std::optional<ImageVersionId> ResolvedImage(const PoolSpec& spec, const ObservedState& observed,
                                            std::string_view region = {});

/// True when some pool of `desired` follows "latest" and its version is not filled in yet.
bool NeedsLatestResolution(const DesiredState& desired);

/// A copy of `desired` whose pools that follow "latest" carry the ResolvedImage() version for
/// their account's region (the observed location, else the declared one); those whose
/// definition has no qualifying version (or no list) keep an empty version (the planner reports
/// them as ImageNotFound). Pure.
DesiredState ResolveLatest(const DesiredState& desired, const ObservedState& observed);

}  // namespace pw::model
