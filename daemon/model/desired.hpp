#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/boxed.hpp"
#include "model/duration.hpp"
#include "model/pool_fields.hpp"
#include "model/resource_id.hpp"
#include "model/rollout.hpp"

namespace pw::model {

/// The metadata key that marks a Batch pool as managed by poolwarden.
inline constexpr const char* kManagedByKey = "poolwarden.io/managed-by";
/// The value poolwarden writes under kManagedByKey.
inline constexpr const char* kManagedByValue = "poolwarden";
/// The metadata key holding the hash of the spec a pool was last written from.
inline constexpr const char* kSpecHashKey = "poolwarden.io/spec-hash";
/// The metadata key holding the digest of the start task's secret files the pool was last
/// written with (reconcile::SecretDigests); part of the spec hash too.
inline constexpr const char* kSecretDigestKey = "poolwarden.io/secret-digest";
/// The metadata key holding the digests of the secret files the table-declared (empty-only)
/// properties name, as the pool was created with them (one per file, in document order, joined
/// by '.'); written at create only, and kept as is by every PATCH (which cannot apply them).
inline constexpr const char* kPropertySecretDigestKey = "poolwarden.io/property-secret-digest";

/// A Batch account the pool files may refer to by its local `name`.
///
/// Thread safety: a value type.
struct AccountSpec {
    std::string name;  ///< Local name used by pool specs.
    std::string subscription_id;
    std::string resource_group;
    std::string account_name;
    std::optional<std::string> endpoint;  ///< `https://acct.region.batch.azure.com`; else from ARM.
    std::optional<std::string> location;  ///< Region; else from ARM.
    /// `poolApi`: which API serves this account's pools. Arm: every pool operation goes
    /// through ARM (`Microsoft.Batch/batchAccounts/pools`, azure-contract.md 10) with the
    /// management token; no Batch data-plane token is requested for the account.
    enum class PoolApi { Batch, Arm };
    PoolApi pool_api = PoolApi::Batch;
};

/// Replica and resize-timeout policy (the `policy:` block).
struct Policy {
    int vms_per_replica = 300;
    Seconds resize_timeout_per_1000_vms = std::chrono::minutes(15);
    int max_replicas_per_region = 100;
    int extra_replicas = 0;
    bool lower_replicas = false;
    /// `quota.partialGrowth`: a create or grow that would exceed a core quota proceeds up to
    /// the quota instead of being held.
    bool quota_partial_growth = false;
    /// `prune.mode`: orphaned pools (owned, no pool file declares them) are kept (Orphan) or
    /// deleted (Delete) after `prune_passes` passes and `prune_grace` (`prune.graceMinutes`).
    enum class PruneMode { Orphan, Delete };
    PruneMode prune_mode = PruneMode::Orphan;
    Seconds prune_grace = std::chrono::minutes(30);
    int prune_passes = 3;
    /// `rollout.groups`: by group name (pools name theirs in updatePolicy.rolloutGroup).
    std::map<std::string, RolloutGroupPolicy> rollout_groups;
    /// The group's policy, or the defaults for a pool without one.
    const RolloutGroupPolicy& rollout_group(const std::string& name) const;
};

/// A pool's start task (the subset poolwarden manages).
struct StartTask {
    std::string command_line;
    bool wait_for_success = true;
    bool elevated = false;  ///< Runs as the pool-scoped auto user with admin elevation.
    int max_task_retry_count = 0;
    std::map<std::string, std::string> environment;
    /// Table-declared members (StartTaskFields(): resourceFiles, containerSettings,
    /// userIdentity), an Object.
    PropValue properties;
    friend bool operator==(const StartTask&, const StartTask&) = default;
};

/// True when `have` (a start task as decoded from Batch) matches `want` (the spec) in what
/// Batch returns and poolwarden decodes: command line, waitForSuccess, retries, environment and
/// the admin elevation (`elevated: true`, or userIdentity.autoUser.elevationLevel admin). The
/// table-declared members (resourceFiles, containerSettings, userIdentity.userName) are not
/// compared: the observed model does not carry them yet. Pure.
bool SameStartTask(const StartTask& want, const StartTask& have);

/// a + b for node counts, saturated at the int range: Azure and the config give each count as
/// a 32-bit integer, so their sum must not overflow. Pure.
int AddNodeCounts(int a, int b);

/// Fixed scale: the pool keeps these node counts.
struct FixedScale {
    int target_dedicated_nodes = 0;
    int target_low_priority_nodes = 0;
};

/// Autoscale: Batch evaluates `formula`; poolwarden sizes replicas for `max_nodes`.
struct AutoScale {
    std::string formula;
    Seconds evaluation_interval = std::chrono::minutes(15);
    int max_nodes = 0;
};

/// The formula poolwarden gives Batch for `a`: the pool file's formula followed by statements
/// that cap the targets at `max_nodes` (dedicated first, then low-priority in what is left), so
/// that the pool never exceeds the size its replicas were raised for. Pure.
std::string CappedFormula(const AutoScale& a);

/// One desired pool, as declared in a pool file.
///
/// Thread safety: a value type.
struct PoolSpec {
    std::string id;
    std::string account;  ///< AccountSpec::name.
    std::string vm_size;
    /// The image version the pool uses. For a pool that follows "latest" (`image:` is a
    /// definition id) the config leaves `version` empty and the planner fills in the version
    /// resolved this cycle (ResolveLatestVersion).
    ImageVersionId image;
    /// `image:` named the image definition: Batch takes its latest version.
    bool image_follows_latest = false;
    std::string node_agent_sku_id;
    std::optional<FixedScale> fixed;  ///< Exactly one of fixed / autoscale is set.
    std::optional<AutoScale> autoscale;
    std::optional<Seconds> resize_timeout;  ///< Optional floor; the rule may raise it.
    std::string node_deallocation_option = "requeue";
    int task_slots_per_node = 1;
    Boxed<StartTask> start_task;                  ///< Kept on the heap: most pools have none.
    std::map<std::string, std::string> metadata;  ///< User metadata (no poolwarden.io/ keys).
    bool adopt = false;
    /// `updatePolicy` (kept on the heap: most pools have none; none means strategy manual).
    Boxed<UpdatePolicy> update_policy;
    /// `identity.userAssignedIdentities`: ARM ids of the user-assigned managed identities on
    /// the nodes (BatchPoolIdentity, type UserAssigned; settable only through ARM, azure-contract
    /// 10). Empty: no identity declared.
    std::vector<std::string> identities;
    /// Table-declared members (PoolFields(): networkConfiguration, mountConfiguration,
    /// virtualMachineConfiguration, ...), an Object; secrets as file paths only.
    PropValue properties;

