#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "model/desired.hpp"
#include "model/duration.hpp"
#include "model/observed.hpp"

namespace pw::model {

/// What an action does. Names are the plan's stable vocabulary (text and JSON output).
enum class ActionKind {
    AddTargetRegion,      ///< Add the account's region to an image version's targetRegions.
    SetRegionalReplicas,  ///< Change a region's regionalReplicaCount.
    WaitForReplication,   ///< Nothing to write: replication must complete first.
    CreatePool,
    ResizePool,
    PatchPool,  ///< Patchable fields: startTask, metadata, applicationPackageReferences,
                ///< targetNodeCommunicationMode.
    /// `enableautoscale` with the spec's formula (model::CappedFormula) and interval: a changed
    /// formula or interval, or a fixed-size pool the spec now autoscales.
    EnableAutoScale,
    /// `disableautoscale`: the spec now gives a fixed size (the next pass resizes to it).
    DisableAutoScale,
    /// `DELETE /pools/{id}` (If-Match) of an orphaned pool, with `prune.mode: delete` only.
    DeletePool,
};

std::string_view ToString(ActionKind kind);

/// One step of a plan, with the reason a reviewer reads. Fields that do not apply are empty.
///
/// Thread safety: a value type.
struct Action {
    ActionKind kind{};
    std::string account;
    std::string pool;
    std::string image_version;  ///< Version resource id (replica and wait actions).
    std::string region;
    std::optional<int> from;
    std::optional<int> to;
    std::optional<Seconds> resize_timeout;
    std::optional<int> target_dedicated_nodes;
    std::optional<int> target_low_priority_nodes;
    std::string reason;

    /// Replica actions: the version's complete targetRegions list as planned (every region's
    /// change applied), for review. The executor writes only the changes of the actions it
    /// runs, each its own region's, onto the list as re-read before the PATCH.
    std::vector<TargetRegion> target_regions;
    /// ResizePool / PatchPool: the eTag observed, sent as If-Match.
    std::string if_match;
    /// CreatePool / PatchPool: the spec the write is built from.
    std::optional<PoolSpec> spec;
    /// PatchPool: when set, the value written under model::kSpecHashKey instead of the spec's
    /// hash ("" writes none): the pool's empty-only properties still differ from the spec, or
    /// could not be read, so the hash must not vouch for them (the next pass compares again).
    std::optional<std::string> keep_spec_hash;
    /// PatchPool: the pool's model::kPropertySecretDigestKey as observed (nullopt: absent),
    /// written back unchanged, since a PATCH never applies the secrets it stands for.
    std::optional<std::string> keep_property_secret_digest;
    /// ResizePool: the nodeDeallocationOption to send instead of the spec's (a rollout's drain).
    std::string node_deallocation_option;
    /// PatchPool: also send every empty-only property of the spec (vmSize,
    /// virtualMachineConfiguration, taskSlotsPerNode, network, mounts, ...): a rollout's swap
    /// of an empty pool.
    bool swap = false;
    /// PatchPool: the value written under model::kRolloutKey ("" writes none).
    std::string rollout_marker;
};

enum class Severity { Info, Warning, Error };
std::string_view ToString(Severity s);

/// A fact about a pool or image version that the operator should see.
struct Finding {
    Severity severity = Severity::Info;
    std::string code;  ///< Stable: SpecializedImage, ImageNotFound, OsMismatch, ImmutableDrift,
                       ///< EmptyOnlyDrift, NotOwned, ReplicaCapReached, ...
    std::string account;
    std::string pool;
    std::string image_version;
    std::string message;
};

/// The replicas the rules require of one image version in one region (after both caps).
struct ReplicaRequirement {
    std::string image_version;  ///< Resource id.
    std::string region;         ///< Normalized ("eastus").
    int required = 1;
};

/// Where one pool stands in a rollout (updatePolicy drainAndSwap), for status and metrics.
///
/// Thread safety: a value type.
struct RolloutStatus {
    enum class Step { Idle, Pending, Draining, Swapping, Regrowing, Gating, Done, Halted };
    std::string group;  ///< rolloutGroup, or the pool id for a pool without one.
    std::string account;
    std::string pool;
    Step step = Step::Idle;
    std::optional<std::chrono::system_clock::time_point> since;  ///< From the marker.
    /// The next maintenance window, while the pool waits for one.
    std::optional<std::chrono::system_clock::time_point> next_window;
    std::string detail;  ///< What it waits for, or why it halted.
};

std::string_view ToString(RolloutStatus::Step step);

/// The planner's output: ordered actions, findings and when to look again.
struct Plan {
    std::vector<Action> actions;
    std::vector<Finding> findings;
    std::vector<ReplicaRequirement> requirements;  ///< Per (version, region) with pools.
    std::optional<Seconds> requeue_after;          ///< Sooner than the interval while waiting.
    /// Pools with updatePolicy drainAndSwap that have a change to roll out or a marker.
    std::vector<RolloutStatus> rollouts;
};

}  // namespace pw::model
