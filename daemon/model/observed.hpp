#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/boxed.hpp"
#include "model/desired.hpp"
#include "model/duration.hpp"
#include "model/pool_fields.hpp"

namespace pw::model {

/// One entry of a pool's `resizeErrors`.
struct ResizeError {
    std::string code;
    std::string message;
    friend bool operator==(const ResizeError&, const ResizeError&) = default;
};

/// A pool's table-declared properties as `GET /pools/{id}` returns them (codec::
/// DecodePoolProperties, DecodeStartTaskProperties): what model::PoolPropertyDrift compares.
///
/// Thread safety: a value type.
struct ObservedProperties {
    PropValue pool;        ///< PoolFields() members, an Object.
    PropValue start_task;  ///< StartTaskFields() members of the pool's startTask, an Object.
    friend bool operator==(const ObservedProperties&, const ObservedProperties&) = default;
};

/// The key of a pool in ObservedState::orphan_history and DesiredState::withheld:
/// "account/ResourceKey(id)". Pure.
std::string OrphanKey(std::string_view account, std::string_view pool_id);

/// How long an orphaned pool (owned, declared by no pool file) has been seen as one, kept by
/// the reconciler in memory (a restart starts again: deletion is only delayed).
struct OrphanHistory {
    int passes = 0;         ///< Consecutive passes with a complete observation of it.
    Seconds absent_for{0};  ///< Since the first of them, on the monotonic clock.
};

/// A pool's nodes by state, from one paged `GET /pools/{id}/nodes?$select=id,state` (read only
/// for pools in a rollout's health gate). States: BatchNodeState, 2025-06-01.21.0
/// BatchService.json (azure-contract.md section 7).
struct NodeCounts {
    int total = 0;
    int ready = 0;              ///< idle | running
    int start_task_failed = 0;  ///< starttaskfailed
    int unusable = 0;           ///< unusable
    int starting = 0;  ///< creating | starting | waitingforstarttask | rebooting | reimaging | ...
    friend bool operator==(const NodeCounts&, const NodeCounts&) = default;
};

/// A Batch pool as `GET /pools` returns it (the fields poolwarden reads).
///
/// Thread safety: a value type.
struct ObservedPool {
    std::string id;
    std::string e_tag;
    std::string state = "active";             ///< active | deleting
    std::string allocation_state = "steady";  ///< steady | resizing | stopping
    std::string vm_size;
    std::string virtual_machine_image_id;  ///< imageReference.virtualMachineImageId
    std::string node_agent_sku_id;
    int target_dedicated_nodes = 0;
    int target_low_priority_nodes = 0;
    int current_dedicated_nodes = 0;
    int current_low_priority_nodes = 0;
    bool enable_auto_scale = false;
    std::string auto_scale_formula;
    std::optional<Seconds> auto_scale_evaluation_interval;
    std::optional<Seconds> resize_timeout;
    std::vector<ResizeError> resize_errors;
    int task_slots_per_node = 1;
    Boxed<StartTask> start_task;  ///< Kept on the heap: most pools have none.
    std::map<std::string, std::string> metadata;
    /// ARM ids of the pool's user-assigned identities (`identity.userAssignedIdentities` keys,
    /// BatchManagement.json 2025-06-01 #/definitions/BatchPoolIdentity); filled from ARM only.
    std::vector<std::string> identities;
    /// The table-declared properties, read by a GET of this pool when its spec hash does not
    /// vouch for them (the pool list does not carry them; see reconcile::Reconciler). Absent:
    /// they match the spec (the pool carries the desired spec hash, or an earlier read of the
    /// same eTag found no difference), unless `properties_unread`.
    Boxed<ObservedProperties> properties;
    /// The properties had to be read and the read failed: whether they match is not known.
    bool properties_unread = false;
    /// Its nodes by state: read only while a rollout gates on them (absent otherwise, or when
    /// the read failed).
    Boxed<NodeCounts> nodes;
    friend bool operator==(const ObservedPool&, const ObservedPool&) = default;
};

/// One VM size of ARM's list of the VM sizes Batch supports in a location
/// (`Location_ListSupportedVirtualMachineSkus`, batch-management 2025-06-01 `SupportedSku`):
/// the facts pre-flight checks need. Capability values are strings in the API [BM
/// `#/definitions/SkuCapability`]; absent capabilities leave the defaults below.
///
/// Thread safety: a value type.
struct VmSku {
    std::string name;    ///< `Standard_D4s_v3`.
    std::string family;  ///< `familyName`, e.g. `standardDSv3Family` (the per-family quota key).
    int vcpus = 0;       ///< `vCPUs`; 0 when absent or not a number.
    /// `HyperVGenerations` split at commas (`V1`, `V2`); empty when absent.
    std::vector<std::string> hyper_v_generations;
    bool trusted_launch_disabled = false;      ///< `TrustedLaunchDisabled` is `True`.
    std::string confidential_computing_type;   ///< `ConfidentialComputingType`; empty: none.
    bool low_priority_capable = true;          ///< `LowPriorityCapable` is not `False`.
    bool ephemeral_os_disk_supported = false;  ///< `EphemeralOSDiskSupported` is `True`.
    friend bool operator==(const VmSku&, const VmSku&) = default;
};

/// Batch-supported VM sizes of one location by lower-cased name; shared between the accounts
/// of that location and the observer's cache (read-only once built).
using VmSkuTable = std::map<std::string, VmSku>;

/// Batch's supported images list of one account (`GET {batchUrl}/supportedimages`, ImageInformation
/// [BS], contract §1.8) reduced to what pre-flight needs: lower-cased `nodeAgentSKUId` -> its
/// `osType` (`linux` | `windows`) as listed. Shared between the observer's cache and the
/// observation (read-only once built).
using NodeAgentSkuTable = std::map<std::string, std::string>;

/// Facts of one subscription that pre-flight needs when a pool's image lives in another
/// subscription than its Batch account (contract §12, §5.3). Empty: not known (the read failed or
/// was not made); the check that needs it is skipped.
///
/// Thread safety: a value type.
struct SubscriptionFacts {
    std::string tenant_id;  ///< `tenantId` of `GET /subscriptions/{id}` [SUBx].
    /// `registrationState` of `GET /subscriptions/{id}/providers/Microsoft.Batch` [RPx]:
    /// Registered, Registering, NotRegistered, ...
    std::string batch_registration_state;
};

/// A Batch account's observation. `pools` is complete: a pool missing from it does not exist.
struct ObservedAccount {
    std::string location;
    std::string endpoint;
    std::vector<ObservedPool> pools;
    std::optional<int> dedicated_core_quota;
    std::optional<int> low_priority_core_quota;
    std::optional<int> pool_quota;
    /// `dedicatedCoreQuotaPerVMFamily` by lower-cased family name (`coreQuota`).
    std::map<std::string, int> family_core_quota;
    /// `dedicatedCoreQuotaPerVMFamilyEnforced`: dedicated cores are limited per family too.
    bool family_quota_enforced = false;
    /// The Batch-supported VM sizes of the account's location; null: not read (checks that
    /// need them are skipped).
    std::shared_ptr<const VmSkuTable> vm_skus;
    /// Batch's supported images of the account (nodeAgentSKUIds and their osType); null: not
    /// read (the checks that need it are skipped).
    std::shared_ptr<const NodeAgentSkuTable> node_agent_skus;