    /// Digest of the secret files the start task names (reconcile::SecretDigests), filled in
    /// each pass; empty when it names none. Never the secrets themselves.
    std::string secret_digest;
    /// Digests of the secret files `properties` names (mounts, registries, user accounts,
    /// extensions), one per file in document order joined by '.', filled in each pass; empty
    /// when it names none.
    std::string property_secret_digest;

    std::string source_file;  ///< Pool file the spec came from (for status and errors).
    int source_line = 0;

    /// What Pool-Add sends as imageReference.virtualMachineImageId and what the pool's
    /// observed image is compared with: the definition id for a pool that follows "latest",
    /// else the version id.
    std::string image_reference() const;

    /// Nodes the replica rule sizes for: dedicated + low-priority (AddNodeCounts), or autoscale
    /// maxNodes.
    int sized_nodes() const;
};

/// Everything poolwarden is asked to make true.
struct DesiredState {
    std::vector<AccountSpec> accounts;
    std::vector<PoolSpec> pools;
    Policy policy;
    /// Every pool file loaded without an error (prune deletes nothing otherwise).
    bool pool_files_clean = true;
    /// Pools declared but left out of `pools` for this pass (their account or image could
    /// not be read), as "account/ResourceKey(id)": never orphans.
    std::vector<std::string> withheld;

    const AccountSpec* find_account(std::string_view name) const;
};

}  // namespace pw::model
