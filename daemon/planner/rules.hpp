#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/desired.hpp"
#include "model/duration.hpp"
#include "model/observed.hpp"
#include "model/pool_drift.hpp"
#include "model/resource_id.hpp"

/// The planner's rules as small pure functions, each table-tested at its boundaries.
namespace pw::planner {

/// Batch's default resizeTimeout and the guidance's floor for any pool: 15 minutes.
inline constexpr model::Seconds kMinResizeTimeout = std::chrono::minutes(15);
/// Look again this soon while an image version replicates toward a waiting pool.
inline constexpr model::Seconds kRequeueWhileReplicating = std::chrono::seconds(60);
/// Look again this soon while a pool resizes or stops resizing, and after a create or resize.
inline constexpr model::Seconds kRequeueWhileResizing = std::chrono::seconds(30);
/// Look again this soon while a pool of a desired id is being deleted.
inline constexpr model::Seconds kRequeueWhileDeleting = std::chrono::seconds(30);

/// Replicas one pool of `nodes` VMs needs: ceil(nodes / vmsPerReplica); 0 for 0 nodes.
/// A non-positive vmsPerReplica counts as 1.
int RequiredReplicas(int nodes, const model::Policy& policy);

/// The replica count a region must hold for one image version.
struct RegionRequirement {
    int required = 1;     ///< What to ensure: max(1, demand) capped at maxReplicasPerRegion.
    int demand = 0;       ///< Sum over the pools plus extraReplicas, before the floor and cap.
    bool capped = false;  ///< demand exceeded maxReplicasPerRegion (ReplicaCapReached).
};

/// Sums RequiredReplicas over the pools (`pool_nodes`) of one region using one version, adds
/// extraReplicas, raises to at least 1 and caps at maxReplicasPerRegion.
RegionRequirement RequiredRegionReplicas(const std::vector<int>& pool_nodes,
                                         const model::Policy& policy);

/// Azure's limit on the replicas of one image version, summed over all its target regions.
inline constexpr int kMaxReplicasPerVersion = 100;

/// One target region of an image version, as FitVersionReplicas sees it.
struct RegionShare {
    int current = 0;            ///< Replicas it holds now (0: not a target region yet).
    std::optional<int> wanted;  ///< What the rules ask there; nullopt: no pool uses it (kept).
};

/// The counts of one version's regions after FitVersionReplicas.
struct VersionFit {
    std::vector<int> counts;  ///< Per region (same order): the regionalReplicaCount to hold.
    bool squeezed = false;    ///< Some region got less than it wanted.
    bool over = false;        ///< Even the floors exceed the limit: Azure will refuse the PATCH.
};

/// Fits one version's regions into `limit` replicas in total. Without demand a region keeps
/// its count. With demand it asks for `wanted`, or max(wanted, current) unless `lower`. When
/// the sum exceeds `limit`, each region with demand keeps a floor (1, or its current count
/// unless `lower`) and the rest of the limit is shared in proportion to what each still wants,
/// largest remainders first (ties: the earlier region).
VersionFit FitVersionReplicas(const std::vector<RegionShare>& regions, bool lower,
                              int limit = kMaxReplicasPerVersion);

/// resizeTimeout of a fixed-scale pool of `nodes` VMs:
/// max(floor, 15m, ceil(nodes / 1000) x resizeTimeoutPer1000Vms).
model::Seconds ResizeTimeoutFor(int nodes, std::optional<model::Seconds> floor,
                                const model::Policy& policy);

/// True for Batch node agents of Windows images (`batch.node.windows*`, any case).
bool IsWindowsAgent(std::string_view node_agent_sku_id);

/// ASCII case-insensitive equality (ARM ids, vmSize and agent SKU ids compare this way).
using model::IEquals;

/// The pool's metadata without poolwarden's own `poolwarden.io/` keys.
std::map<std::string, std::string> UserMetadata(const std::map<std::string, std::string>& m);

/// True when the pool carries `poolwarden.io/managed-by: poolwarden`.
bool IsOwned(const model::ObservedPool& pool);

/// The hand-written fields poolwarden never changes on a live pool that differ between spec
/// and pool (vmSize, image, nodeAgentSkuId, taskSlotsPerNode, in that order), each with the
/// pool file's and the live value (`want`, `have`); empty when none. Batch changes vmSize,
/// the image (virtualMachineConfiguration) and taskSlotsPerNode only while the pool is empty
/// (2025-06-01.21.0 BatchService.json, BatchPoolUpdateOptions: "This field can be updated only
/// when the pool is empty"; azure-contract.md section 7), so they are EmptyOnly.
std::vector<model::PropertyDrift> ImmutableDrift(const model::PoolSpec& spec,
                                                 const model::ObservedPool& pool);

/// The user-assigned identities of a live pool that differ from its pool file's, as one drift
/// `identity.userAssignedIdentities` (ids compared case-insensitively, in any order), or
/// nullopt. Only a pool that reports at least one identity is compared: identities are read
/// from ARM's pool list only, and whether ARM returns the envelope's `identity` under `$select`
/// is not documented (guess: it does), so a pool reporting none may have some. ARM applies an
/// identity change only to VMs created after the pool has shrunk to 0 (BatchManagement.json
/// 2025-06-01 #/definitions/BatchPoolIdentity; azure-contract.md section 10), so it is EmptyOnly.
std::optional<model::PropertyDrift> IdentityDrift(const model::PoolSpec& spec,
                                                  const model::ObservedPool& pool);

/// Whether `region` of `version` holds at least `required` replicas with replication
/// Completed there and no version update in flight (provisioningState Creating/Updating).
/// On false, `*why` says what is missing.
bool ReplicasReady(const model::ObservedImageVersion& version, std::string_view region,
                   int required, std::string* why = nullptr);

}  // namespace pw::planner
