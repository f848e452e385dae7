#include "api_members.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace pw::sim {

namespace {

using Json = nlohmann::json;

std::string_view DatePart(std::string_view v) {
    return v.substr(0, std::min<std::size_t>(10, v.size()));
}

void Drop(Json& node, std::string_view path) {
    if (path.starts_with("[]")) {
        if (!node.is_array()) return;
        path.remove_prefix(path.size() > 2 && path[2] == '.' ? 3 : 2);
        for (auto& item : node) Drop(item, path);
        return;
    }
    if (!node.is_object()) return;
    const std::size_t dot = path.find_first_of(".[");
    const std::string key(path.substr(0, dot));
    if (dot == std::string_view::npos) {
        node.erase(key);
        return;
    }
    auto it = node.find(key);
    if (it == node.end()) return;
    path.remove_prefix(path[dot] == '.' ? dot + 1 : dot);
    Drop(*it, path);
}

// Sources per api-version: the versioned models of Debian's python3-azure
// (azure.mgmt.compute.v2019_03_01 ... v2022_03_03), the saved gallery.json 2023-07-03
// (../shared/azure-specs), and the saved example GalleryImageVersion_Get_WithReplicationStatus
// (api-version 2024-03-03) for blockDeletionBeforeEndOfLife, which gallery.json 2023-07-03
// does not define. tests/sim/conformance/api_versions.py checks the answers against them.
constexpr std::array kGalleryImageVersion = {
    VersionedMember{"properties.storageProfile.source", "2019-07-01"},
    VersionedMember{"properties.publishingProfile.targetRegions[].encryption", "2019-12-01"},
    VersionedMember{"properties.storageProfile.source.uri", "2020-09-30", "2022-03-03"},
    VersionedMember{"properties.publishingProfile.replicationMode", "2021-07-01"},
    VersionedMember{"properties.publishingProfile.targetExtendedLocations", "2021-10-01"},
    VersionedMember{"properties.publishingProfile.targetRegions[].excludeFromLatest", "2022-03-03"},
    VersionedMember{"properties.safetyProfile", "2022-03-03"},
    VersionedMember{"properties.storageProfile.source.communityGalleryImageId", "2022-03-03"},
    VersionedMember{"properties.securityProfile", "2023-07-03"},
    VersionedMember{"properties.storageProfile.source.virtualMachineId", "2023-07-03"},
    VersionedMember{"properties.safetyProfile.blockDeletionBeforeEndOfLife", "2024-03-03"},
};

constexpr std::array kGalleryImage = {
    VersionedMember{"properties.hyperVGeneration", "2019-07-01"},
    VersionedMember{"properties.features", "2020-09-30"},
    VersionedMember{"properties.architecture", "2021-10-01"},
};

// 2022-10-01.16.0 is the CloudPool of azure-batch 13.0.1 (python3-azure); the members below are
// in BatchService.json 2025-06-01.21.0 (../shared/azure-specs) and not in that model, or the
// reverse. The specs of the versions in between are not in ../shared: that each member came with
// 2023-05-01.17.0, and that the two removed ones went with 2025-06-01, is a guess.
constexpr std::array kBatchPool = {
    VersionedMember{"networkConfiguration.enableAcceleratedNetworking", "2023-05-01"},
    VersionedMember{"networkConfiguration.publicIPAddressConfiguration.ipFamilies", "2023-05-01"},
    VersionedMember{"resourceTags", "2023-05-01"},
    VersionedMember{"startTask.containerSettings.containerHostBatchBindMounts", "2023-05-01"},
    VersionedMember{"taskSchedulingPolicy.jobDefaultOrder", "2023-05-01"},
    VersionedMember{"upgradePolicy", "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.dataDisks[].managedDisk", "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.diskEncryptionConfiguration.customerManagedKey",
                    "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.extensions[].enableAutomaticUpgrade",
                    "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.imageReference.communityGalleryImageId",
                    "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.imageReference.sharedGalleryImageId",
                    "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.osDisk.caching", "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.osDisk.diskSizeGB", "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.osDisk.managedDisk", "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.osDisk.writeAcceleratorEnabled", "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.securityProfile", "2023-05-01"},
    VersionedMember{"virtualMachineConfiguration.serviceArtifactReference", "2023-05-01"},
    VersionedMember{"applicationLicenses", "", "2025-06-01"},
    VersionedMember{"cloudServiceConfiguration", "", "2025-06-01"},
};

}  // namespace

bool ApiVersionBefore(std::string_view a, std::string_view b) { return DatePart(a) < DatePart(b); }

void DropUndefinedMembers(Json& body, std::span<const VersionedMember> table,
                          std::string_view api_version) {
    for (const auto& m : table) {
        const bool before = ApiVersionBefore(api_version, m.since);
        const bool after = !m.until.empty() && !ApiVersionBefore(api_version, m.until);
        if (before || after) Drop(body, m.path);
    }
}

std::span<const VersionedMember> GalleryImageVersionMembers() { return kGalleryImageVersion; }
std::span<const VersionedMember> GalleryImageMembers() { return kGalleryImage; }
std::span<const VersionedMember> BatchPoolMembers() { return kBatchPool; }

}  // namespace pw::sim