    const ObservedPool* find_pool(std::string_view id) const;  ///< Case-insensitive id.
};

/// One `publishingProfile.targetRegions[]` entry.
struct TargetRegion {
    std::string name;  ///< As ARM returns it ("East US").
    int regional_replica_count = 1;
    std::string storage_account_type;  ///< Kept as is; never changed by poolwarden.
    /// The entry's other members as ARM returned them (`encryption`, `excludeFromLatest`, ...),
    /// as JSON object text; sent back unchanged so that a PATCH never drops them.
    std::string other_members;
    friend bool operator==(const TargetRegion&, const TargetRegion&) = default;
};

/// One `replicationStatus.summary[]` entry.
struct RegionReplication {
    std::string region;
    std::string state;  ///< Unknown | Replicating | Completed | Failed
    int progress = 0;
};

/// A gallery image version as ARM GET `?$expand=ReplicationStatus` returns it.
struct ObservedImageVersion {
    std::string id;
    std::string location;
    std::string provisioning_state;  ///< Creating | Updating | Failed | Succeeded | ...
    std::vector<TargetRegion> target_regions;
    std::optional<int> replica_count;  ///< Default per-region count.
    std::string storage_account_type;  ///< Version-level default.
    std::string aggregated_state;      ///< Unknown | InProgress | Completed | Failed
    std::vector<RegionReplication> summary;

    const TargetRegion* find_region(std::string_view region) const;  ///< Normalized compare.
    const RegionReplication* find_replication(std::string_view region) const;
};

/// A gallery image definition (the fields Batch's rules need).
struct ObservedImage {
    std::string id;
    std::string os_type;   ///< Windows | Linux
    std::string os_state;  ///< Generalized | Specialized
    std::string hyper_v_generation;
    /// The value of the `SecurityType` entry of `features[]` (TrustedLaunch,
    /// TrustedLaunchSupported, ConfidentialVM, ...); empty when the definition has none.
    std::string security_type = {};
};

/// One entry of an image definition's version list (`GET .../images/{i}/versions`): what
/// resolving "latest" needs.
struct ImageVersionListing {
    std::string name;                  ///< `1.2.3`
    std::string provisioning_state;    ///< Succeeded | Creating | Updating | Failed | ...
    bool exclude_from_latest = false;  ///< publishingProfile.excludeFromLatest
    /// Regions (NormalizeRegion()) whose publishingProfile.targetRegions[] entry sets
    /// excludeFromLatest: "latest" skips this version there only.
    std::vector<std::string> regions_excluded_from_latest = {};
    friend bool operator==(const ImageVersionListing&, const ImageVersionListing&) = default;
};

/// Everything observed in one cycle. Keys of the version and image maps are ResourceKey()s.
///
/// A missing account entry means the account has no pools; a missing version or image means
/// it does not exist (this is how the offline snapshot file reads too).
struct ObservedState {
    std::map<std::string, ObservedAccount> accounts;  ///< By local account name.
    std::map<std::string, ObservedImageVersion> image_versions;
    std::map<std::string, ObservedImage> images;
    /// Version lists of the definitions pools follow "latest" of, by ResourceKey(definition
    /// id). A missing entry: the list was not read (or the definition does not exist).
    std::map<std::string, std::vector<ImageVersionListing>> image_version_lists;
    /// Orphaned pools seen in earlier passes, by "account/ResourceKey(id)" (filled in by the
    /// reconciler, not read from Azure).
    std::map<std::string, OrphanHistory> orphan_history;
    /// Image versions and definitions whose GET (or version list) was refused with 403 (the
    /// daemon's identity may not read them), by ResourceKey: the error as Azure gave it. Pools
    /// using them are held (ImageAccessDenied).
    std::map<std::string, std::string> denied_images = {};
    /// Facts of the subscriptions of Batch accounts and of the images their pools use from
    /// another subscription, by lower-cased subscription id (cached daily by observe).
    std::map<std::string, SubscriptionFacts> subscriptions = {};
};

}  // namespace pw::model
